import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { cli, flickrRows, hasFlickr as hasData } from './cli-run.js';

// Real captioned photos (Flickr8k, see DEVELOPERS.md); a small slice keeps this quick.

let work: string;
let data: string;
let model: string;
let cache: string;

describe.skipIf(!hasData)('lenscribe train / eval on real photos', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lenscribe-train-cli-'));
    data = join(work, 'captions.jsonl');
    model = join(work, 'model');
    cache = join(work, 'cache');
    const rows = flickrRows(120).map((r) => JSON.stringify(r));
    rows.splice(3, 0, '{"file": broken json');
    rows.push(JSON.stringify({ file: join(work, 'gone.jpg'), captions: ['a photo that is not there'] }));
    writeFileSync(data, `${rows.join('\n')}\n`);
  });

  it('trains a model directory and evaluates it with the same figures', () => {
    const t = cli([
      'train',
      '--data',
      data,
      '--out',
      model,
      '--epochs',
      '2',
      '--embed',
      '16',
      '--hidden',
      '32',
      '--min-count',
      '2',
      '--val-fraction',
      '0.2',
      '--batch',
      '64',
      '--encoder',
      'mobilenet_v2',
      '--feature',
      'imagenet',
      '--cache',
      cache,
      '--threads',
      '1',
      '--credit',
      'flickr8k',
      '--json',
    ]);
    expect(t.status, t.stderr).toBe(0);
    // Bad input is reported per item and skipped.
    expect(t.stderr).toMatch(/line 4: not valid JSON .*\(skipped\)/);
    expect(t.stderr).toMatch(/gone\.jpg: image not found/);
    expect(t.stderr).toMatch(/epoch 2\/2: train loss \d+\.\d+, val loss \d+\.\d+, val CIDEr-D/);
    const summary = JSON.parse(t.stdout.trim().split('\n').at(-1)!);
    expect(summary.epochs).toBe(2);
    expect(summary.train_images + summary.val_images).toBe(120);
    expect(summary.val_images).toBeGreaterThan(10);

    const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(manifest.features).toEqual({ outputs: [{ name: 'block_10_expand_relu', dims: [384] }], dim: 384 });
    expect(manifest.encoder.file).toBe('models:encoders/mobilenet_v2/encoder.onnx');
    // Captions by default: beam 3, no trigram twice (what the final figures were scored with).
    expect(manifest.decoding).toEqual({ beam: 3, noRepeatNgram: 3 });
    expect(manifest.metrics).toMatchObject({ beam: 3, noRepeatNgram: 3 });
    expect(manifest.training.data.citation).toMatch(/Hodosh.*47:853–899/);
    expect(manifest.training.history).toHaveLength(2);
    expect(manifest.metrics.images).toBe(summary.val_images);
    expect(Object.keys(manifest.files).sort()).toEqual(['config.json', 'vocab.json', 'weights.safetensors']);

    const e = cli(['eval', '--data', data, '--model', model, '--split', 'val', '--val-fraction', '0.2', '--cache', cache, '--json']);
    expect(e.status, e.stderr).toBe(0);
    const last = e.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      /^\{"images":\d+,"bleu1":[-\d.e]+,"bleu2":[-\d.e]+,"bleu3":[-\d.e]+,"bleu4":[-\d.e]+,"rouge_l":[-\d.e]+,"cider":[-\d.e]+,"chair_s":[-\d.e]+,"chair_i":[-\d.e]+,"consensus_recall":([-\d.e]+|null)\}$/,
    );
    const scores = JSON.parse(last);
    expect(scores.images).toBe(summary.val_images);
    for (const k of ['bleu1', 'bleu2', 'bleu3', 'bleu4', 'rouge_l', 'cider']) expect(scores[k]).toBeCloseTo(manifest.metrics[k], 12);
    expect(scores.bleu1).toBeGreaterThan(0.1); // two epochs already beat random words
    // Features came from the cache this time.
    expect(e.stderr).toMatch(/cached/);
  });

  it('refuses a model whose weights changed and bad options, with one-line errors', () => {
    const w = join(model, 'weights.safetensors');
    const bytes = readFileSync(w);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(w, bytes);
    const e = cli(['eval', '--data', data, '--model', model, '--json']);
    expect(e.status).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(/weights\.safetensors has sha256 [0-9a-f]{64}, model\.json says [0-9a-f]{64}/);

    const bad = cli(['train', '--data', data, '--out', join(work, 'x'), '--val-fraction', '2']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('lenscribe: --val-fraction must be a number >= 0 <= 0.9; got "2"');
    const noData = cli(['train', '--data', join(work, 'none.jsonl'), '--out', join(work, 'x')]);
    expect(noData.status).toBe(1);
    expect(noData.stderr).toMatch(/none\.jsonl: cannot read dataset \(ENOENT\)/);
  });
});
