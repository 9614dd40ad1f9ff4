import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DB } from '../../src/main/library/db.js';
import { latestVersion, migrations } from '../../src/main/library/migrations.js';
import { Library } from '../../src/main/library/library.js';
import { UserError } from '../../src/shared/errors.js';
import { tempDir, writeJpeg } from './fixtures.js';

const open: DB[] = [];
afterEach(() => {
  while (open.length) open.pop()!.close();
});

describe('library database', () => {
  it('creates the schema with WAL, foreign keys and the latest version', () => {
    const db = openDatabase(join(tempDir(), 'library.db'));
    open.push(db);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion);
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name`).all() as Array<{ name: string }>
    ).map((r) => r.name);
    for (const t of ['folders', 'photos', 'captions', 'features', 'models', 'jobs', 'job_items', 'photos_fts', 'settings'])
      expect(tables).toContain(t);
    const fts = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'photos_fts'`).get() as { sql: string };
    expect(fts.sql).toContain('porter unicode61');
    expect(fts.sql).toContain("prefix = '2 3 4'");
  });

  it('applies numbered migrations once each, in order, and reopens cleanly', () => {
    const file = join(tempDir(), 'library.db');
    openDatabase(file).close();
    const extra = [...migrations, { version: latestVersion + 1, sql: 'ALTER TABLE photos ADD COLUMN rating INTEGER' }];
    const db = openDatabase(file, { migrations: extra });
    open.push(db);
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion + 1);
    expect((db.prepare(`SELECT count(*) AS n FROM pragma_table_info('photos') WHERE name = 'rating'`).get() as { n: number }).n).toBe(1);
    db.close();
    open.pop();
    const again = openDatabase(file, { migrations: extra });
    open.push(again);
    expect(again.pragma('user_version', { simple: true })).toBe(latestVersion + 1);
  });

  it('rolls back a failing migration entirely', () => {
    const file = join(tempDir(), 'library.db');
    openDatabase(file).close();
    const bad = [...migrations, { version: latestVersion + 1, sql: 'CREATE TABLE half (x); SELECT * FROM no_such_table;' }];
    expect(() => openDatabase(file, { migrations: bad })).toThrow(/no_such_table/);
    const db = openDatabase(file);
    open.push(db);
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'`).get()).toEqual({ n: 0 });
  });

  it('refuses a database written by a newer version with a clear message', () => {
    const file = join(tempDir(), 'library.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${latestVersion + 5}`);
    raw.close();
    expect(() => openDatabase(file)).toThrow(UserError);
    expect(() => openDatabase(file)).toThrow(/newer Lenscribe.*update Lenscribe/);
  });

  it('refuses a file that is not a database', () => {
    const file = join(tempDir(), 'library.db');
    writeFileSync(file, 'hello, I am not SQLite'.repeat(100));
    expect(() => openDatabase(file)).toThrow(/not a Lenscribe library database/);
  });

  it('keeps the shown caption: newest user caption, else newest model caption; FTS follows', async () => {
    const dir = tempDir();
    const photos = join(dir, 'photos');
    await writeJpeg(join(photos, 'a.jpg'), 1);
    const lib = Library.open(join(dir, 'lib'), { registerDefaultModel: false });
    try {
      await lib.addFolder(photos, { caption: false });
      const id = lib.listPhotos().items[0].id;
      const ins = lib.db.prepare(`INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, ?, ?)`);
      ins.run(id, 'a dog runs on the beach', 'model-a', 0, 1);
      expect(lib.getPhoto(id)!.caption).toBe('a dog runs on the beach');
      expect(lib.search('beach').hits.map((h) => h.photo.id)).toEqual([id]);
      lib.setUserCaption(id, 'Rex at Brighton');
      ins.run(id, 'a brown dog in the water', 'model-b', 0, 2);
      const p = lib.getPhoto(id)!;
      expect(p.caption).toBe('Rex at Brighton');
      expect(p.captionSource).toBe('user');
      expect(p.history.map((c) => c.text)).toEqual(['a brown dog in the water', 'Rex at Brighton', 'a dog runs on the beach']);
      expect(lib.search('beach').total).toBe(0);
      expect(lib.search('brighton').total).toBe(1);
      lib.clearUserCaption(id);
      expect(lib.getPhoto(id)!.caption).toBe('a brown dog in the water');
      expect(lib.search('water').total).toBe(1);
      expect(lib.search('brighton').total).toBe(0);
      lib.db.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`);
    } finally {
      await lib.close();
    }
  });

  it('deleting a folder cascades to photos, captions and the index', async () => {
    const dir = tempDir();
    await writeJpeg(join(dir, 'p', 'a.jpg'), 2);
    const lib = Library.open(join(dir, 'lib'), { registerDefaultModel: false });
    try {
      const { folder } = await lib.addFolder(join(dir, 'p'), { caption: false });
      lib.setUserCaption(lib.listPhotos().items[0].id, 'a red kite');
      expect(lib.removeFolder(folder.id)).toBe(true);
      expect(lib.db.prepare('SELECT count(*) AS n FROM captions').get()).toEqual({ n: 0 });
      expect(lib.search('kite').total).toBe(0);
      lib.db.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`);
    } finally {
      await lib.close();
    }
  });
});
