/**
 * Rolling backups of library.db in `<library>/backups/`: daily (taken after the day's full
 * integrity check passed, with SQLite's online backup API, page by page between other work),
 * and before a migration or a model activation (VACUUM INTO: a consistent copy in one call,
 * since those steps are synchronous). The newest few are kept; `lenscribe repair` restores from them.
 */
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DB } from './db.js';
import { makeDir } from './make-dir.js';

export const BACKUPS_DIR = 'backups';
/** Backups kept; older ones are removed after a new one is complete. */
export const BACKUPS_KEPT = 3;
/** A daily backup is due when the newest is older than this. */
const DAY_MS = 24 * 3600 * 1000;

export type BackupReason = 'daily' | 'before-migration' | 'before-activation';

export interface Backup {
  file: string;
  takenAt: number;
  reason: string;
}

const NAME = /^library-(\d{8}T\d{9}Z)-([a-z-]+)\.db$/;

/** "20261202T143000123Z": sorts as the time does, and is a valid file name everywhere. */
export function fileStamp(at = Date.now()): string {
  return new Date(at).toISOString().replace(/[-:.]/g, '');
}

function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]) : 0;
}

/** The library's complete backups, newest first. */
export function listBackups(libraryDir: string): Backup[] {
  const dir = join(libraryDir, BACKUPS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const backups: Backup[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m) backups.push({ file: join(dir, name), takenAt: stampTime(m[1]), reason: m[2] });
  }
  return backups.sort((a, b) => b.takenAt - a.takenAt || b.file.localeCompare(a.file));
}

/** Whether the day's backup (and so the day's full integrity check) is still to be done. */
export function dailyBackupDue(libraryDir: string, now = Date.now()): boolean {
  const newest = listBackups(libraryDir).find((b) => b.reason === 'daily');
  return !newest || now - newest.takenAt >= DAY_MS || newest.takenAt > now;
}

function backupPath(libraryDir: string, reason: BackupReason): string {
  const dir = join(libraryDir, BACKUPS_DIR);
  makeDir(dir, 'backups folder');
  return join(dir, `library-${fileStamp()}-${reason}.db`);
}

/** A backup now, in one synchronous call (before migrations and activations). Its file. */
export function backupNow(db: DB, libraryDir: string, reason: BackupReason): string {
  const file = backupPath(libraryDir, reason);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  db.prepare('VACUUM INTO ?').run(partial);
  renameSync(partial, file);
  prune(libraryDir);
  return file;
}

/** A backup with the online backup API, which copies pages in steps and lets other work run between them. */
export async function backupInSteps(db: DB, libraryDir: string, reason: BackupReason): Promise<string> {
  const file = backupPath(libraryDir, reason);
  const partial = `${file}.partial`;
  try {
    await db.backup(partial);
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  prune(libraryDir);
  return file;
}

/** Keep the newest BACKUPS_KEPT backups; also clear `.partial` files a killed backup left. */
function prune(libraryDir: string): void {
  for (const old of listBackups(libraryDir).slice(BACKUPS_KEPT)) rmSync(old.file, { force: true });
  const dir = join(libraryDir, BACKUPS_DIR);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name.endsWith('.partial') && Date.now() - statSync(path).mtimeMs > 3600_000) rmSync(path, { force: true });
  }
}
