/**
 * The decoder's concept input (conceptDim K > 0): h0 = tanh(m·f·W_proj + s·W_concept + b_proj),
 * with m = 0 for text-only captions. Gradient checks in float64, the masked path, the step model
 * against the training loss, decoding with concepts, and K = 0 being the old model exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  castParams,
  configFromParams,
  createStepModel,
  DecoderStepModel,
  evaluateLoss,
  initParams,
  lossAndGrads,
  paramShapes,
  type CaptionBatch,
} from '../../src/model/decoder.js';
import { beamSearch, captionFeatures, greedyDecode, sampleCaptions } from '../../src/model/decode.js';
import { Rng } from '../../src/model/rng.js';
import { END, START, type DecoderConfig, type Params } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';
import { randomBatch, tinyConfig, tinyParams } from './fixtures.js';
import { numericGradient4, relError } from './numeric.js';

const K = 4;
const conceptConfig: DecoderConfig = { ...tinyConfig, conceptDim: K };

/** A random batch with concept scores in [0, 1] and, when `textOnly` is given, those rows marked as having no image. */
function conceptBatch(config: DecoderConfig, N: number, T: number, seed: number, textOnly: number[] = []): CaptionBatch<Float64Array> {
  const batch = randomBatch(config, N, T, seed);
  const rng = new Rng(seed + 7);
  batch.concepts = Float64Array.from({ length: N * K }, () => (rng.uniform() < 0.5 ? 0 : rng.uniform()));
  if (textOnly.length > 0) {
    batch.hasImage = new Uint8Array(N).fill(1);
    for (const n of textOnly) {
      batch.hasImage[n] = 0;
      // A missing image's feature must not matter at all, not even NaN.
      batch.features.fill(NaN, n * config.featureDim, (n + 1) * config.featureDim);
    }
  }
  return batch;
}

/** Worst relative error between analytic and numeric gradients, per parameter. */
function gradErrors(params: Params<Float64Array>, batch: CaptionBatch<Float64Array>, opts = {}): Record<string, number> {
  const { grads } = lossAndGrads(params, batch, opts);
  const f = () => evaluateLoss(params, batch, opts).loss;
  const out: Record<string, number> = {};
  for (const [name, g] of Object.entries(grads)) out[name] = relError(g, numericGradient4(f, params[name]));
  return out;
}

describe('decoder with concept input: gradients (float64)', () => {
  it('matches numeric gradients for every parameter, W_concept included, photos only', () => {
    const params = tinyParams(conceptConfig, 21);
    const errors = gradErrors(params, conceptBatch(conceptConfig, 4, 7, 5));
    expect(Object.keys(errors)).toContain('W_concept');
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(1e-6);
    console.log('gradcheck photos only: max rel error', JSON.stringify(errors));
  });

  it('matches numeric gradients with text-only rows masked (NaN features ignored)', () => {
    const params = tinyParams(conceptConfig, 22);
    const batch = conceptBatch(conceptConfig, 5, 7, 6, [1, 3]);
    const errors = gradErrors(params, batch);
    // W_concept's smallest entries (~1e-9) sit at finite differences' noise floor: strict bound 1e-4 there.
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThan(name === 'W_concept' ? 1e-4 : 1e-6);
    console.log('gradcheck masked rows: max rel error', JSON.stringify(errors));
  });

  it('a text-only row reaches h0 only through its concepts: its feature has no effect and W_proj gets no gradient from it', () => {
    const params = tinyParams(conceptConfig, 23);
    const onlyText = conceptBatch(conceptConfig, 3, 6, 8, [0, 1, 2]);
    const r = lossAndGrads(params, onlyText);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.grads.W_proj.every((g) => g === 0)).toBe(true);
    expect(r.grads.W_concept.some((g) => g !== 0)).toBe(true);
    // Same as a photo whose standardised feature is zero (its raw feature is the mean).
    const asPhotos: CaptionBatch<Float64Array> = { ...onlyText, hasImage: undefined, features: new Float64Array(onlyText.features.length) };
    for (let n = 0; n < 3; n++) asPhotos.features.set(params.feature_mean, n * conceptConfig.featureDim);
    expect(evaluateLoss(params, asPhotos).loss).toBeCloseTo(r.loss, 12);
  });

  it('the concepts change the loss (they reach h0)', () => {
    const params = tinyParams(conceptConfig, 24);
    const batch = conceptBatch(conceptConfig, 3, 6, 9);
    const other = { ...batch, concepts: batch.concepts!.map((v) => 1 - v) };
    expect(Math.abs(evaluateLoss(params, batch).loss - evaluateLoss(params, other).loss)).toBeGreaterThan(1e-4);
  });
});

