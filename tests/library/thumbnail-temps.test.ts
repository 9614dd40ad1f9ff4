/**
 * Thumbnail temporaries: a write that fails (a full disk, a target it cannot replace) leaves no
 * `.tmp` file behind, and the ones an earlier failure or kill left are removed when the library
 * opens: old ones and those whose writer has ended, not another running process's write in flight.
 */
import { spawnSync } from 'node:child_process';
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
  it("removes old temporaries and those of ended writers, and keeps a running writer's and thumbnails", async () => {
    const dir = tempDir('lenscribe-thumbs-');
    const thumbs = join(dir, 'lib', 'thumbs');
    mkdirSync(thumbs, { recursive: true });
    const ended = spawnSync(process.execPath, ['-e', '']).pid; // a pid whose process has exited
    const old = join(thumbs, `${'a'.repeat(64)}.webp.${process.pid}.k3j4.tmp`);
    const killed = join(thumbs, `${'d'.repeat(64)}.webp.${ended}.q7w2.tmp`);
    const inFlight = join(thumbs, `${'b'.repeat(64)}.webp.${process.pid}.x9y8.tmp`);
    const thumb = join(thumbs, `${'c'.repeat(64)}.webp`);
    for (const f of [old, killed, inFlight, thumb]) writeFileSync(f, '');
    const past = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(old, past, past);
    utimesSync(thumb, past, past);
    const lib = Library.open(join(dir, 'lib'), { registerDefaultModel: false, autoCaption: false });
    await lib.close(); // close waits for the sweep
    expect([old, killed, inFlight, thumb].map((f) => fs.existsSync(f))).toEqual([false, false, true, true]);
  });
});
