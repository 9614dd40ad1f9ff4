/**
 * `lenscribe caption <folder…>`: add folders to the library and caption every photo in them.
 * With --json, one line per photo: {"path", "status": "captioned"|"error", "caption", "error"}.
 * Exit 2 when some files failed (the rest are captioned), 1 for usage errors.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import type { Library } from '../../main/library/library.js';
import { addLibraryOption, errorSummary, formatDuration, jsonLine, openLibraryFromCli, printable, StatusLine, withExample } from '../ui.js';

interface CaptionCliOptions {
  library?: string;
  json?: boolean;
  recaption?: boolean;
}

/** A photo's outcome, as the library reports it while captioning (or as it stands afterwards). */
interface PhotoOutcome {
  photoId: number;
  path: string;
  status: string;
  caption: string | null;
  kind: string | null;
  error: string | null;
}

const PAGE = 5000;

/** Every photo in the given folders (already captioned ones are reported as they are). */
function photoIdsIn(lib: Library, folderIds: number[]): Set<number> {
  const photoIds = new Set<number>();
  for (const id of folderIds) {
    for (let offset = 0; ; offset += PAGE) {
      const page = lib.listPhotos({ folderId: id, offset, limit: PAGE });
      for (const p of page.items) photoIds.add(p.id);
      if (page.items.length < PAGE) break;
    }
  }
  return photoIds;
}

/** Reports each photo once: a JSON line with --json, nothing otherwise (the text listing comes at the end). */
function photoReporter(json: boolean): { reported: Set<number>; report: (p: PhotoOutcome) => void } {
  const reported = new Set<number>();
  const report = (p: PhotoOutcome) => {
    if (reported.has(p.photoId)) return;
    reported.add(p.photoId);
    if (!json) return;
    const line =
      p.status === 'captioned'
        ? { path: p.path, status: 'captioned', caption: p.caption, error: null }
        : { path: p.path, status: 'error', caption: null, error: p.kind ? `${p.kind}: ${p.error}` : p.error };
    process.stdout.write(jsonLine(line));
  };
  return { reported, report };
}

/** Photos not captioned in this run (already captioned, or failed while scanning), in id order. */
function reportTheRest(lib: Library, photoIds: Set<number>, reporter: ReturnType<typeof photoReporter>): void {
  for (const id of [...photoIds].sort((a, b) => a - b)) {
    if (reporter.reported.has(id)) continue;
    const p = lib.getPhoto(id);
    if (!p || p.status === 'missing') continue;
    reporter.report({
      photoId: id,
      path: p.path,
      status: p.status === 'error' ? 'error' : 'captioned',
      caption: p.caption,
      kind: null,
      error: p.error,
    });
  }
}

/** The text listing (without --json), the one-line summary on stderr, exit code 2 when some photos failed. */
function printResults(lib: Library, photoIds: Set<number>, json: boolean): void {
  const byKind = lib.errorsByKind([...photoIds]);
  const summary = errorSummary(byKind);
  const total = photoIds.size;
  const failed = Object.values(byKind).reduce((a, b) => a + b, 0);
  if (!json) {
    for (const id of [...photoIds].sort((a, b) => a - b)) {
      const p = lib.getPhoto(id);
      if (!p || p.status === 'missing') continue;
      process.stdout.write(
        `${printable(p.path)}\t${p.status === 'error' ? `ERROR ${printable(p.error ?? '')}` : printable(p.caption ?? '')}\n`,
      );
    }
  }
  process.stderr.write(`${total - failed} of ${total} photos captioned${summary ? `; ${summary}` : ''}\n`);
  if (failed > 0) process.exitCode = 2;
}

export async function runCaption(folders: string[], opts: CaptionCliOptions): Promise<void> {
  const lib = openLibraryFromCli(opts, { autoCaption: false });
  const status = new StatusLine({ quietWhenPiped: true });
  try {
    const folderIds: number[] = [];
    for (const f of folders) {
      const { folder } = await lib.addFolder(resolve(f), { caption: false });
      folderIds.push(folder.id);
    }
    const photoIds = photoIdsIn(lib, folderIds);
    if (!lib.activeModel()) {
      throw new UserError('no caption model is installed (models/default is missing); photos were added and stay pending');
    }
    const reporter = photoReporter(!!opts.json);
    lib.on('captioned', (items) => items.forEach(reporter.report));
    lib.on('job', (job) => {
      if (job.status === 'running')
        status.progress(
          job.done + job.failed,
          job.total,
          `${job.rate ? `${job.rate.toFixed(1)} photos/s` : ''} ${job.etaSeconds !== null ? `ETA ${formatDuration(job.etaSeconds, '')}` : ''}`,
        );
    });
    // Jobs a killed run left behind are resumed first, then the new one runs.
    for (const j of lib.jobs.unfinished()) if (j.status === 'paused') lib.resumeJob(j.id);
    for (const id of folderIds) {
      lib.queueCaptioning({ folderId: id });
      if (opts.recaption !== false) lib.queueCaptioning({ folderId: id, recaption: true });
    }
    await lib.runJobs();
    status.done();
    const failedJob = lib.listJobs().find((j) => j.status === 'failed');
    if (failedJob) throw new UserError(`captioning failed: ${failedJob.message ?? 'unknown error'}`);
    reportTheRest(lib, photoIds, reporter);
    printResults(lib, photoIds, !!opts.json);
  } finally {
    status.done();
    await lib.close();
  }
}

export function registerCaption(program: Command): void {
  const caption = program
    .command('caption')
    .description('Add folders to the library and caption their photos')
    .argument('<folder...>', 'Folders of photos (scanned recursively)')
    .option('--json', 'One JSON line per photo')
    .option('--no-recaption', 'Only caption photos that have no caption yet, not also those without one from the active model');
  withExample(addLibraryOption(caption), 'lenscribe caption ~/Pictures/2024').action(runCaption);
}
