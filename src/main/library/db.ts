/**
 * Opening a library database: WAL, foreign keys, numbered migrations applied in one
 * transaction each, and refusal of a database written by a newer Lenscribe.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { latestVersion, migrations, type Migration } from './migrations.js';

export type DB = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** For tests of the migration machinery; the shipped list otherwise. */
  migrations?: Migration[];
}

export function openDatabase(file: string, options: OpenOptions = {}): DB {
  const list = options.migrations ?? migrations;
  const target = list.length ? list[list.length - 1].version : 0;
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  let db: DB;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, timeout: 10_000 });
  } catch (err) {
    throw new UserError(`cannot open library database ${file}: ${(err as Error).message}`);
  }
  try {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > target) {
      throw new UserError(
        `library ${file} was written by a newer Lenscribe (schema version ${current}, this version knows up to ${target}); ` +
          'update Lenscribe to open it',
      );
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    if (!options.readonly) migrate(db, list);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof UserError) throw err;
    const e = err as Error & { code?: string };
    if (e.code === 'SQLITE_NOTADB' || e.code === 'SQLITE_CORRUPT') {
      throw new UserError(`${file} is not a Lenscribe library database (${e.message})`);
    }
    throw err;
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
