/**
 * The kill campaigns: `lenscribe caption`, `teach` (with and without --activate) and `export`
 * SIGKILLed at random moments, then run again to the end, each on a fresh copy of one prepared
 * library. A moment is drawn uniformly over how long the uninterrupted command took in this run
 * (so kills land in startup, work and shutdown in proportion); caption kills are half of them
 * timed by progress instead (after a random number of photos is committed), so batches are hit too.
 */
import Database from 'better-sqlite3';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inspectLibrary, judgeSidecars, photoFolder, userLibrary, type UserCaptions } from './library.js';
import { runKilled } from './processes.js';
import { CLI, cliToEnd, randomMoment, Tally, type CampaignContext, type CampaignLine } from './tally.js';

interface Prepared {
  photos: string;
  template: string;
  mine: UserCaptions;
  total: number;
}

/** Photos, and a library over them (user captions set; `captioned`: also captioned by the model), in `ctx.work`. */
async function prepare(ctx: CampaignContext, generated: number, flickr: number, skip: number, captioned: boolean): Promise<Prepared> {
  const photos = await photoFolder(join(ctx.work, 'photos'), generated, flickr, skip);
  const template = join(ctx.work, 'template');
  const mine = await userLibrary(template, photos, ctx.model, 3);
  if (captioned) {
    const r = await cliToEnd(ctx, ['caption', photos, '--library', template]);
    if (r.status !== 0) throw new Error(`captioning the template library failed: ${r.stderr}`);
  }
  return { photos, template, mine, total: generated + flickr };
}

