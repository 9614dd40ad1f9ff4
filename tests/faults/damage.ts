/**
 * The damaged-database campaign: copies of one real captioned library (a backup taken, then more
 * captions written by the user, as on any day after the first) damaged as disks and bad copies do —
 * a garbled search-index page, an unreadable caption page, a file cut short — then opened by the
 * CLI (`status` must say the library is damaged, not answer from it quietly) and repaired
 * (`lenscribe repair`), after which the database must be whole, every caption the user wrote shown,
 * and search must work.
 */
import Database from 'better-sqlite3';
import { cpSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { backupNow } from '../../src/main/library/db-backup.js';
import { Library } from '../../src/main/library/library.js';
import { damage, stillHeld } from '../library/db-damage.js';
import { photoFolder, userLibrary, type UserCaptions } from './library.js';
import { cli, cliToEnd, Tally, type CampaignContext, type CampaignLine } from './tally.js';

const MODES = ['fts-page', 'captions-page', 'truncated'] as const;
type Mode = (typeof MODES)[number];
/** The test suite's short version damages the library each way too: a cut-short file's repair takes about a second. */
export const QUICK_MODES: readonly Mode[] = MODES;

/** Damages `file` as `mode` says, at a random place; says where. */
function damageAt(ctx: CampaignContext, file: string, mode: Mode): string {
  if (mode === 'truncated') {
    const db = new Database(file, { readonly: true });
    const size = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const pages = statSync(file).size / size;
    const keep = Math.max(2, Math.floor(pages * (0.5 + 0.45 * ctx.rand())));
    truncateSync(file, keep * size);
    return `cut to ${keep} of ${pages} pages`;
  }
  const [table, how] = mode === 'fts-page' ? (['photos_fts_data', 'content'] as const) : (['captions', 'header'] as const);
  // Counted before any damage: a garbled leaf may no longer count as one.
  const db = new Database(file, { readonly: true });
  const leaves = db.prepare(`SELECT count(*) FROM dbstat WHERE name = ? AND pagetype = 'leaf'`).pluck().get(table) as number;
  db.close();
  const leaf = Math.floor(ctx.rand() * leaves);
  if (leaf > 0) damage(file, table, how, leaf); // a random leaf…
  damage(file, table, how, 0); // …and the first
  return `${table} leaf ${leaf} of ${leaves} (${how})`;
}

/** Of the user's captions `written`, the photos whose caption is on no readable page of the cut-short `file`. */
function physicallyLost(file: string, written: UserCaptions): number[] {
  const { held } = stillHeld(file, written);
  return [...written.keys()].filter((id) => !held.has(id));
}

export async function damageCampaign(ctx: CampaignContext, modes: readonly Mode[] = MODES): Promise<CampaignLine> {
  const t = new Tally('damage', ['damage_not_caught', 'not_repaired', 'user_captions_physically_lost']);
  const photos = await photoFolder(join(ctx.work, 'photos'), 6, 34, 3400);
  const template = join(ctx.work, 'template');
  const mine = await userLibrary(template, photos, ctx.model, 3);
  const captioned = await cliToEnd(ctx, ['caption', photos, '--library', template]);
  if (captioned.status !== 0) throw new Error(`captioning the damage library failed: ${captioned.stderr}`);
  const afterBackup: UserCaptions = new Map();
  // The day's backup, then the user goes on writing: those captions exist only in the damaged file.
  const lib = Library.open(template, { registerDefaultModel: false, importMetadata: false, autoCaption: false });
  try {
    backupNow(lib.db, template, 'daily');
    for (const p of lib
      .listPhotos({ limit: 2000 })
      .items.filter((p) => !mine.has(p.id))
      .slice(-3)) {
      mine.set(p.id, lib.setUserCaption(p.id, `written after the backup: Rosa's "día" on photo ${p.id}`).caption!);
      afterBackup.set(p.id, mine.get(p.id)!);
    }
  } finally {
    await lib.close();
  }

  let repairSeconds = 0;
  const runs = Math.max(modes.length, Math.ceil(ctx.kills / 4));
  for (let i = 0; i < runs; i++) {
    const mode = modes[i % modes.length]!;
    const dir = join(ctx.work, `run-${i}`);
    cpSync(template, dir, { recursive: true });
    const where = damageAt(ctx, join(dir, 'library.db'), mode);
    const what = `damage run ${i} (${where})`;
    t.add('runs', 1);
    // What the user wrote after the backup and that is on no page any more cannot come back from anywhere.
    const gone = mode === 'truncated' ? physicallyLost(join(dir, 'library.db'), afterBackup) : [];
    t.add('user_captions_physically_lost', gone.length);
    const expected = new Map([...mine].filter(([id]) => !gone.includes(id)));

    const status = cli(ctx, ['status', '--library', dir]);
    t.add(
      'damage_not_caught',
      /is damaged/.test(status.stderr) ? 0 : 1,
      `${what}: status ${status.status}: ${status.stderr.trim().slice(0, 200)}`,
    );
    const started = performance.now();
    const repair = cli(ctx, ['repair', '--library', dir, '--json'], 600_000);
    repairSeconds = Math.max(repairSeconds, (performance.now() - started) / 1000);
    let report: { ok?: boolean; done?: string[] } = {};
    try {
      report = JSON.parse(repair.stdout) as typeof report;
    } catch {
      // not JSON: counted below
    }
    const search = cli(ctx, ['search', 'dog', '--library', dir, '--json', '--no-similar']);
    const repaired = repair.status === 0 && report.ok === true && search.status === 0;
    t.add(
      'not_repaired',
      repaired ? 0 : 1,
      `${what}: repair ${repair.status} ${repair.stderr.trim().slice(0, 200)}; search ${search.status} ${search.stderr.trim().slice(0, 200)}`,
    );
    const s = t.checkLibrary(dir, expected, `${what}, repaired (${(report.done ?? []).join('; ').slice(0, 300)})`);
    t.add('inactive_model_captions', s.inactive, what);
    t.checkTemps(ctx, [dir], what);
    rmSync(dir, { recursive: true, force: true });
    ctx.log(`${what}: ${repaired ? 'repaired' : 'NOT repaired'}`);
  }
  return t.line({ photos: 40, user_captions: mine.size, modes: modes.join(' '), repair_seconds_max: +repairSeconds.toFixed(1) });
}
