/**
 * Damage caught at open and repaired (issue 17, item 7), and the database-open items of item 8:
 * real libraries made by captioning Flickr8k photos, damaged by writing bytes into library.db's
 * pages, then used through the built CLI (dist/cli.js) as a user would.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupNow, listBackups, BACKUPS_KEPT } from '../../src/main/library/db-backup.js';
import { openDatabase } from '../../src/main/library/db.js';
import { Library } from '../../src/main/library/library.js';
import { LENSCRIBE_APPLICATION_ID, migrations } from '../../src/main/library/migrations.js';
import { damage } from './db-damage.js';
import { tempDir } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const CLI = resolve('dist/cli.js');
const modelDir = testModelDir();

function cli(args: string[], spawnOpts: { uid?: number; gid?: number; env?: Record<string, string> } = {}) {
  const { env, ...ids } = spawnOpts;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env }, ...ids });
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l && !l.startsWith('encoder: running on'))
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const lines = (s: string) => s.split('\n').filter(Boolean);

/** A library holding `n` Flickr8k photos captioned by the test model; closed, its WAL folded in. */
async function captionedLibrary(n: number, skip: number): Promise<{ libDir: string; photos: string }> {
  const d = tempDir();
  const photos = join(d, 'photos');
  mkdirSync(photos);
  flickrPhotos(n, skip).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${String(i).padStart(2, '0')}.jpg`)));
  const libDir = join(d, 'lib');
  const lib = Library.open(libDir, { registerDefaultModel: false });
  lib.registerModel(modelDir!, { activate: true });
  const { jobId } = await lib.addFolder(photos);
  await lib.waitForJob(jobId!);
  await lib.close();
  return { libDir, photos };
}

/** The longest word of the first caption: a word the search index must find. */
function aCaptionWord(libDir: string): { word: string; hits: number } {
  const db = new Database(join(libDir, 'library.db'), { readonly: true });
  const caption = db.prepare(`SELECT caption FROM photos WHERE caption IS NOT NULL ORDER BY id LIMIT 1`).pluck().get() as string;
  db.close();
  const word = caption.split(' ').sort((a, b) => b.length - a.length)[0];
  const r = cli(['search', word, '--library', libDir, '--json', '--no-similar', '--limit', '1000']);
  expect(r.status).toBe(0);
  return { word, hits: lines(r.stdout).length };
}

describe.skipIf(!modelDir)('a damaged search index', () => {
  let libDir: string;
  let photos: string;
  beforeAll(async () => {
    ({ libDir, photos } = await captionedLibrary(8, 700));
  }, 180_000);

  it('is said by search, status and caption, and `lenscribe repair` rebuilds it', () => {
    const dbFile = join(libDir, 'library.db');
    const { word, hits } = aCaptionWord(libDir);
    expect(hits).toBeGreaterThan(0);
    damage(dbFile, 'photos_fts_data', 'content');
    const captionsBefore = sha(dbFile);

    let r = cli(['search', word, '--library', libDir, '--no-similar']);
    expect(r.status).toBe(1); // not "0 matches" with exit 0
    expect(r.stderr).not.toMatch(/0 matches/);
    expect(r.stderr).toContain(`library database ${dbFile} is damaged`);
    expect(r.stderr).toContain(`lenscribe repair --library ${libDir}`);

    r = cli(['status', '--library', libDir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^lenscribe: warning: library database .* is damaged \(search index: fts5: corruption/);
    expect(r.stdout).toContain('photos: 8 (8 captioned');

    r = cli(['caption', photos, '--library', libDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`library database ${dbFile} is damaged`);
    expect(r.stderr).toContain('lenscribe repair');
    expect(sha(dbFile)).toBe(captionsBefore); // nothing written into it

    r = cli(['repair', '--library', libDir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('- rebuilt the search index from the photos and their captions');
    expect(r.stdout).toContain('- library.db passes the integrity check again; nothing else was changed');
    const copy = /kept a copy of the damaged database as (\S+)/.exec(r.stdout)![1];
    expect(copy).toMatch(/library\.db\.damaged-\d{8}T\d{9}Z$/);
    expect(sha(copy)).toBe(captionsBefore);

    expect(aCaptionWord(libDir).hits).toBe(hits);
    r = cli(['repair', '--check', '--library', libDir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/passes the integrity check and its search index is whole: nothing to repair/);
  }, 180_000);
});

describe.skipIf(!modelDir)('a damaged caption table', () => {
  it('refuses captioning, and repair restores the backup with the captions and tags written after it', async () => {
    const { libDir, photos } = await captionedLibrary(40, 760);
    const dbFile = join(libDir, 'library.db');
    // The backup holds every model caption; the user's caption and tag come after it.
    let lib = Library.open(libDir, { registerDefaultModel: false });
    const backup = backupNow(lib.db, libDir, 'daily');
    const last = lib.listPhotos({ limit: 100 }).items.at(-1)!;
    lib.setUserCaption(last.id, 'Grandma Rosa feeding the ducks at Lake Bled');
    lib.addTag(last.id, 'rosa');
    await lib.close();
    expect(damage(dbFile, 'captions', 'header', 0)).toBeGreaterThan(1); // the first leaf; the newest rows are on the last

    let r = cli(['caption', photos, '--library', libDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`library database ${dbFile} is damaged`);
    expect(r.stderr).toContain('lenscribe repair');

    r = cli(['repair', '--library', libDir, '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.done).toContain(
      `restored the backup ${backup} (taken ${new Date(listBackups(libDir).find((b) => b.file === backup)!.takenAt).toISOString()})`,
    );
    expect(report.done.join('\n')).toMatch(/1 of your captions, \d+ model captions, 1 of your tags/);
    expect(existsSync(report.damagedCopy)).toBe(true);

    const db = new Database(dbFile, { readonly: true });
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    db.close();
    lib = Library.open(libDir, { registerDefaultModel: false });
    try {
      const mine = lib.getPhoto(last.id)!;
      expect(mine.caption).toBe('Grandma Rosa feeding the ducks at Lake Bled');
      expect(mine.tags.map((t) => t.tag)).toContain('rosa');
      expect(lib.status().photos).toMatchObject({ total: 40, captioned: 40, userCaptioned: 1 });
      expect(lib.search('Rosa').hits.map((h) => h.photo.id)).toEqual([last.id]);
    } finally {
      await lib.close();
    }
  }, 240_000);
});

describe.skipIf(!modelDir)('a damaged photo table', () => {
  it("keeps the user's caption written after the backup on a photo whose row is unreadable", async () => {
    const { libDir } = await captionedLibrary(40, 880);
    let lib = Library.open(libDir, { registerDefaultModel: false });
    backupNow(lib.db, libDir, 'daily');
    const first = { id: 1, path: lib.photoPath(1)! };
    lib.setUserCaption(first.id, 'Uncle Tomasz on his red tractor');
    await lib.close();
    expect(damage(join(libDir, 'library.db'), 'photos', 'header', 0)).toBeGreaterThan(1); // photo 1's leaf

    const r = cli(['repair', '--library', libDir, '--json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.done.join('\n')).toMatch(/1 of your captions/);
    expect(report.done.join('\n')).toMatch(/could not read \d+ photos rows/);
    lib = Library.open(libDir, { registerDefaultModel: false });
    try {
      expect(lib.getPhoto(first.id)!.caption).toBe('Uncle Tomasz on his red tractor');
      expect(lib.photoPath(first.id)).toBe(first.path);
      expect(lib.status().photos).toMatchObject({ total: 40, captioned: 40, userCaptioned: 1 });
    } finally {
      await lib.close();
    }
  }, 240_000);
});

describe('which databases Lenscribe opens', () => {
  it("refuses another application's library.db and leaves it unchanged", () => {
    for (const [appId, message] of [
      [0, /is not a Lenscribe library \(its tables: notes\); Lenscribe leaves it untouched/],
      [0x12345678, /belongs to another application \(SQLite application_id 0x12345678\)/],
    ] as const) {
      const dir = tempDir();
      mkdirSync(join(dir, 'thumbs'));
      const file = join(dir, 'library.db');
      const other = new Database(file);
      other.exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')`);
      other.pragma(`application_id = ${appId}`);
      other.pragma('user_version = 3');
      other.close();
      const before = sha(file);
      for (const args of [['status'], ['caption', dir]]) {
        const r = cli([...args, '--library', dir]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain(file);
      }
      expect(sha(file)).toBe(before);
    }
  });

  it("marks new libraries as Lenscribe's and backs up an older one before migrating it", () => {
    const dir = tempDir();
    const file = join(dir, 'library.db');
    openDatabase(file, { migrations: migrations.filter((m) => m.version <= 6) }).close();
    expect(listBackups(dir)).toEqual([]);
    const lib = Library.open(dir, { registerDefaultModel: false });
    expect(lib.db.pragma('application_id', { simple: true })).toBe(LENSCRIBE_APPLICATION_ID);
    void lib.close();
    const [backup] = listBackups(dir).filter((b) => b.reason === 'before-migration');
    const old = new Database(backup.file, { readonly: true });
    expect(old.pragma('user_version', { simple: true })).toBe(6);
    old.close();
  });

  it('keeps the newest backups only', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'library.db'));
    for (let i = 0; i < BACKUPS_KEPT + 2; i++) backupNow(db, dir, 'before-activation');
    db.close();
    expect(listBackups(dir)).toHaveLength(BACKUPS_KEPT);
  });

  it.skipIf(!modelDir)('backs up before a model is activated', async () => {
    const dir = tempDir();
    const lib = Library.open(dir, { registerDefaultModel: false });
    try {
      const { id } = lib.registerModel(modelDir!);
      expect(listBackups(dir).filter((b) => b.reason === 'before-activation')).toEqual([]);
      lib.activateModel(id, { recaption: false });
      expect(listBackups(dir).filter((b) => b.reason === 'before-activation')).toHaveLength(1);
    } finally {
      await lib.close();
    }
  });

  it('`--library /proc/x` ends at once, naming the folder', () => {
    const started = Date.now();
    const r = cli(['caption', tempDir(), '--library', '/proc/x']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lenscribe: cannot make the (thumbnail|library) folder \/proc\/x/);
  });
});

