/**
 * A library kept inside a photo folder never takes its own files for photos: captioning the
 * folder again and again keeps the photo count, the watcher ignores the thumbnails it writes,
 * and a folder that holds a library (or lies in one) is refused with why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from './fixtures.js';

let lib: Library | null = null;
afterEach(async () => {
  await lib?.close();
  lib = null;
});

const hasDefaultModel = existsSync(join('models', 'default', 'model.json'));

describe('a library inside a photo folder', () => {
  it.skipIf(!hasDefaultModel)(
    'caption P --library P/lib three times keeps the photo count',
    async () => {
      const photos = join(tempDir(), 'P');
      for (let i = 0; i < 2; i++) await writeJpeg(join(photos, `p${i}.jpg`), i + 1, 96);
      const libDir = join(photos, 'lib');
      const counts: number[] = [];
      for (let run = 0; run < 3; run++) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'caption', photos, '--library', libDir, '--json'], {
          encoding: 'utf8',
          timeout: 180_000,
        });
        expect(r.status, r.stderr).toBe(0);
        const l = Library.open(libDir, { registerDefaultModel: false, autoCaption: false });
        counts.push(l.info().photoCount);
        await l.close();
      }
      expect(counts).toEqual([2, 2, 2]);
    },
    600_000,
  );

  it('the watcher does not ingest the thumbnails written into the library', async () => {
    const photos = join(tempDir(), 'P');
    await writeJpeg(join(photos, 'first.jpg'), 1);
    lib = Library.open(join(photos, 'lib'), { registerDefaultModel: false, autoCaption: false });
    await lib.addFolder(photos, { caption: false });
    await lib.watch({ settleMs: 100, debounceMs: 50 });
    // What captioning writes: a thumbnail (a real WebP) in the library's thumbs/, beside a new photo.
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 9, g: 99, b: 199 } } })
      .webp()
      .toFile(join(lib.thumbsDir(), 'deadbeef.webp'));
    await writeJpeg(join(photos, 'second.jpg'), 2);
    const end = Date.now() + 60_000;
    while (lib.photoIdByPath(join(photos, 'second.jpg')) === null && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500)); // the thumbnail's own settle time and debounce
    await lib.watchSettled();
    expect(lib.listPhotos({ limit: 10 }).items.map((p) => p.relPath)).toEqual(['first.jpg', 'second.jpg']);
  }, 90_000);

  it('refuses a folder that holds a library or lies in one, and skips libraries inside a folder it scans', async () => {
    const d = tempDir();
    await writeJpeg(join(d, 'P', 'a.jpg'), 1);
    const other = Library.open(join(d, 'P', 'other-lib'), { registerDefaultModel: false });
    await other.close();
    await writeJpeg(join(d, 'P', 'other-lib', 'thumbs', 'cafe.webp.jpg'), 2);
    lib = Library.open(join(d, 'lib'), { registerDefaultModel: false, autoCaption: false });
    const inLib = join(d, 'P', 'other-lib');
    expect(() => lib!.planFolder(inLib)).toThrow(`${inLib} holds a Lenscribe library`);
    mkdirSync(join(inLib, 'thumbs', 'x'));
    expect(() => lib!.planFolder(join(inLib, 'thumbs', 'x'))).toThrow(`is inside the Lenscribe library at ${inLib}`);
    const { scan } = await lib.addFolder(join(d, 'P'), { caption: false });
    expect(scan.added).toBe(1);
    expect(lib.listPhotos().items.map((p) => p.relPath)).toEqual(['a.jpg']);
  });
});
