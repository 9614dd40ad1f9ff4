/**
 * Opening a library database: WAL, foreign keys, numbered migrations applied in one
 * transaction each, refusal of a database written by a newer Lenscribe or by another
 * application, and a read-only connection when the file or its folder cannot be written.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { LibraryDamagedError } from './db-damaged.js';
import { LENSCRIBE_APPLICATION_ID, latestVersion, migrations, type Migration } from './migrations.js';
import { makeDir } from './make-dir.js';

export type DB = Database.Database;

export interface OpenOptions {
  /**
   * 'write' (default): the caller will write; a file or folder that cannot be written is an error
   * naming it. 'read': when writing is impossible, open read-only instead (nothing is migrated).
   */
  mode?: 'write' | 'read';
  /** For tests of the migration machinery; the shipped list otherwise. */
  migrations?: Migration[];
  /** Called before the first migration of an existing database (the pre-migration backup). */
  beforeMigrate?: (db: DB, fromVersion: number) => void;
}

/** The file each connection was opened from (an in-memory copy of a read-only file included). */
const files = new WeakMap<DB, string>();
/** The library database this process opened last: what damage met outside any connection's reach refers to. */
let lastFile: string | null = null;

export function lastOpenedDatabase(): string | null {
  return lastFile;
}

/** Whether nothing can be written through the connection (a read-only file, or a damaged one opened to read). */
export function isReadOnly(db: DB): boolean {
  return db.readonly || (db.pragma('query_only', { simple: true }) as number) === 1;
}

/** The library.db a connection reads, for error messages. */
export function databaseFile(db: DB): string {
  return files.get(db) ?? db.name;
}

export function openDatabase(file: string, options: OpenOptions = {}): DB {
  const list = options.migrations ?? migrations;
  const target = list.length ? list[list.length - 1].version : 0;
  const readOnly = options.mode === 'read' && !writable(file);
  if (!readOnly) mustBeWritable(file);
  const db = connect(file, readOnly);
  files.set(db, file);
  lastFile = file;
  try {
    const current = db.pragma('user_version', { simple: true }) as number;
    assertLenscribeDatabase(db, file);
    if (current > target) {
      throw new UserError(
        `library ${file} was written by a newer Lenscribe (schema version ${current}, this version knows up to ${target}); ` +
          'update Lenscribe to open it',
      );
    }
    if (readOnly && current < target) {
      throw new UserError(
        `library ${file} was made by an older Lenscribe and must be upgraded once, which needs write access to ${dirname(file)}`,
      );
    }
    if (!readOnly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    if (!readOnly) {
      if (current > 0 && current < target) options.beforeMigrate?.(db, current);
      migrate(db, list);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof UserError) throw err;
    const e = err as Error & { code?: string };
    if (e.code === 'SQLITE_NOTADB') throw new UserError(`${file} is not a Lenscribe library database (${e.message})`);
    // A Lenscribe library SQLite cannot read (a file cut short is refused at the first read): repair can restore it.
    if (e.code?.startsWith('SQLITE_CORRUPT')) throw new LibraryDamagedError(file, [e.message]);
    throw err;
  }
}

/** Whether SQLite could write the file (and, for WAL, create files beside it). */
function writable(file: string): boolean {
  try {
    accessSync(dirname(file), constants.W_OK);
    if (existsSync(file)) accessSync(file, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function mustBeWritable(file: string): void {
  if (existsSync(file) && !statSync(file).isFile()) throw new UserError(`library database ${file} is not a file`);
  makeDir(dirname(file), 'library folder');
  if (!writable(file)) {
    throw new UserError(
      `library ${file} is read-only (this user cannot write it or its folder ${dirname(file)}); only reading commands work`,
    );
  }
}

/**
 * A connection to the file. Read-only: SQLite cannot open a WAL database read-only in a folder it
 * cannot write (it needs the -shm file) unless that file is there, so then the database is read
 * into memory, marked as a rollback-journal database (header bytes 18-19), and queried there.
 */
function connect(file: string, readOnly: boolean): DB {
  try {
    if (!readOnly) return new Database(file, { timeout: 10_000 });
    if (!existsSync(file)) throw new Error('no such file');
    try {
      const db = new Database(file, { readonly: true, timeout: 10_000 });
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      return db;
    } catch {
      const bytes = readFileSync(file);
      if (bytes.length > 19 && bytes[18] === 2) bytes[18] = bytes[19] = 1;
      const db = new Database(bytes);
      db.pragma('query_only = ON');
      return db;
    }
  } catch (err) {
    throw new UserError(`cannot open library database ${file}: ${(err as Error).message}`);
  }
}

/** Tables every Lenscribe library has had since schema version 1 (libraries made before application_id). */
const OUR_TABLES = ['folders', 'photos', 'captions', 'photos_fts', 'features', 'models', 'jobs', 'job_items', 'settings'];

/**
 * Refuse a database another application made: ours carry LENSCRIBE_APPLICATION_ID, or (made
 * before migration 7) no application_id and Lenscribe's tables; a new empty file is ours to fill.
 */
export function assertLenscribeDatabase(db: DB, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId === LENSCRIBE_APPLICATION_ID) return;
  if (appId !== 0) {
    const hex = `0x${(appId >>> 0).toString(16).padStart(8, '0')}`;
    throw new UserError(`${file} belongs to another application (SQLite application_id ${hex}); Lenscribe leaves it untouched`);
  }
  const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
  if (tables.length === 0) return;
  const photoColumns = db.prepare(`SELECT name FROM pragma_table_info('photos')`).pluck().all() as string[];
  const ours = OUR_TABLES.every((t) => tables.includes(t)) && ['fts_key', 'caption_id', 'folder_id'].every((c) => photoColumns.includes(c));
  if (!ours) {
    const shown = tables.slice(0, 6).join(', ') + (tables.length > 6 ? ', …' : '');
    throw new UserError(`${file} is not a Lenscribe library (its tables: ${shown}); Lenscribe leaves it untouched`);
  }
}

function migrate(db: DB, list: Migration[]): void {
  for (const m of list) {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (m.version <= current) continue;
    if (m.version !== current + 1) throw new Error(`migration ${m.version} does not follow schema version ${current}`);
    // IMMEDIATE: two processes opening the same fresh library must not both migrate.
    db.transaction(() => {
      const again = db.pragma('user_version', { simple: true }) as number;
      if (again >= m.version) return;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export { latestVersion };