describe('decoder with concept input: parameters and config', () => {
  it('K = 0 or absent is the model without concepts; K > 0 adds only W_concept (K×L·H), drawn after the rest', () => {
    expect(paramShapes({ ...tinyConfig, conceptDim: 0 })).toEqual(paramShapes(tinyConfig));
    expect(Object.keys(paramShapes(tinyConfig))).not.toContain('W_concept');
    const shapes = paramShapes(conceptConfig);
    expect(shapes.W_concept).toEqual([K, tinyConfig.layers * tinyConfig.hiddenDim]);
    const plain = initParams(tinyConfig, 3);
    const withConcepts = initParams(conceptConfig, 3);
    for (const [k, v] of Object.entries(plain)) expect(Array.from(withConcepts[k]), k).toEqual(Array.from(v));
    expect(Object.keys(withConcepts).length).toBe(Object.keys(plain).length + 1);
    expect(configFromParams(plain)).not.toHaveProperty('conceptDim');
    expect(configFromParams(withConcepts).conceptDim).toBe(K);
  });

  it('rejects a bad conceptDim, and batches whose concepts do not fit the model, with specific errors', () => {
    expect(() => initParams({ ...tinyConfig, conceptDim: 1.5 }, 1)).toThrow(/conceptDim must be a non-negative integer, got 1.5/);
    expect(() => initParams({ ...tinyConfig, conceptDim: -1 }, 1)).toThrow(/conceptDim/);
    const withConcepts = tinyParams(conceptConfig, 25);
    const plain = tinyParams(tinyConfig, 25);
    const batch = randomBatch(tinyConfig, 2, 5, 3);
    expect(() => evaluateLoss(withConcepts, batch)).toThrow(/reads 4 concept scores per row; got 0 values for 2 rows/);
    expect(() => evaluateLoss(withConcepts, { ...batch, concepts: new Float64Array(7) })).toThrow(/got 7 values for 2 rows/);
    expect(() => evaluateLoss(plain, { ...batch, concepts: new Float64Array(8) })).toThrow(/decoder has no concept input/);
    expect(() => evaluateLoss(plain, { ...batch, hasImage: new Uint8Array(1) })).toThrow(/hasImage has 1 entries for 2 rows/);
  });
});

describe('decoder with concept input: decoding', () => {
  const config: DecoderConfig = { featureDim: 6, embedDim: 8, hiddenDim: 10, layers: 2, vocabSize: 14, dropout: 0 };
  const params = initParams({ ...config, conceptDim: K }, 31);
  const rng = new Rng(4);
  for (let i = 0; i < params.W_concept.length; i++) params.W_concept[i] = 2 * rng.normal(); // concepts that matter
  params.b_vocab[END] += 1.5;
  const vocab = Vocabulary.fromWords(Array.from({ length: 10 }, (_, i) => `w${i}`));
  const N = 4;
  const features = Float32Array.from({ length: N * config.featureDim }, () => rng.normal());
  const concepts = Float32Array.from({ length: N * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));

  it('the step model gives the probabilities the training loss is made of', () => {
    // One caption "<start> w <end>": loss = −(log p(w | h0) + log p(<end> | w)) / 2.
    const model = new DecoderStepModel(params);
    const w = 7;
    const state = model.initState(features.subarray(0, 6), 1, concepts.subarray(0, K));
    const lp1 = model.step(state, new Int32Array([START]))[w];
    const lp2 = model.step(state, new Int32Array([w]))[END];
    const batch: CaptionBatch<Float64Array> = {
      features: Float64Array.from(features.subarray(0, 6)),
      concepts: Float64Array.from(concepts.subarray(0, K)),
      captions: new Int32Array([START, w, END]),
      n: 1,
      t: 3,
    };
    expect(evaluateLoss(castParams(params, 'float64'), batch).loss).toBeCloseTo(-(lp1 + lp2) / 2, 5);
  });

  it('greedy, beam and sampling read each image`s concepts; none given means all scores 0', () => {
    const model = createStepModel(params);
    expect(model.conceptDim).toBe(K);
    const zero = new Float32Array(N * K);
    const g = greedyDecode(model, vocab, features, N, { concepts }).map((c) => c.text);
    expect(g).not.toEqual(greedyDecode(model, vocab, features, N, { concepts: zero }).map((c) => c.text));
    expect(greedyDecode(model, vocab, features, N).map((c) => c.text)).toEqual(
      greedyDecode(model, vocab, features, N, { concepts: zero }).map((c) => c.text),
    );
    // Row i of the concepts belongs to image i: decoding image 2 alone gives image 2's caption.
    const one = greedyDecode(model, vocab, features.subarray(12, 18), 1, { concepts: concepts.subarray(2 * K, 3 * K) });
    expect(one[0].text).toBe(g[2]);
    const beams = beamSearch(model, vocab, features, N, { concepts, beamWidth: 1 }).map((l) => l[0].text);
    expect(beams).toEqual(g); // width 1 is greedy
    const sampled = sampleCaptions(model, vocab, features, N, { concepts, temperature: 0 }).map((l) => l[0].text);
    expect(sampled).toEqual(g);
  });

  it('captionFeatures passes concepts on, and an image with non-finite concept scores gets its own error', () => {
    const model = createStepModel(params);
    const bad = concepts.slice();
    bad[K + 1] = NaN;
    const results = captionFeatures(model, vocab, features, N, { concepts: bad, method: 'greedy' });
    expect(results[1].error).toBe('the concept scores contain NaN or Infinity');
    const good = greedyDecode(model, vocab, features, N, { concepts }).map((c) => c.text);
    for (const i of [0, 2, 3]) expect(results[i].text).toBe(good[i]);
  });

  it('rejects concept scores of the wrong size, or for a decoder without concept input', () => {
    const model = createStepModel(params);
    expect(() => greedyDecode(model, vocab, features, N, { concepts: new Float32Array(3) })).toThrow(
      /3 concept scores for 4 images × 4 concepts/,
    );
    const plain = createStepModel(initParams(config, 31));
    expect(() => beamSearch(plain, vocab, features, N, { concepts })).toThrow(/decoder has no concept input/);
    expect(() => model.initState(features, N, new Float32Array(5))).toThrow(/5 concept scores for 4×4/);
  });
});
