/**
 * `lenscribe train --concepts --text` on real photos and real text-only captions: a model directory
 * whose decoder reads the encoder's concept scores, whose vocabulary has the text captions' words,
 * and that `lenscribe eval` captions with the same concept scores. (The data is read from
 * ../shared/datasets and never copied into the project.)
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenize } from '../../src/model/vocab.js';
import { CONCEPT_COUNT } from '../../src/model/concepts/visual-concepts.js';
import { loadDecoder } from '../../src/model/decoder-io.js';

import { cli, flickrRows, hasFlickr } from './cli-run.js';
import { datasetPath } from '../../src/shared/paths.js';

const PASCAL = datasetPath('captions-text', 'pascal.jsonl');
const ENCODER = resolve('models/encoders/centernet_resnet50/card.json');
const ready = hasFlickr && existsSync(PASCAL) && existsSync(ENCODER);

let work: string;
let data: string;
let text: string;
let model: string;
let cache: string;
let photoWords: Set<string>;
let textCaptions: string[];

describe.skipIf(!ready)('lenscribe train --concepts --text', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'lenscribe-train-concepts-'));
    [data, text, model, cache] = ['captions.jsonl', 'text.jsonl', 'model', 'cache'].map((n) => join(work, n)) as [
      string,
      string,
      string,
      string,
    ];
    const rows = flickrRows(40);
    writeFileSync(data, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    photoWords = new Set(rows.flatMap((r) => r.captions.flatMap(tokenize)));
    // Every 20th Pascal photo: all 20 categories (cats, horses, sofas, buses …), and one bad line.
    const pascal = readFileSync(PASCAL, 'utf8').trim().split('\n');
    const picked = pascal.filter((_, i) => i % 20 === 0);
    textCaptions = picked.flatMap((l) => (JSON.parse(l) as { captions: string[] }).captions);
    writeFileSync(text, `${picked[0]}\n{"id": "broken\n${picked.slice(1).join('\n')}\n`);
  });

  it('writes a model with conceptDim and conceptOutput, a vocabulary with text-only words, and eval captions with concepts', () => {
    const t = cli([
      'train', '--data', data, '--out', model, '--encoder', 'centernet_resnet50', '--concepts', '--text', text, '--text-ratio', '5',
      '--epochs', '1', '--embed', '16', '--hidden', '32', '--min-count', '2', '--val-fraction', '0.2', '--batch', '64',
      '--cache', cache, '--threads', '1', '--json',
    ]); // prettier-ignore
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/text\.jsonl: line 2: not valid JSON .*\(skipped\)/);
    expect(t.stderr).toMatch(/concepts: 201 scores per photo, centernet_resnet50's concepts output/);
    // Ratio 5 asks for more than there are: all of them, each one caption.
    expect(t.stderr).toMatch(new RegExp(`text: ${textCaptions.length} of ${textCaptions.length} text-only captions`));

    const manifest = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(manifest.decoder.config.conceptDim).toBe(CONCEPT_COUNT);
    expect(manifest.features.conceptOutput).toBe('concepts');
    expect(manifest.features.outputs.map((o: { name: string }) => o.name)).not.toContain('concepts');
    expect(manifest.training.options).toMatchObject({ concepts: CONCEPT_COUNT, text: ['text.jsonl'], textCaptions: textCaptions.length });
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    expect(config.decoder.conceptDim).toBe(CONCEPT_COUNT);

    // Words only the text captions use, twice or more (the min count), are in the vocabulary.
    const counts = new Map<string, number>();
    for (const w of textCaptions.flatMap(tokenize)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const textOnly = [...counts].filter(([w, n]) => n >= 2 && !photoWords.has(w)).map(([w]) => w);
    expect(textOnly).toEqual(expect.arrayContaining(['cat', 'sofa']));
    const vocab = new Set((JSON.parse(readFileSync(join(model, 'vocab.json'), 'utf8')) as { words: string[] }).words);
    for (const w of textOnly) expect(vocab.has(w), w).toBe(true);

    // Eval on the validation photos feeds the same concept scores as training's final figures: the same numbers.
    const e = cli([
      'eval',
      '--data',
      data,
      '--model',
      model,
      '--split',
      'val',
      '--val-fraction',
      '0.2',
      '--cache',
      cache,
      '--threads',
      '1',
      '--json',
    ]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/concepts: 201 scores per photo, centernet_resnet50's concepts output/);
    const scores = JSON.parse(e.stdout.trim().split('\n').at(-1)!);
    expect(scores.images).toBe(manifest.metrics.images);
    for (const k of ['bleu1', 'bleu4', 'rouge_l', 'cider']) expect(scores[k]).toBeCloseTo(manifest.metrics[k], 12);
  });

  it('--pretrain: a words-only pass over other text captions first; the photos still set the feature statistics', () => {
    const run = (out: string, extra: string[]) =>
      cli([
        'train', '--data', data, '--out', out, '--encoder', 'centernet_resnet50', '--concepts', '--text', text, '--text-ratio', '1',
        '--epochs', '1', '--embed', '16', '--hidden', '32', '--min-count', '2', '--val-fraction', '0.2', '--batch', '64',
        '--cache', cache, '--threads', '1', '--json', ...extra,
      ]); // prettier-ignore
    const plain = run(join(work, 'plain'), []);
    expect(plain.status, plain.stderr).toBe(0);
    const pre = run(join(work, 'pretrained'), ['--pretrain', '2']);
    expect(pre.status, pre.stderr).toBe(0);
    // Ratio 1 mixes one text caption per photo caption in; ratio 2 takes the next twice as many of the same order.
    const mixed = Number(/text: (\d+) of/.exec(pre.stderr)![1]);
    expect(plain.stderr).toContain(`text: ${mixed} of`);
    expect(pre.stderr).toMatch(
      new RegExp(`pretraining: ${Math.min(2 * mixed, textCaptions.length - mixed)} other text-only captions \\(ratio 2\\)`),
    );
    expect(pre.stderr).toMatch(/pretraining: \d+ captions, words only, loss \d+\.\d{3}/);
    expect(plain.stderr).not.toMatch(/pretraining/);

    const manifest = JSON.parse(readFileSync(join(work, 'pretrained', 'model.json'), 'utf8'));
    expect(manifest.training.options.pretrain).toBe(2);
    expect(manifest.training.pretraining.captions).toBeGreaterThan(100);
    expect(manifest.training.pretraining.trainLoss).toBeGreaterThan(0);
    expect(manifest.training.seconds.pretraining).toBeGreaterThanOrEqual(0);
    // Same seed, same photos: the same feature standardisation (the words-only pass has no features of its own), other weights.
    const [a, b] = ['plain', 'pretrained'].map((d) => loadDecoder(join(work, d)).params);
    expect(Array.from(b!.feature_mean!)).toEqual(Array.from(a!.feature_mean!));
    expect(Array.from(b!.feature_std!)).toEqual(Array.from(a!.feature_std!));
    expect(a!.feature_std!.some((v) => v !== 1)).toBe(true);
    expect(Array.from(b!.W_embed!)).not.toEqual(Array.from(a!.W_embed!));

    const noText = cli(['train', '--data', data, '--out', join(work, 'x'), '--pretrain', '1']);
    expect(noText.status).toBe(1);
    expect(noText.stderr.trim()).toBe('lenscribe: --pretrain needs --text: the language pass reads the text-only captions');
  });

  it('refuses --concepts on an encoder without a concepts output, and --text without --concepts', () => {
    const noConcepts = cli([
      'train',
      '--data',
      data,
      '--out',
      join(work, 'x'),
      '--encoder',
      'mobilenet_v2',
      '--concepts',
      '--cache',
      cache,
    ]);
    expect(noConcepts.status).toBe(1);
    expect(noConcepts.stderr).toMatch(/--concepts: encoder mobilenet_v2 has no concepts output .*--encoder centernet_resnet50/);
    const noFlag = cli(['train', '--data', data, '--out', join(work, 'x'), '--text', text]);
    expect(noFlag.status).toBe(1);
    expect(noFlag.stderr.trim()).toBe(
      'lenscribe: --text needs --concepts: a text-only caption reaches the decoder only through the concepts its words name',
    );
  });
});
