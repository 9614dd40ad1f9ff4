/**
 * Repairing a damaged library.db (`lenscribe repair`). First a copy of the damaged file is kept
 * beside it (library.db.damaged-<time>, never deleted); then the search index and the tables'
 * indexes are rebuilt from the tables. If the tables themselves are damaged, the newest backup
 * that passes the integrity check (or, without one, a new database) is restored and everything
 * still readable in the damaged copy is merged into it (db-salvage.ts), so the user's captions and
 * tags written after the backup stay. Every step taken is reported, in words.
 */
import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { listBackups, fileStamp } from './db-backup.js';
import { integrityProblems } from './db-health.js';
import { mergeReadable, type MergeCounts } from './db-salvage.js';
import { assertLenscribeDatabase, openDatabase, type DB } from './db.js';
import { LIBRARY_DB_FILE } from './library-layout.js';
import { mendPhotoCounts, rebuildPhotoCounts } from './photo-counts.js';

export interface RepairReport {
  file: string;
  /** Whether library.db passes the integrity check now. */
  ok: boolean;
  /** What was found before anything was done ([] = nothing wrong). */
  found: string[];
  /** Each step taken, as a sentence. */
  done: string[];
  /** The copy of the damaged file, when one was made. */
  damagedCopy: string | null;
}

/**
 * Rebuild the search index the way the triggers fill it (every photo not missing, under its
 * fts_key), and the photo counts (photo-counts.ts), which triggers keep too.
 */
function rebuildSearchIndex(db: DB): void {
  db.transaction(() => {
    db.exec(`INSERT INTO photos_fts(photos_fts) VALUES ('delete-all')`);
    db.exec(
      `INSERT INTO photos_fts(rowid, caption, name) SELECT fts_key, coalesce(caption, ''), name FROM photos WHERE status != 'missing'`,
    );
    rebuildPhotoCounts(db);
  })();
}

/** Check, and with `checkOnly` false repair, the library in `libraryDir`. */
export function repairLibrary(libraryDir: string, opts: { checkOnly?: boolean } = {}): RepairReport {
  const file = join(libraryDir, LIBRARY_DB_FILE);
  if (!existsSync(file)) throw new UserError(`no Lenscribe library at ${libraryDir}`);
  const short = cutShort(file);
  if (short) return repairCutShort(libraryDir, file, short, opts);
  const db = new Database(file, { timeout: 10_000 });
  try {
    assertLenscribeDatabase(db, file);
    const found = integrityProblems(db, { full: true });
    const report: RepairReport = { file, ok: found.length === 0, found, done: [], damagedCopy: null };
    if (report.ok && !opts.checkOnly) {
      const off = mendPhotoCounts(db);
      if (off) report.done.push(`recounted the photos per folder, subfolder and month (${off} counts were off)`);
    }
    if (report.ok || opts.checkOnly) return report;
    report.damagedCopy = keepDamagedCopy(db, file);
    report.done.push(`kept a copy of the damaged database as ${report.damagedCopy}`);
    if (rebuildInPlace(db, report.done)) return { ...report, ok: true };
    db.close();
    restore(libraryDir, file, report);
    return { ...report, ok: true };
  } finally {
    if (db.open) db.close();
  }
}

export interface CutShort {
  pageSize: number;
  /** Whole pages in the file, and how many its header says it has. */
  has: number;
  should: number;
}