/** A fresh copy of the template library for run `i`. */
function runLibrary(ctx: CampaignContext, p: Prepared, i: number | string): string {
  const dir = join(ctx.work, `run-${i}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(p.template, dir, { recursive: true });
  return dir;
}

/** How long the command takes uninterrupted on a copy of the template (ms). */
async function timeUninterrupted(ctx: CampaignContext, p: Prepared, args: (lib: string) => string[]): Promise<number> {
  const lib = runLibrary(ctx, p, 'timing');
  const t0 = performance.now();
  const r = await cliToEnd(ctx, args(lib));
  if (r.status !== 0) throw new Error(`${args(lib).join(' ')} failed uninterrupted: ${r.stderr}`);
  const ms = performance.now() - t0;
  rmSync(lib, { recursive: true, force: true });
  return ms;
}

export async function captionCampaign(ctx: CampaignContext): Promise<CampaignLine> {
  const t = new Tally('caption', ['jobs_not_resumed', 'captions_written_twice']);
  const p = await prepare(ctx, 10, 30, 3000, false);
  const args = (lib: string) => ['caption', p.photos, '--library', lib, '--json'];
  const ms = await timeUninterrupted(ctx, p, args);
  for (let i = 0; i < ctx.kills; i++) {
    const lib = runLibrary(ctx, p, i);
    const watcher = new Database(join(lib, 'library.db'), { readonly: true });
    const done = watcher.prepare(`SELECT coalesce(max(done), 0) FROM jobs`).pluck();
    const atPhoto = 1 + Math.floor(ctx.rand() * (p.total - 1));
    const ready = ctx.rand() < 0.5 ? randomMoment(ctx, ms) : () => (done.get() as number) >= atPhoto;
    const run = await runKilled([CLI, ...args(lib)], ready, { env: ctx.env });
    watcher.close();
    t.killed(run, `caption run ${i}`);
    t.checkLibrary(lib, p.mine, `caption run ${i} after the kill`);

    const again = await cliToEnd(ctx, args(lib));
    t.add('leftover_processes', again.leftover.length, `caption run ${i} restart`);
    const s = t.checkLibrary(lib, p.mine, `caption run ${i} after the restart`);
    t.add('inactive_model_captions', s.inactive, `caption run ${i}`);
    const notResumed = again.status !== 0 || s.unfinishedJobs > 0 || s.uncaptioned > 0 || s.captionJobs > 1;
    t.add(
      'jobs_not_resumed',
      notResumed ? 1 : 0,
      `caption run ${i} (${run.ended}): restart ${again.ended}, ${s.unfinishedJobs} unfinished jobs, ${s.uncaptioned} photos not captioned, ${s.captionJobs} caption jobs; ${again.stderr.trim().split('\n').pop()}`,
    );
    t.add('captions_written_twice', s.captionedTwice, `caption run ${i}`);
    t.checkTemps(ctx, [lib, p.photos], `caption run ${i}`);
    rmSync(lib, { recursive: true, force: true });
    ctx.log(`caption run ${i}: ${run.ended}`);
  }
  return t.line({ photos: p.total, user_captions: p.mine.size, uninterrupted_ms: Math.round(ms) });
}

export async function teachCampaign(ctx: CampaignContext): Promise<CampaignLine> {
  const t = new Tally('teach', ['teach_not_finished']);
  const p = await prepare(ctx, 6, 18, 3100, true);
  const base = inspectLibrary(p.template, p.mine).activeModel;
  const variants = [
    { name: 'teach --activate', flags: ['--activate', '--confirm-worse'] },
    { name: 'teach', flags: [] as string[] },
  ];
  const landed: Record<string, number> = {};
  for (const v of variants) {
    const args = (lib: string) => ['teach', '--library', lib, '--epochs', '1', '--json', ...v.flags];
    const ms = await timeUninterrupted(ctx, p, args);
    landed[v.name] = 0;
    for (let i = 0; i < ctx.kills; i++) {
      const what = `${v.name} run ${i}`;
      const lib = runLibrary(ctx, p, i);
      const run = await runKilled([CLI, ...args(lib)], randomMoment(ctx, ms), { env: ctx.env });
      t.killed(run, what);
      if (run.ended === 'SIGKILL') landed[v.name]!++;
      t.checkLibrary(lib, p.mine, `${what} after the kill`);

      // Run again as a user would: the same command, with --resume when it says a run is waiting for it.
      let again = await cliToEnd(ctx, args(lib));
      if (again.status === 1 && /--resume/.test(again.stderr)) {
        t.add('leftover_processes', again.leftover.length, `${what} rerun`);
        again = await cliToEnd(ctx, [...args(lib), '--resume']);
      }
      t.add('leftover_processes', again.leftover.length, `${what} rerun`);
      const s = t.checkLibrary(lib, p.mine, `${what} after the rerun`);
      t.add('inactive_model_captions', s.inactive, `${what}: active ${s.activeModel}`);
      const activated = s.activeModel !== base;
      const finished = again.status === 0 && s.unfinishedJobs === 0 && activated === v.flags.includes('--activate');
      t.add(
        'teach_not_finished',
        finished ? 0 : 1,
        `${what} (${run.ended}): rerun ${again.ended}, ${s.unfinishedJobs} unfinished jobs, active ${s.activeModel}; ${again.stderr.trim().split('\n').pop()}`,
      );
      t.checkTemps(ctx, [lib], what);
      rmSync(lib, { recursive: true, force: true });
      ctx.log(`${what}: ${run.ended}`);
    }
  }
  return t.line({
    photos: p.total,
    user_captions: p.mine.size,
    kills_landed_activate: landed['teach --activate']!,
    kills_landed_plain: landed['teach']!,
  });
}

/** Remove the sidecars a run wrote beside the photos (the next run starts from none). */
function removeSidecars(photos: string): void {
  for (const n of readdirSync(photos)) if (/\.(xmp|txt)$/.test(n)) rmSync(join(photos, n));
}

export async function exportCampaign(ctx: CampaignContext): Promise<CampaignLine> {
  const t = new Tally('export', ['half_written_files', 'export_incomplete']);
  const p = await prepare(ctx, 8, 24, 3200, true);
  const { shown } = inspectLibrary(p.template, p.mine);
  for (const format of ['xmp', 'txt'] as const) {
    const args = (lib: string) => ['export', '--format', format, '--library', lib, '--json'];
    const ms = await timeUninterrupted(ctx, p, args);
    removeSidecars(p.photos);
    for (let i = 0; i < ctx.kills; i++) {
      const what = `export ${format} run ${i}`;
      const lib = runLibrary(ctx, p, i);
      const run = await runKilled([CLI, ...args(lib)], randomMoment(ctx, ms), { env: ctx.env });
      t.killed(run, what);
      const cut = judgeSidecars(shown, format);
      t.add('half_written_files', cut.halfWritten.length, `${what} after the kill: ${cut.halfWritten.slice(0, 2).join('; ')}`);

      const again = await cliToEnd(ctx, args(lib));
      t.add('leftover_processes', again.leftover.length, `${what} rerun`);
      const after = judgeSidecars(shown, format);
      t.add('half_written_files', after.halfWritten.length, `${what} after the rerun: ${after.halfWritten.slice(0, 2).join('; ')}`);
      t.add(
        'export_incomplete',
        again.status !== 0 || after.missing.length ? 1 : 0,
        `${what}: rerun ${again.ended}, ${after.missing.length} photos without a sidecar; ${again.stderr.trim().split('\n').pop()}`,
      );
      t.checkLibrary(lib, p.mine, what);
      t.checkTemps(ctx, [lib, p.photos], what);
      removeSidecars(p.photos);
      rmSync(lib, { recursive: true, force: true });
      ctx.log(`${what}: ${run.ended}`);
    }
  }
  return t.line({ photos: p.total, user_captions: p.mine.size });
}
