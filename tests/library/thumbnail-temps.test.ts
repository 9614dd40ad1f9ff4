/**
 * Thumbnail temporaries: a write that fails (a full disk, a target it cannot replace) leaves no
 * `.tmp` file behind, and the ones an earlier failure or kill left are removed when the library
 * opens, except those young enough to be another process's write in flight.
 */
import * as fs from 'node:fs';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STALE_TEMP_MS, writeThumbnailFile, type ThumbnailFs } from '../../src/inference/thumbnail-file.js';
import { Library } from '../../src/main/library/library.js';
import { tempDir } from './fixtures.js';

const temps = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

/** node:fs, except that a write runs out of space after creating its file, as on a full disk. */
const fullDisk: ThumbnailFs = {
  ...fs,
  writeFileSync: ((path: fs.PathOrFileDescriptor) => {
    fs.writeFileSync(path, new Uint8Array(0));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof fs.writeFileSync,
};

describe('writing a thumbnail', () => {
  it('writes the bytes whole and leaves no temporary file', () => {
    const dir = tempDir('lenscribe-thumbs-');
    expect(writeThumbnailFile(join(dir, 'a.webp'), Buffer.from('WEBP'))).toBe(true);
    expect(readFileSync(join(dir, 'a.webp'), 'utf8')).toBe('WEBP');
    expect(temps(dir)).toEqual([]);
  });

  it('removes its temporary file when the disk is full', () => {
    const dir = tempDir('lenscribe-thumbs-');
    expect(writeThumbnailFile(join(dir, 'a.webp'), Buffer.from('WEBP'), fullDisk)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes its temporary file when the rename fails', () => {
    const dir = tempDir('lenscribe-thumbs-');
    // A folder (not empty) where the thumbnail should go: the bytes are written, the rename cannot replace it.
    mkdirSync(join(dir, 'a.webp'));
    writeFileSync(join(dir, 'a.webp', 'x'), '');
    expect(writeThumbnailFile(join(dir, 'a.webp'), Buffer.from('WEBP'))).toBe(false);
    expect(temps(dir)).toEqual([]);
  });
});

describe('opening a library', () => {
  it('removes old thumbnail temporaries and keeps young ones and thumbnails', async () => {
    const dir = tempDir('lenscribe-thumbs-');
    const thumbs = join(dir, 'lib', 'thumbs');
    mkdirSync(thumbs, { recursive: true });
    const old = join(thumbs, `${'a'.repeat(64)}.webp.4242.k3j4.tmp`);
    const young = join(thumbs, `${'b'.repeat(64)}.webp.4243.x9y8.tmp`);
    const thumb = join(thumbs, `${'c'.repeat(64)}.webp`);
    for (const f of [old, young, thumb]) writeFileSync(f, '');
    const past = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(old, past, past);
    utimesSync(thumb, past, past);
    const lib = Library.open(join(dir, 'lib'), { registerDefaultModel: false, autoCaption: false });
    try {
      await expect.poll(() => fs.existsSync(old), { timeout: 5000 }).toBe(false);
      expect(fs.existsSync(young)).toBe(true);
      expect(fs.existsSync(thumb)).toBe(true);
    } finally {
      await lib.close();
    }
  });
});
