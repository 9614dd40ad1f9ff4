/** `lenscribe status`: folders, photo counts, errors per kind, jobs and the active model. */
import type { Command } from 'commander';
import { addLibraryOption, errorSummary, jsonLine, openExistingLibraryFromCli, printable, withExample } from '../ui.js';

export function registerStatus(program: Command): void {
  withExample(
    addLibraryOption(program.command('status').description('Show what the library holds').option('--json', 'One JSON object')),
    'lenscribe status',
  ).action(async (opts: { library?: string; json?: boolean }) => {
    const lib = openExistingLibraryFromCli(opts, { autoCaption: false });
    try {
      const s = lib.status();
      if (opts.json) {
        process.stdout.write(jsonLine(s));
        return;
      }
      const w = (line: string) => process.stdout.write(`${line}\n`);
      w(`library: ${printable(s.libraryDir)}`);
      w(`model: ${printable(s.activeModel ?? '(none installed)')}`);
      w(
        `photos: ${s.photos.total} (${s.photos.captioned} captioned, ${s.photos.pending} pending, ${s.photos.error} failed, ${s.photos.userCaptioned} with your captions${s.photos.missing ? `, ${s.photos.missing} missing from disk` : ''})`,
      );
      const summary = errorSummary(s.errorsByKind);
      if (summary) w(summary);
      for (const f of s.folders)
        w(
          `folder ${f.id}: ${printable(f.path)} — ${f.photoCount} photos, ${f.captionedCount} captioned, ${f.pendingCount} pending, ${f.errorCount} failed [${f.status}]`,
        );
      for (const j of s.jobs.filter((j) => j.status !== 'done'))
        w(`job ${j.id}: ${j.kind} ${j.status} ${j.done + j.failed}/${j.total}${j.message ? ` — ${printable(j.message)}` : ''}`);
    } finally {
      await lib.close();
    }
  });
}