// Root reads and writes any file, so the read-only library is tried as another user (nobody).
describe.skipIf(!modelDir || process.getuid?.() !== 0)('a library this user cannot write', () => {
  it('answers status and search, and a writing command names the read-only file', async () => {
    const { libDir, photos } = await captionedLibrary(4, 820);
    const { word, hits } = aCaptionWord(libDir);
    const ro = join(tempDir(), 'read-only-lib');
    cpSync(libDir, ro, { recursive: true });
    const home = tempDir();
    for (const d of [resolve(ro, '..'), home]) chmodSync(d, 0o777);
    for (const f of [ro, join(ro, 'library.db'), join(ro, 'thumbs')]) chmodSync(f, f.endsWith('.db') ? 0o444 : 0o555);
    const nobody = { uid: 65534, gid: 65534, env: { HOME: home, XDG_DATA_HOME: home, XDG_CACHE_HOME: home, XDG_CONFIG_HOME: home } };

    let r = cli(['status', '--library', ro], nobody);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('photos: 4 (4 captioned');
    r = cli(['search', word, '--library', ro, '--json', '--no-similar', '--limit', '1000'], nobody);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)).toHaveLength(hits);

    r = cli(['caption', photos, '--library', ro], nobody);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`library ${join(ro, 'library.db')} is read-only`);
  }, 180_000);
});
