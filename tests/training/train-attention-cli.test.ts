/**
 * `lenscribe train --attention` on real photos: a model directory whose decoder attends over
 * ResNet-50's 7×7 grid through a basis fitted on its training photos, which `lenscribe eval`
 * captions with each photo's grid, and which the app's caption pipeline and teaching refuse by
 * name (the library keeps no grids). (The data is read from ../shared/datasets and never copied.)
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDecoder } from '../../src/model/decoder-io.js';
import { teachModel } from '../../src/training/teach.js';

import { cli, flickrRows, hasFlickr } from './cli-run.js';
import { datasetPath } from '../../src/shared/paths.js';

const PASCAL = datasetPath('captions-text', 'pascal.jsonl');
const ready = hasFlickr && existsSync(PASCAL) && existsSync(resolve('models/encoders/centernet_resnet50/card.json'));

let work: string;
let data: string;
let model: string;
let cache: string;

describe.skipIf(!ready)('lenscribe train --attention', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lenscribe-train-attention-'));
    [data, model, cache] = ['captions.jsonl', 'model', 'cache'].map((n) => join(work, n)) as [string, string, string];
    const rows = flickrRows(30);
    writeFileSync(data, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  });

  it('writes a decoder with attention and its grid basis, records the grid output, and eval captions with the grids', () => {
    const t = cli([
      'train', '--data', data, '--out', model, '--encoder', 'centernet_resnet50', '--concepts', '--attention', '--text', PASCAL,
      '--text-ratio', '0.2', '--epochs', '1', '--embed', '16', '--hidden', '32', '--min-count', '2', '--val-fraction', '0.2',
      '--batch', '64', '--cache', cache, '--threads', '1', '--json',
    ]); // prettier-ignore
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/grid: resnet_grid \(49 cells × 2048\), basis of 256 fitted on every cell of \d+ training photos/);
    const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(manifest.decoder.config.attention).toEqual({ gridDim: 2048, memoryDim: 256, attentionDim: 256 });
    expect(manifest.features.gridOutput).toBe('resnet_grid');
    expect(manifest.training.options.attention).toBe(true);

    const { params, config } = loadDecoder(model);
    expect(config.attention).toEqual(manifest.decoder.config.attention);
    // The basis: 256 orthogonal columns of one common length (the scale), not the identity it starts as.
    const B = params.grid_basis;
    const col = (p: number) => Array.from({ length: 2048 }, (_, j) => B[j * 256 + p]);
    const dot = (a: number[], b: number[]) => a.reduce((s, x, j) => s + x * b[j], 0);
    const [c0, c1, c255] = [col(0), col(1), col(255)];
    expect(Math.abs(dot(c0, c1)) / dot(c0, c0)).toBeLessThan(1e-3);
    expect(dot(c255, c255) / dot(c0, c0)).toBeCloseTo(1, 3);
    expect(params.grid_mean.some((v) => v > 0)).toBe(true); // post-ReLU cells average above zero

    const e = cli(['eval', '--model', model, '--data', data, '--cache', cache, '--threads', '1', '--json']);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/grid: 49 cells × 2048 per photo, centernet_resnet50's resnet_grid output \(the decoder's attention\)/);
    const scores = JSON.parse(e.stdout.trim().split('\n').pop()!);
    expect(scores.images).toBe(30);
    expect(scores.cider).toBeGreaterThan(0);
  });

  it('teaching refuses a decoder with attention by name', async () => {
    await expect(teachModel({ baseDir: model, outDir: join(work, 'taught'), labeled: [] })).rejects.toThrow(
      /attends over spatial grids, which the library does not keep; teaching it is not supported/,
    );
  });

  it('refuses --attention with --pretrain, --flip-average or --export-data', () => {
    const t = cli(['train', '--data', data, '--out', join(work, 'no'), '--encoder', 'centernet_resnet50', '--attention', '--flip-average']);
    expect(t.status).not.toBe(0);
    expect(t.stderr).toMatch(/--attention cannot be combined with --flip-average, --export-data or --pretrain/);
  });
});
