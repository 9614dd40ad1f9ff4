import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEncoder, type Encoder } from '../../src/inference/encoder/index.js';
import { FeatureStore, extractFeatures } from '../../src/inference/feature-cache.js';
import { mirrorPixels } from '../../src/inference/encoder/preprocess.js';
import { withFileLock } from '../../src/shared/file-lock.js';

const OUTPUTS = ['block_10_expand_relu', 'out_relu'];
let encoder: Encoder;
let work: string;
let photos: string[];

beforeAll(async () => {
  encoder = await openEncoder({ name: 'mobilenet_v2', threads: 1, batchSize: 4, log: () => {} });
  work = mkdtempSync(join(tmpdir(), 'lenscribe-features-'));
  // Real photos (the repository's samples), copied so the test can touch and change them.
  photos = readdirSync('samples')
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => {
      copyFileSync(join('samples', f), join(work, f));
      return join(work, f);
    });
  writeFileSync(join(work, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]));
});
afterAll(async () => {
  await encoder?.close();
});

describe('feature cache', () => {
  it('extracts real encoder features once, then serves them from disk bit for bit', async () => {
    const cacheDir = join(work, 'cache1');
    const paths = [...photos, join(work, 'broken.jpg'), join(work, 'absent.jpg')];
    const progress: number[] = [];
    const first = await extractFeatures(encoder, paths, { cacheDir, outputs: OUTPUTS, onProgress: (p) => progress.push(p.done) });
    expect(first.dim).toBe(384 + 1280);
    expect(first.computed).toBe(photos.length);
    expect(first.cached).toBe(0);
    expect(progress.at(-1)).toBe(paths.length);
    expect([...first.rowOf]).toEqual([...photos.map((_, i) => i), -1, -1]);
    expect(first.failures.map((f) => [f.path, f.kind])).toEqual(
      expect.arrayContaining([
        [join(work, 'absent.jpg'), 'missing'],
        [join(work, 'broken.jpg'), expect.stringMatching(/corrupt|truncated|unsupported/)],
      ]),
    );

    // The cached rows are the encoder's own outputs, concatenated in the order asked.
    const direct = await encoder.encodeFiles(photos, { outputs: OUTPUTS, thumbnail: false });
    for (let i = 0; i < photos.length; i++) {
      const item = direct[i]!;
      if (!item.ok) throw new Error(item.error.message);
      const row = first.features.subarray(i * first.dim, (i + 1) * first.dim);
      const want = new Float32Array([...item.features.block_10_expand_relu!, ...item.features.out_relu!]);
      let maxDiff = 0;
      for (let k = 0; k < want.length; k++) maxDiff = Math.max(maxDiff, Math.abs(row[k]! - want[k]!));
      expect(maxDiff).toBeLessThan(1e-4);
    }
    // Different photos give different features (not a constant).
    expect(first.features.subarray(0, 384)).not.toEqual(first.features.subarray(first.dim, first.dim + 384));

    const second = await extractFeatures(encoder, paths, { cacheDir, outputs: OUTPUTS });
    expect(second.computed).toBe(0);
    expect(second.cached).toBe(photos.length);
    expect(second.features).toEqual(first.features);

    // One output alone comes from the same store.
    const onlyFinal = await extractFeatures(encoder, photos, { cacheDir, outputs: ['out_relu'] });
    expect(onlyFinal.computed).toBe(0);
    expect(onlyFinal.features.subarray(0, 1280)).toEqual(first.features.subarray(384, 1664));
  });

  it('re-extracts a photo that changed on disk', async () => {
    const cacheDir = join(work, 'cache2');
    await extractFeatures(encoder, photos, { cacheDir, outputs: ['out_relu'] });
    copyFileSync(photos[1]!, photos[0]!); // the first photo now holds the second's pixels
    const t = new Date(Date.now() + 5000);
    utimesSync(photos[0]!, t, t);
    const again = await extractFeatures(encoder, photos, { cacheDir, outputs: ['out_relu'] });
    expect(again.computed).toBe(1);
    expect(again.cached).toBe(photos.length - 1);
    const a = again.features.subarray(0, 1280);
    const b = again.features.subarray(1280, 2560);
    let maxDiff = 0;
    for (let k = 0; k < 1280; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('resumes after an interrupted run and repairs half-written appends', async () => {
    const cacheDir = join(work, 'cache3');
    // Enough photos that aborting after the first batch leaves some undone (8 decodes run ahead).
    const many = Array.from({ length: 24 }, (_, i) => {
      const p = join(work, `copy-${i}.jpg`);
      copyFileSync(photos[i % photos.length]!, p);
      return p;
    });
    const controller = new AbortController();
    let seen = 0;
    await expect(
      extractFeatures(encoder, many, {
        cacheDir,
        outputs: ['block_10_expand_relu'],
        flushEvery: 1,
        signal: controller.signal,
        onProgress: (p) => {
          seen = p.computed;
          if (p.computed >= 1) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    expect(seen).toBeGreaterThanOrEqual(1);

    // Simulate a crash in the middle of an append: data bytes and half an index line.
    const store = FeatureStore.open(cacheDir, encoder.id, 'block_10_expand_relu', 384);
    const rowsBefore = store.size;
    expect(rowsBefore).toBeGreaterThanOrEqual(1);
    expect(rowsBefore).toBeLessThan(many.length);
    appendFileSync(store.dataPath, Buffer.alloc(384 * 4 + 10, 7));
    appendFileSync(store.indexPath, '{"file": "/half/writ');
    const reopened = FeatureStore.open(cacheDir, encoder.id, 'block_10_expand_relu', 384);
    expect(reopened.size).toBe(rowsBefore);
    expect(statSync(reopened.dataPath).size).toBe(rowsBefore * 384 * 4);

    const resumed = await extractFeatures(encoder, many, { cacheDir, outputs: ['block_10_expand_relu'] });
    expect(resumed.cached).toBe(rowsBefore);
    expect(resumed.computed).toBe(many.length - rowsBefore);
    expect(resumed.failures).toEqual([]);
  });
});

describe('mirror features (test-time flip averaging)', () => {
  it('encodes the mirror image, caches it separately, and averages like the caption pipeline', async () => {
    const cacheDir = join(work, 'cache4');
    const two = photos.slice(0, 2);
    const plain = await extractFeatures(encoder, two, { cacheDir, outputs: ['out_relu'] });
    const mirrored = await extractFeatures(encoder, two, { cacheDir, outputs: ['out_relu'], flip: 'mirror' });
    expect(mirrored.computed).toBe(2);
    // Check the mirror row against the encoder run directly on the mirrored pixels.
    const prepared = await encoder.preparePhoto(two[0]!, { thumbnail: false });
    const S = encoder.inputSize;
    const direct = await encoder.encodeTensors(mirrorPixels(prepared.input, S), 1, ['out_relu']);
    let maxDiff = 0;
    for (let k = 0; k < 1280; k++) maxDiff = Math.max(maxDiff, Math.abs(mirrored.features[k]! - direct.out_relu![k]!));
    expect(maxDiff).toBeLessThan(1e-4);
    // A real photo is not symmetric: its mirror gives different features.
    let diff = 0;
    for (let k = 0; k < 1280; k++) diff = Math.max(diff, Math.abs(mirrored.features[k]! - plain.features[k]!));
    expect(diff).toBeGreaterThan(1e-3);

    const averaged = await extractFeatures(encoder, [...two, join(work, 'broken.jpg')], {
      cacheDir,
      outputs: ['out_relu'],
      flip: 'average',
    });
    expect(averaged.computed).toBe(0); // both passes come from the cache
    expect([...averaged.rowOf]).toEqual([0, 1, -1]);
    expect(averaged.failures.map((f) => f.path)).toEqual([join(work, 'broken.jpg')]);
    for (let k = 0; k < 2560; k++) expect(averaged.features[k]).toBe(Math.fround((plain.features[k]! + mirrored.features[k]!) / 2));
  });

  it('mirrors pixels left to right', () => {
    // 2×2 RGB: pixel (y, x) has value 10y + x in every channel.
    const img = new Uint8Array([0, 0, 0, 1, 1, 1, 10, 10, 10, 11, 11, 11]);
    expect([...mirrorPixels(img, 2)]).toEqual([1, 1, 1, 0, 0, 0, 11, 11, 11, 10, 10, 10]);
  });
});

describe('a store shared by two processes', () => {
  const key = (file: string) => ({ file, size: 1, mtime: 1 });
  const rows = (...xs: number[]) => new Float32Array(xs.flatMap((x) => [x, x + 0.25, x + 0.5, x + 0.75]));
  const readRow = (s: FeatureStore, file: string) => {
    const out = new Float32Array(4);
    return s.read(file, out, 0) ? [...out] : null;
  };

  it('keeps every row with its own file when two openers append in turns (a training run and an eval at once)', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lenscribe-features-shared-'));
    // Two FeatureStore objects on one folder see the files as two processes do: each its own count.
    const a = FeatureStore.open(cacheDir, 'enc@1', 'pooled', 4);
    const b = FeatureStore.open(cacheDir, 'enc@1', 'pooled', 4);
    a.append([key('/a1'), key('/a2')], rows(1, 2));
    b.append([key('/b1'), key('/b2')], rows(11, 12));
    a.append([key('/a3')], rows(3));
    b.append([key('/b3')], rows(13));
    expect(readRow(a, '/a3')).toEqual([...rows(3)]);
    expect(readRow(b, '/b1')).toEqual([...rows(11)]);
    expect(readRow(b, '/b3')).toEqual([...rows(13)]);
    const c = FeatureStore.open(cacheDir, 'enc@1', 'pooled', 4);
    expect(c.size).toBe(6);
    for (const [file, x] of [
      ['/a1', 1],
      ['/a2', 2],
      ['/a3', 3],
      ['/b1', 11],
      ['/b2', 12],
      ['/b3', 13],
    ] as const)
      expect(readRow(c, file)).toEqual([...rows(x)]);
    expect(readdirSync(join(cacheDir, 'enc@1')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('reads a store too large to hold whole a row at a time, with the same values', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lenscribe-features-rows-'));
    const whole = FeatureStore.open(cacheDir, 'enc@1', 'grid', 4);
    whole.append([key('/a'), key('/b'), key('/c')], rows(1, 2, 3));
    // Any store above 8 bytes is read row by row here.
    const byRow = FeatureStore.open(cacheDir, 'enc@1', 'grid', 4, { wholeFileBytes: 8 });
    for (const file of ['/b', '/a', '/c']) expect(readRow(byRow, file)).toEqual(readRow(whole, file));
    expect(readRow(byRow, '/c')).toEqual([...rows(3)]);
  });

  it('takes over a lock its dead owner left, and waits for (then gives up on) a live one', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lenscribe-features-lock-'));
    const store = FeatureStore.open(cacheDir, 'enc@1', 'pooled', 4);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(store.lockPath, dead);
    store.append([key('/x')], rows(5));
    expect(readRow(FeatureStore.open(cacheDir, 'enc@1', 'pooled', 4), '/x')).toEqual([...rows(5)]);
    writeFileSync(store.lockPath, String(process.ppid)); // alive: the test runner's parent
    expect(() => withFileLock(store.lockPath, () => 1, { timeoutMs: 150 })).toThrow(/locked by another process/);
  });
});