/** A file shorter than its header says (a copy cut off, a full disk): SQLite refuses it at the first read. Null otherwise. */
export function cutShort(file: string): CutShort | null {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  const read = readSync(fd, header, 0, 100, 0);
  closeSync(fd);
  if (read < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return null;
  const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
  const should = header.readUInt32BE(28);
  // The header's page count is used only when it was written with the change counter beside it.
  const counted = should > 0 && header.readUInt32BE(92) === header.readUInt32BE(24);
  const has = Math.floor(statSync(file).size / pageSize);
  return counted && has < should ? { pageSize, has, should } : null;
}

/** A copy of a cut-short file at `to` whose header counts only the pages it has: SQLite opens it, and meets the missing pages as damage. */
export function readableCopy(file: string, short: CutShort, to: string): string {
  copyFileSync(file, to);
  truncateSync(to, short.has * short.pageSize);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(short.has);
  const fd = openSync(to, 'r+');
  writeSync(fd, count, 0, 4, 28);
  closeSync(fd);
  return to;
}

/**
 * A cut-short file: the damaged copy is kept, a second copy whose header counts only the pages it
 * has (so SQLite reads it, and meets the missing pages as damaged b-trees) is what the newest backup
 * is restored with, as for damaged tables; then that second copy goes.
 */
function repairCutShort(libraryDir: string, file: string, short: CutShort, opts: { checkOnly?: boolean }): RepairReport {
  const found = [`library.db is cut short: ${short.has} of its ${short.should} pages are in the file`];
  const report: RepairReport = { file, ok: false, found, done: [], damagedCopy: null };
  if (opts.checkOnly) return report;
  report.damagedCopy = `${file}.damaged-${fileStamp()}`;
  copyFileSync(file, report.damagedCopy);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${report.damagedCopy}-wal`);
  report.done.push(`kept a copy of the damaged database as ${report.damagedCopy}`);
  const readable = readableCopy(file, short, `${file}.salvage`);
  try {
    restore(libraryDir, file, report, readable);
  } finally {
    for (const f of [readable, `${readable}-wal`, `${readable}-shm`]) rmSync(f, { force: true });
  }
  return { ...report, ok: true };
}

/** Copy library.db (with its WAL, when a checkpoint cannot fold it in) to library.db.damaged-<time>. */
function keepDamagedCopy(db: DB, file: string): string {
  let folded = false;
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (r.busy)
      throw new UserError(`${file} is in use (the app, \`lenscribe serve\` or a caption run has it open); close it, then run repair again`);
    folded = true;
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  const copy = `${file}.damaged-${fileStamp()}`;
  copyFileSync(file, copy);
  if (!folded && existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  return copy;
}

/** The search index and every index rebuilt from the tables; true when the database is whole again. */
function rebuildInPlace(db: DB, done: string[]): boolean {
  try {
    rebuildSearchIndex(db);
    done.push('rebuilt the search index from the photos and their captions');
  } catch (err) {
    done.push(`could not rebuild the search index (${(err as Error).message})`);
  }
  try {
    db.exec('REINDEX');
    done.push('rebuilt the indexes of every table');
  } catch (err) {
    done.push(`could not rebuild the indexes (${(err as Error).message})`);
  }
  const left = integrityProblems(db, { full: true });
  if (!left.length) {
    done.push('library.db passes the integrity check again; nothing else was changed');
    return true;
  }
  done.push(`the tables themselves are damaged (${left[0]}), so they are restored`);
  return false;
}

/** The newest backup that passes the integrity check, or null. Damaged ones are said and skipped. */
function goodBackup(libraryDir: string, done: string[]): { file: string; takenAt: number } | null {
  for (const b of listBackups(libraryDir)) {
    const db = new Database(b.file, { readonly: true });
    const problems = integrityProblems(db, { full: true });
    db.close();
    if (!problems.length) return b;
    done.push(`skipped the backup ${b.file}: it is damaged too (${problems[0]})`);
  }
  return null;
}

/** Restore the newest good backup (or a new database), merge in what the damaged copy still holds, and put it in place. */
function restore(libraryDir: string, file: string, report: RepairReport, readFrom = report.damagedCopy!): void {
  const { done } = report;
  const work = `${file}.restoring`;
  for (const f of [work, `${work}-wal`, `${work}-shm`]) rmSync(f, { force: true });
  const backup = goodBackup(libraryDir, done);
  if (backup) copyFileSync(backup.file, work);
  const target = openDatabase(work);
  // Read-write only so that closing it folds its WAL in and leaves no -wal/-shm beside the copy; nothing is written.
  const source = new Database(readFrom);
  source.pragma('query_only = ON');
  let counts: MergeCounts;
  try {
    counts = mergeReadable(source, target);
    rebuildSearchIndex(target);
    const left = integrityProblems(target, { full: true });
    if (left.length) throw new UserError(`the restored database is not whole (${left[0]}); library.db was left as it was`);
    target.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    source.close();
    target.close();
  }
  done.push(
    backup
      ? `restored the backup ${backup.file} (taken ${new Date(backup.takenAt).toISOString()})`
      : 'found no good backup, so started from a new database',
  );
  done.push(...describeMerge(counts, backup !== null));
  // The damaged file's WAL pages are in the kept copy; left here, SQLite would replay them into the restored file.
  for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  renameSync(work, file);
  done.push(`library.db is the restored database now (${(statSync(file).size / 1e6).toFixed(1)} MB) and passes the integrity check`);
}

function describeMerge(c: MergeCounts, fromBackup: boolean): string[] {
  const fromPhotos = c.userCaptionsFromPhotos ? ` (${c.userCaptionsFromPhotos} read from the caption their photo shows)` : '';
  const lines = [
    `merged from the damaged database what was newer or missing: ${c.folders} folders, ${c.photos} photos (${c.photosUpdated} updated), ` +
      `${c.userCaptions} of your captions${fromPhotos}, ${c.modelCaptions} model captions, ${c.userTags} of your tags, ${c.kept} kept captions and tags of removed folders`,
  ];
  // Counted are the rows an index still lists; where no index could count them, the number is not guessed.
  const lost = [
    ...Object.entries(c.unreadable)
      .filter(([t, n]) => n > 0 && !c.uncounted.includes(t))
      .map(([t, n]) => `${n} ${t} rows`),
    ...c.uncounted.map((t) => `an unknown number of ${t} rows`),
  ];
  if (lost.length) {
    const where = fromBackup ? "the backup's copy of them stays" : 'a rescan of the folders finds their photos again';
    lines.push(`could not read ${lost.join(', ')} of the damaged database (${where})`);
  }
  if (c.unplaced)
    lines.push(`${c.unplaced} of your captions and tags belong to photos whose rows are unreadable; they remain in the damaged copy`);
  lines.push(
    'captioning jobs are as the backup had them (unfinished ones resume at the next start); photos left without a caption are pending',
  );
  return lines;
}
