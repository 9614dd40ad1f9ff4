import { exiftool } from 'exiftool-vendored';
import { copyFileSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/main/library/hash.js';
import { Library } from '../../src/main/library/library.js';
import { scanFolder } from '../../src/main/library/scanner.js';
import { tempDir, writeBrokenCorpus, writeJpeg, writePng, writeTruncatedJpeg } from './fixtures.js';

afterAll(async () => {
  await exiftool.end();
});

const openLib = (dir: string) => Library.open(join(dir, 'lib'), { registerDefaultModel: false });

describe('scanner', () => {
  it('walks recursively, skips hidden and system folders and non-photos, survives symlink loops', async () => {
    const root = tempDir();
    await writeJpeg(join(root, 'a.jpg'), 1);
    await writeJpeg(join(root, 'trip', 'day1', 'b.JPEG'), 2);
    await writePng(join(root, 'trip', 'c.png'), 3);
    await writeJpeg(join(root, '.hidden', 'h.jpg'), 4);
    await writeJpeg(join(root, '@eaDir', 'thumb.jpg'), 5);
    await writeJpeg(join(root, '$RECYCLE.BIN', 'gone.jpg'), 6);
    await writeJpeg(join(root, '._resource.jpg'), 7);
    writeFileSync(join(root, 'notes.txt'), 'hello');
    symlinkSync(root, join(root, 'trip', 'loop')); // a loop back to the root
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling.jpg'));
    const files: string[] = [];
    const loops: string[] = [];
    for await (const e of scanFolder(root)) {
      if (e.type === 'file') files.push(e.path.slice(root.length + 1));
      if (e.type === 'loop') loops.push(e.path);
    }
    expect(files.sort()).toEqual(['a.jpg', 'trip/c.png', 'trip/day1/b.JPEG']);
    expect(loops).toEqual([join(root, 'trip', 'loop')]);
  });

  it('hashes by streaming and equals the content hash of identical bytes', async () => {
    const d = tempDir();
    const a = await writeJpeg(join(d, 'a.jpg'), 9, 300);
    copyFileSync(a, join(d, 'b.jpg'));
    const [ha, hb] = await Promise.all([hashFile(a), hashFile(join(d, 'b.jpg'))]);
    expect(ha.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(ha.hash).toBe(hb.hash);
    expect(Array.from(ha.head.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
  });
});

describe('ingest', () => {
  it('records size, dimensions, hash, EXIF date, orientation and GPS', async () => {
    const d = tempDir();
    const photo = await writeJpeg(join(d, 'photos', 'exif.jpg'), 3, 64);
    await exiftool.write(
      photo,
      {
        DateTimeOriginal: '2021:07:14 10:20:30',
        'Orientation#': 6,
        GPSLatitude: 48.8584,
        GPSLatitudeRef: 'N',
        GPSLongitude: 2.2945,
        GPSLongitudeRef: 'E',
      } as never,
      { writeArgs: ['-overwrite_original'] },
    );
    const lib = openLib(d);
    try {
      const { scan } = await lib.addFolder(join(d, 'photos'), { caption: false });
      expect(scan.added).toBe(1);
      const row = lib.db.prepare('SELECT * FROM photos').get() as Record<string, unknown>;
      expect(row.width).toBe(64);
      expect(row.height).toBe(64);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.orientation).toBe(6);
      expect(new Date(row.taken_at as number).toISOString()).toMatch(/^2021-07-14T/);
      expect(row.gps_lat as number).toBeCloseTo(48.8584, 3);
      expect(row.gps_lon as number).toBeCloseTo(2.2945, 3);
      expect(row.status).toBe('pending');
    } finally {
      await lib.close();
    }
  });

  it('gives every broken file a specific error kind and keeps going', async () => {
    const d = tempDir();
    const expected = await writeBrokenCorpus(join(d, 'photos'));
    await writeJpeg(join(d, 'photos', 'good.jpg'), 1);
    await writeTruncatedJpeg(join(d, 'photos', 'truncated.jpg'), 2);
    const lib = openLib(d);
    try {
      const { scan } = await lib.addFolder(join(d, 'photos'), { caption: false });
      expect(scan.scanned).toBe(Object.keys(expected).length + 2);
      const rows = lib.db.prepare('SELECT name, status, error_kind, error FROM photos ORDER BY name').all() as Array<{
        name: string;
        status: string;
        error_kind: string | null;
        error: string | null;
      }>;
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      for (const [name, kind] of Object.entries(expected)) {
        expect(byName[name]?.status, name).toBe('error');
        expect(byName[name]?.error_kind, name).toBe(kind);
        expect(byName[name]?.error?.length, name).toBeGreaterThan(5);
      }
      expect(byName['good.jpg'].status).toBe('pending');
      // The header of a truncated JPEG reads fine; decoding it (the encoder) reports it.
      expect(byName['truncated.jpg'].status).toBe('pending');
      expect(lib.errorsByKind()).toEqual({ 'not-image': 2, empty: 1, corrupt: 1, 'too-large': 1 });
    } finally {
      await lib.close();
    }
  });

  it('rescans: unchanged files are skipped, changed ones go back to pending, moved ones keep their captions', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    const a = await writeJpeg(join(photos, 'a.jpg'), 1);
    const b = await writeJpeg(join(photos, 'b.jpg'), 2);
    const lib = openLib(d);
    try {
      const { folder } = await lib.addFolder(photos, { caption: false });
      const idA = lib.photoIdByPath(a)!;
      const idB = lib.photoIdByPath(b)!;
      lib.setUserCaption(idA, 'my grandmother in her garden');
      lib.db.prepare(`UPDATE photos SET status = 'captioned' WHERE id = ?`).run(idB);

      let { scan } = await lib.rescan(folder.id, { caption: false });
      expect(scan).toMatchObject({ scanned: 2, unchanged: 2, added: 0 });

      // Move a into a subfolder under a new name: same row, same caption.
      mkdirSync(join(photos, 'family'));
      renameSync(a, join(photos, 'family', 'grandma.jpg'));
      // Change b's content.
      await writeJpeg(b, 77);
      utimesSync(b, new Date(), new Date(Date.now() + 5000));
      ({ scan } = await lib.rescan(folder.id, { caption: false }));
      expect(scan).toMatchObject({ moved: 1, updated: 1 });
      expect(lib.photoIdByPath(join(photos, 'family', 'grandma.jpg'))).toBe(idA);
      expect(lib.getPhoto(idA)!.caption).toBe('my grandmother in her garden');
      expect(lib.getPhoto(idA)!.relPath).toBe('family/grandma.jpg');
      expect(lib.getPhoto(idB)!.status).toBe('pending');
      expect(lib.search('grandmother').hits[0].photo.id).toBe(idA);

      // Delete: kept as missing (user caption survives), hidden from lists and search.
      rmSync(join(photos, 'family', 'grandma.jpg'));
      ({ scan } = await lib.rescan(folder.id, { caption: false }));
      expect(scan.missing).toBe(1);
      expect(lib.getPhoto(idA)!.status).toBe('missing');
      expect(lib.search('grandmother').total).toBe(0);
      expect(lib.listPhotos().total).toBe(1);
      // It comes back (restored from a backup, say): same row, caption shown again.
      await writeJpeg(join(photos, 'restored.jpg'), 1);
      ({ scan } = await lib.rescan(folder.id, { caption: false }));
      expect(scan.moved).toBe(1);
      expect(lib.getPhoto(idA)!.caption).toBe('my grandmother in her garden');
      expect(lib.search('grandmother').total).toBe(1);
      lib.db.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`);
    } finally {
      await lib.close();
    }
  });

  it('imports descriptions other apps wrote (sidecar .txt, XMP) as user captions, ignoring camera boilerplate', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    await writeJpeg(join(photos, 'a.jpg'), 1);
    writeFileSync(join(photos, 'a.txt'), 'Auntie Mae at the harvest fair\n');
    const b = await writeJpeg(join(photos, 'b.jpg'), 2);
    await exiftool.write(b, { 'XMP-dc:Description': 'Sunset over the estuary' } as never, { writeArgs: ['-overwrite_original'] });
    const c = await writeJpeg(join(photos, 'c.jpg'), 3);
    await exiftool.write(c, { ImageDescription: 'OLYMPUS DIGITAL CAMERA' } as never, { writeArgs: ['-overwrite_original'] });
    const lib = openLib(d);
    try {
      await lib.addFolder(photos, { caption: false });
      const get = (n: string) => lib.getPhoto(lib.photoIdByPath(join(photos, n))!)!;
      expect(get('a.jpg').caption).toBe('Auntie Mae at the harvest fair');
      expect(get('a.jpg').captionSource).toMatch(/^import:/);
      expect(get('b.jpg').caption).toBe('Sunset over the estuary');
      expect(get('c.jpg').caption).toBeNull();
      expect(lib.search('estuary').hits.map((h) => h.photo.name)).toEqual(['b.jpg']);
      // A rescan does not import them twice.
      await lib.rescan(lib.listFolders()[0].id, { caption: false });
      expect(get('a.jpg').history).toHaveLength(1);
    } finally {
      await lib.close();
    }
  });

  it('recognises duplicates by content hash', async () => {
    const d = tempDir();
    const a = await writeJpeg(join(d, 'p', 'a.jpg'), 5);
    copyFileSync(a, join(d, 'p', 'copy of a.jpg'));
    const lib = openLib(d);
    try {
      await lib.addFolder(join(d, 'p'), { caption: false });
      const rows = lib.db.prepare('SELECT hash, count(*) AS n FROM photos GROUP BY hash').all() as Array<{ n: number }>;
      expect(rows).toHaveLength(1);
      expect(rows[0].n).toBe(2);
    } finally {
      await lib.close();
    }
  });

  it('treats a folder inside a library folder as that folder, and a parent as absorbing it', async () => {
    const d = tempDir();
    await writeJpeg(join(d, 'all', 'x', 'a.jpg'), 1);
    await writeJpeg(join(d, 'all', 'y', 'b.jpg'), 2);
    const lib = openLib(d);
    try {
      const first = await lib.addFolder(join(d, 'all', 'x'), { caption: false });
      const again = await lib.addFolder(join(d, 'all', 'x'), { caption: false });
      expect(again.folder.id).toBe(first.folder.id);
      const parent = await lib.addFolder(join(d, 'all'), { caption: false });
      expect(lib.listFolders().map((f) => f.path)).toEqual([parent.folder.path]);
      expect(parent.folder.photoCount).toBe(2);
      await expect(lib.addFolder(join(d, 'nope'))).rejects.toThrow(/folder not found/);
    } finally {
      await lib.close();
    }
  });
});
