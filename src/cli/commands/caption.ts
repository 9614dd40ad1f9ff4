/**
 * `lenscribe caption <folder…>`: add folders to the library and caption every photo in them.
 * With --json, one line per photo: {"path", "status": "captioned"|"error", "caption", "error"}.
 * Exit 2 when some files failed (the rest are captioned), 1 for usage errors.
 */
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, errorSummary, formatEta, openLibraryFromCli, ProgressBar } from '../ui.js';

export function registerCaption(program: Command): void {
  addLibraryOption(
    program
      .command('caption')
      .description('add folders to the library and caption their photos')
      .argument('<folder...>', 'folders of photos (scanned recursively)')
      .option('--json', 'one JSON line per photo')
      .option(
        '--no-recaption',
        'only caption photos that have no caption yet (default: also photos lacking a caption from the active model)',
      ),
  ).action(async (folders: string[], opts: { library?: string; json?: boolean; recaption?: boolean }) => {
    const lib = openLibraryFromCli(opts, { autoCaption: false });
    const out = process.stdout;
    const bar = new ProgressBar();
    try {
      const folderIds: number[] = [];
      const photoIds = new Set<number>();
      for (const f of folders) {
        const { folder } = await lib.addFolder(f, { caption: false });
        folderIds.push(folder.id);
      }
      // Every photo in the given folders: already captioned ones are reported as they are.
      for (const id of folderIds) {
        for (let offset = 0; ; offset += 5000) {
          const page = lib.listPhotos({ folderId: id, offset, limit: 5000 });
          for (const p of page.items) photoIds.add(p.id);
          if (page.items.length < 5000) break;
        }
      }
      if (!lib.activeModel()) {
        throw new UserError('no caption model is installed (models/default is missing); photos were added and stay pending');
      }
      const reported = new Set<number>();
      const report = (p: {
        photoId: number;
        path: string;
        status: string;
        caption: string | null;
        kind: string | null;
        error: string | null;
      }) => {
        if (reported.has(p.photoId)) return;
        reported.add(p.photoId);
        if (opts.json) {
          const line =
            p.status === 'captioned'
              ? { path: p.path, status: 'captioned', caption: p.caption, error: null }
              : { path: p.path, status: 'error', caption: null, error: p.kind ? `${p.kind}: ${p.error}` : p.error };
          out.write(`${JSON.stringify(line)}\n`);
        }
      };
      lib.on('captioned', (items) => items.forEach(report));
      lib.on('job', (job) => {
        if (job.status === 'running')
          bar.update(
            job.done + job.failed,
            job.total,
            `${job.rate ? `${job.rate.toFixed(1)} photos/s` : ''} ${job.etaSeconds !== null ? `ETA ${formatEta(job.etaSeconds)}` : ''}`,
          );
      });
      // Jobs a killed run left behind are resumed first, then the new one runs.
      for (const j of lib.jobs.unfinished()) if (j.status === 'paused') lib.resumeJob(j.id);
      for (const id of folderIds) {
        lib.queueCaptioning({ folderId: id });
        if (opts.recaption !== false) lib.queueCaptioning({ folderId: id, recaption: true });
      }
      await lib.runJobs();
      bar.done();
      const failedJob = lib.listJobs().find((j) => j.status === 'failed');
      if (failedJob) throw new UserError(`captioning failed: ${failedJob.message ?? 'unknown error'}`);
      // Photos not captioned in this run (already captioned, or failed while scanning).
      for (const id of [...photoIds].sort((a, b) => a - b)) {
        if (reported.has(id)) continue;
        const p = lib.getPhoto(id);
        if (!p || p.status === 'missing') continue;
        report({
          photoId: id,
          path: p.path,
          status: p.status === 'error' ? 'error' : 'captioned',
          caption: p.caption,
          kind: null,
          error: p.error,
        });
      }
      const byKind = lib.errorsByKind([...photoIds]);
      const summary = errorSummary(byKind);
      const total = photoIds.size;
      const failed = Object.values(byKind).reduce((a, b) => a + b, 0);
      if (!opts.json) {
        for (const id of [...photoIds].sort((a, b) => a - b)) {
          const p = lib.getPhoto(id);
          if (!p || p.status === 'missing') continue;
          out.write(p.status === 'error' ? `${p.path}\tERROR ${p.error}\n` : `${p.path}\t${p.caption ?? ''}\n`);
        }
      }
      process.stderr.write(`${total - failed} of ${total} photos captioned${summary ? `; ${summary}` : ''}\n`);
      if (failed > 0) process.exitCode = 2;
    } finally {
      bar.done();
      await lib.close();
    }
  });
}
