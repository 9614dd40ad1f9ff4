/**
 * Is library.db whole? SQLite's quick_check (every page and b-tree; 2-4 s on a 100k-photo
 * library, so run daily and by `lenscribe repair`) and FTS5's integrity-check of the search
 * index against the captions it indexes (0.6-1 s at 100k photos: at open, unless the file is
 * byte for byte as a session that checked it at its open left it, see recordChecked). A damaged
 * database gives wrong answers quietly (a damaged index page made `search dog` say 0 matches),
 * so damage found here or met by a query becomes LibraryDamagedError, naming the file and the fix.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { LibraryDamagedError } from './db-damaged.js';
import { databaseFile, isReadOnly, type DB } from './db.js';

export { damageSummary, LibraryDamagedError } from './db-damaged.js';

/** An error SQLite raises on a damaged file. */
export function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** For code that meets damage mid-query: the error to throw instead of a wrong (empty) answer. */
export function damagedError(db: DB, err: unknown): LibraryDamagedError {
  return new LibraryDamagedError(databaseFile(db), [(err as Error).message]);
}

/**
 * What is wrong with the database, or [] when nothing is. `full` adds quick_check of every page;
 * `tables` quick_check of just those (and their indexes). A read-only connection cannot run FTS5's
 * check (it is an INSERT), so there the full quick_check always runs.
 */
export function integrityProblems(db: DB, opts: { full: boolean; tables?: string[] }): string[] {
  const problems: string[] = [];
  const readOnly = isReadOnly(db);
  const scopes = opts.full || readOnly ? [''] : (opts.tables ?? []);
  for (const table of scopes) {
    try {
      const rows = db.pragma(table ? `quick_check(${table})` : 'quick_check(20)') as Array<{ quick_check: string }>;
      for (const r of rows) if (r.quick_check !== 'ok') problems.push(...r.quick_check.split('\n').filter((l) => !l.startsWith('***')));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (!readOnly) {
    try {
      db.exec(`INSERT INTO photos_fts(photos_fts) VALUES ('integrity-check')`);
    } catch (err) {
      if (!isCorruption(err)) throw err;
      problems.push(`search index: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Where a session that found the database whole at open writes, after closing it, the size and
 * modification time of library.db and its WAL: the next open skips the search-index check while
 * they are the same (nothing but SQLite, within a checked session, has written since). The daily
 * full check does not skip.
 */
const checkStamp = (dbFile: string) => `${dbFile}-checked`;

function fileState(dbFile: string): string {
  const one = (f: string) => (existsSync(f) ? `${statSync(f).size}:${statSync(f).mtimeMs}` : '-');
  return `${one(dbFile)} ${one(`${dbFile}-wal`)}`;
}

/** Record that the database, as it is now, was left by a session that found it whole. */
export function recordChecked(dbFile: string): void {
  try {
    writeFileSync(checkStamp(dbFile), `${fileState(dbFile)}\n`);
  } catch {
    // a stamp not written costs only the next open's check
  }
}

/** Whether the database is as a checked session left it. */
export function unchangedSinceCheck(dbFile: string): boolean {
  try {
    return readFileSync(checkStamp(dbFile), 'utf8').trim() === fileState(dbFile);
  } catch {
    return false;
  }
}
