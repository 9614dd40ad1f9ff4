/**
 * The encoder runtime: worker-thread client, batched encodeFiles over real photos mixed
 * with broken files, output selection by role, cancellation, execution-provider choice.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCard } from '../../src/inference/encoder/card.js';
import { openEncoderWorker, type EncoderWorkerClient } from '../../src/inference/encoder/encoder-client.js';
import { openEncoder, type Encoder } from '../../src/inference/encoder/encoder.js';
import type { EncodedItem } from '../../src/inference/encoder/encode-pipeline.js';
import { platformProviders, requestedProviders } from '../../src/inference/encoder/session.js';
import { makeBrokenCorpus } from './encoder-corpus.js';
import { datasetPath } from '../../src/shared/paths.js';

const FLICKR = datasetPath('flickr8k', 'images');
const photos = readdirSync(FLICKR)
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .filter((_, i) => i % 997 === 0)
  .map((f) => join(FLICKR, f));

let dir: string;
let worker: EncoderWorkerClient;
let local: Encoder;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-encoder-'));
  worker = await openEncoderWorker({ name: 'mobilenet_v2', provider: 'cpu', threads: 1, batchSize: 3, log: (l) => logs.push(l) });
  local = await openEncoder({ name: 'mobilenet_v2', provider: 'cpu', log: () => {} });
});
afterAll(async () => {
  await worker?.close();
  await local?.close();
  rmSync(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('encodeFiles in a worker thread', () => {
  it('gives features for photos and a specific error for each broken file, in input order', async () => {
    const corpus = await makeBrokenCorpus(join(dir, 'broken'));
    // Interleave so broken files land inside batches of good ones.
    const paths: string[] = [];
    const expected: Array<string | undefined> = [];
    photos.forEach((p, i) => {
      paths.push(p);
      expected.push(undefined);
      if (corpus[i]) {
        paths.push(corpus[i].file);
        expected.push(corpus[i].kind);
      }
    });
    for (const c of corpus.slice(photos.length)) {
      paths.push(c.file);
      expected.push(c.kind);
    }
    const seen: number[] = [];
    const items = await worker.encodeFiles(paths, { outputs: ['final', 'imagenet'], onItem: (_, i) => seen.push(i) });

    expect(items).toHaveLength(paths.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(paths.map((_, i) => i));
    items.forEach((item, i) => {
      expect(item.path).toBe(paths[i]);
      if (expected[i] === undefined) {
        expect(item.ok, `${paths[i]}: ${item.ok ? '' : item.error.message}`).toBe(true);
        if (!item.ok) return;
        expect(item.features.out_relu).toHaveLength(1280);
        expect(item.features.block_10_expand_relu).toHaveLength(384);
        expect(item.features.out_relu.every(Number.isFinite)).toBe(true);
        expect(item.photo.thumbnail?.length).toBeGreaterThan(100);
        expect([item.photo.width, item.photo.height]).toEqual([224, 224]); // Flickr8k copies are 224×224
      } else {
        expect(item.ok).toBe(false);
        if (!item.ok) expect({ path: item.path, kind: item.error.kind }).toEqual({ path: paths[i], kind: expected[i] });
      }
    });
    expect(worker.provider).toBe('cpu');
    expect(logs).toEqual(['encoder: running on cpu with 1 threads']);
  });

  it('matches the in-thread encoder run on the same prepared input', async () => {
    const [item] = await worker.encodeFiles([photos[1]], { outputs: ['out_relu'] });
    expect(item.ok).toBe(true);
    const prepared = await local.preparePhoto(photos[1]);
    const direct = await local.encodeTensors(prepared.input, 1, ['out_relu']);
    expect(maxAbsDiff((item as Extract<EncodedItem, { ok: true }>).features.out_relu, direct.out_relu)).toBeLessThan(1e-5);
  });

  it('stops on abort and rejects with an AbortError after the files in flight', async () => {
    const ac = new AbortController();
    const done: number[] = [];
    const many = [...photos, ...photos, ...photos];
    const run = worker.encodeFiles(many, { thumbnail: false, signal: ac.signal, onItem: (_, i) => (done.push(i), ac.abort()) });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(many.length);
    // The worker is still usable afterwards.
    const again = await worker.encodeFiles([photos[0]], { thumbnail: false });
    expect(again[0].ok).toBe(true);
  });
});

describe('Encoder', () => {
  it('exposes an id made of the name and the model file sha256, and the card', () => {
    const card = loadCard('mobilenet_v2');
    expect(local.id).toBe(`mobilenet_v2@${card.sha256.slice(0, 16)}`);
    expect(local.inputSize).toBe(224);
    expect(local.card.outputs.map((o) => [o.role, o.name, o.dims])).toEqual([
      ['final', 'out_relu', [1280]],
      ['imagenet', 'block_10_expand_relu', [384]],
      ['grid', 'out_relu_grid', [7, 7, 1280]],
    ]);
  });

  it('a batch of N equals N single runs; the grid averages to the pooled feature', async () => {
    const prepared = await Promise.all(photos.slice(0, 3).map((p) => local.preparePhoto(p, { thumbnail: false })));
    const pixels = new Uint8Array(3 * 224 * 224 * 3);
    prepared.forEach((p, i) => pixels.set(p.input, i * p.input.length));
    const batch = await local.encodeTensors(pixels, 3, ['final', 'grid']);
    expect(batch.out_relu).toHaveLength(3 * 1280);
    expect(batch.out_relu_grid).toHaveLength(3 * 49 * 1280);
    for (let i = 0; i < 3; i++) {
      const one = await local.encodeTensors(prepared[i].input, 1, ['out_relu']);
      expect(maxAbsDiff(one.out_relu, batch.out_relu.subarray(i * 1280, (i + 1) * 1280))).toBeLessThan(1e-5);
      // NHWC grid: mean over the 49 cells is the pooled vector.
      const mean = new Float32Array(1280);
      for (let cell = 0; cell < 49; cell++) for (let c = 0; c < 1280; c++) mean[c] += batch.out_relu_grid[(i * 49 + cell) * 1280 + c] / 49;
      expect(maxAbsDiff(mean, batch.out_relu.subarray(i * 1280, (i + 1) * 1280))).toBeLessThan(1e-4);
    }
  });

  it('rejects unknown outputs and wrongly sized input', async () => {
    await expect(local.encodeTensors(new Uint8Array(10), 1)).rejects.toThrow(/not 1×224×224×3/);
    await expect(local.encodeTensors(new Uint8Array(224 * 224 * 3), 1, ['nope'])).rejects.toThrow(/no output nope/);
  });

  it('opens InceptionV3 at 299×299 with its mixed5/mixed10 features', async () => {
    const inc = await openEncoder({ name: 'inception_v3', provider: 'cpu', log: () => {} });
    try {
      const [item] = await inc.encodeFiles([photos[2]], { outputs: ['final', 'imagenet', 'grid'], thumbnail: false });
      expect(item.ok).toBe(true);
      if (!item.ok) return;
      expect(inc.inputSize).toBe(299);
      expect(item.features.mixed10).toHaveLength(2048);
      expect(item.features.mixed5).toHaveLength(768);
      expect(item.features.mixed10_grid).toHaveLength(8 * 8 * 2048);
    } finally {
      await inc.close();
    }
  });
});

describe('execution providers', () => {
  it('lists platform providers in order, CPU last', () => {
    expect(platformProviders('win32')).toEqual(['dml', 'cpu']);
    expect(platformProviders('darwin')).toEqual(['coreml', 'cpu']);
    expect(platformProviders('linux')).toEqual(['cuda', 'cpu']);
    expect(platformProviders('freebsd')).toEqual(['cpu']);
    expect(requestedProviders('cuda, cpu')).toEqual(['cuda', 'cpu']);
    expect(() => requestedProviders('tpu')).toThrow(/unknown execution provider "tpu"/);
  });

  it('honours LENSCRIBE_EP', () => {
    const old = process.env.LENSCRIBE_EP;
    process.env.LENSCRIBE_EP = 'cpu';
    try {
      expect(requestedProviders()).toEqual(['cpu']);
    } finally {
      if (old === undefined) delete process.env.LENSCRIBE_EP;
      else process.env.LENSCRIBE_EP = old;
    }
  });

  it.skipIf(process.platform !== 'linux')('falls back to CPU with one log line naming the skipped provider and why', async () => {
    const lines: string[] = [];
    const enc = await openEncoder({ name: 'mobilenet_v2', provider: 'cuda', log: (l) => lines.push(l) });
    try {
      if (enc.provider === 'cuda') return; // a machine with CUDA libraries: nothing to fall back from
      expect(enc.provider).toBe('cpu');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^encoder: running on cpu; skipped cuda \(.+\) \(fallback\)$/);
    } finally {
      await enc.close();
    }
  });
});
