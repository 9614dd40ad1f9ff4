/**
 * Soft attention over the grid (layers/attention.ts, decoder `attention`): the layer's and the
 * whole model's gradients against numeric ones in float64, text-only rows reading no grid, the
 * step model against the training loss, decoding with grids, the fixed grid basis, and a model
 * without attention staying what it was.
 */
import { describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionMemory } from '../../src/model/layers/attention.js';
import {
  castParams,
  configFromParams,
  createStepModel,
  DecoderStepModel,
  evaluateLoss,
  gridMemoryOf,
  gridWeightsOf,
  initParams,
  lossAndGrads,
  paramShapes,
  type CaptionBatch,
} from '../../src/model/decoder.js';
import { fitGridBasis, reduceGrid } from '../../src/model/grid-basis.js';
import { beamSearch, captionFeatures, greedyDecode } from '../../src/model/decode.js';
import { Rng } from '../../src/model/rng.js';
import { END, START, type DecoderConfig, type Params } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';
import { train } from '../../src/training/trainer.js';
import { OnnxStepModel } from '../../src/model/onnx-step-model.js';
import { randomBatch, tinyConfig, tinyParams } from './fixtures.js';
import { numericGradient4, randn, relError } from './numeric.js';

const G = 3; // grid cells
const Dg = 5; // channels per cell as the encoder gives them
const P = 4; // memory dimensions
const A = 3; // attention size
const attentionConfig: DecoderConfig = { ...tinyConfig, conceptDim: 2, attention: { gridDim: Dg, memoryDim: P, attentionDim: A } };

/** A random batch with concepts and each row's grid memory; rows in `textOnly` have no photo (and NaN where their grid would be). */
function gridBatch(N: number, T: number, seed: number, textOnly: number[] = []): CaptionBatch<Float64Array> {
  const batch = randomBatch(attentionConfig, N, T, seed);
  const rng = new Rng(seed + 3);
  batch.concepts = Float64Array.from({ length: N * 2 }, () => rng.uniform());
  batch.memory = randn(rng, N * G * P, 1.5);
  batch.cells = G;
  batch.hasImage = new Uint8Array(N).fill(1);
  for (const n of textOnly) {
    batch.hasImage[n] = 0;
    batch.memory.fill(NaN, n * G * P, (n + 1) * G * P);
  }
  return batch;
}

/** float64 parameters whose attention is strong enough for its gradients to matter. */
function attentionParams(seed: number): Params<Float64Array> {
  const p = tinyParams(attentionConfig, seed);
  for (const k of ['W_context', 'W_query', 'W_key']) for (let i = 0; i < p[k].length; i++) p[k][i] *= 3;
  return p;
}

describe('attention layer (float64)', () => {
  it('backward matches numeric gradients for h and every weight, text-only photos included', () => {
    const rng = new Rng(5);
    const [T, N, H] = [3, 4, 5];
    const memory: AttentionMemory<Float64Array> = { values: randn(rng, N * G * P), hasGrid: Uint8Array.from([1, 0, 1, 1]), N, G, P };
    const h = randn(rng, T * N * H);
    const params = { W_query: randn(rng, H * A), W_key: randn(rng, P * A), W_context: randn(rng, P * H) };
    const dout = randn(rng, T * N * H);
    const f = () => {
      const [out] = attentionForward(h, memory, params, T * N, H, A);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * dout[i];
      return s;
    };
    const [, cache] = attentionForward(h, memory, params, T * N, H, A);
    const g = attentionBackward(dout, cache);
    expect(relError(g.dh, numericGradient4(f, h))).toBeLessThan(1e-7);
    expect(relError(g.dW_query, numericGradient4(f, params.W_query))).toBeLessThan(1e-7);
    expect(relError(g.dW_key, numericGradient4(f, params.W_key))).toBeLessThan(1e-7);
    expect(relError(g.dW_context, numericGradient4(f, params.W_context))).toBeLessThan(1e-7);
  });

  it('the weights over the cells sum to 1 per row, and a photo without a grid passes h through unchanged', () => {
    const rng = new Rng(6);
    const [N, H] = [2, 5];
    const memory: AttentionMemory<Float64Array> = { values: randn(rng, N * G * P), hasGrid: Uint8Array.from([1, 0]), N, G, P };
    const h = randn(rng, 2 * N * H);
    const params = { W_query: randn(rng, H * A), W_key: randn(rng, P * A), W_context: randn(rng, P * H) };
    const [out, cache] = attentionForward(h, memory, params, 2 * N, H, A);
    for (let r = 0; r < 2 * N; r++) {
      const sum = cache.alpha.subarray(r * G, (r + 1) * G).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(r % N === 0 ? 1 : 0, 12);
      if (r % N === 1) expect(Array.from(out.subarray(r * H, (r + 1) * H))).toEqual(Array.from(h.subarray(r * H, (r + 1) * H)));
    }
  });
});

describe('decoder with attention: gradients (float64)', () => {
  const errors = (params: Params<Float64Array>, batch: CaptionBatch<Float64Array>, opts = {}) => {
    const { grads } = lossAndGrads(params, batch, opts);
    const f = () => evaluateLoss(params, batch, opts).loss;
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, relError(g, numericGradient4(f, params[k]))]));
  };

  it('matches numeric gradients for every trainable parameter, attention included, with text-only rows', () => {
    const params = attentionParams(21);
    const batch = gridBatch(4, 6, 22, [2]);
    const errs = errors(params, batch);
    expect(Object.keys(errs).sort()).toEqual(
      Object.keys(paramShapes(attentionConfig))
        .filter((k) => !['feature_mean', 'feature_std', 'grid_mean', 'grid_basis'].includes(k))
        .sort(),
    );
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-6);
  });

  it('matches numeric gradients in training mode with dropout (fixed masks)', () => {
    const params = attentionParams(23);
    const batch = gridBatch(3, 7, 24);
    const opts = () => ({ train: true, dropout: 0.3, rng: new Rng(4) });
    const { grads } = lossAndGrads(params, batch, opts());
    const f = () => evaluateLoss(params, batch, opts()).loss;
    for (const [k, g] of Object.entries(grads)) expect(relError(g, numericGradient4(f, params[k])), k).toBeLessThan(1e-6);
  });

  it('the grid changes the loss of a photo, and a text-only row`s memory has no effect', () => {
    const params = attentionParams(25);
    const batch = gridBatch(3, 6, 26, [1]);
    const loss = evaluateLoss(params, batch).loss;
    expect(Number.isFinite(loss)).toBe(true); // the text-only row's NaN grid is never read
    const other = { ...batch, memory: batch.memory!.map((v, i) => (Math.floor(i / (G * P)) === 0 ? v + 1 : v)) };
    expect(evaluateLoss(params, other).loss).not.toBeCloseTo(loss, 6);
  });

  it('rejects a batch without the memory an attending decoder reads, or memory for one without attention', () => {
    const params = attentionParams(27);
    const batch = gridBatch(2, 5, 28);
    expect(() => evaluateLoss(params, { ...batch, memory: undefined })).toThrow(/attends over grid memory of 4 values per cell/);
    const plain = tinyParams({ ...tinyConfig, conceptDim: 2 }, 27);
    expect(() => evaluateLoss(plain, batch)).toThrow(/grid memory given, but the decoder has no attention/);
    // Memory of another width (a basis of another P) is refused, not read at the wrong stride.
    const wide = { ...batch, memory: new Float64Array(2 * G * (P + 1)) };
    expect(() => evaluateLoss(params, wide)).toThrow(/attends over grid memory of 4 values per cell/);
  });
});

describe('decoder with attention: parameters, step model and decoding', () => {
  it('attention adds grid_mean, grid_basis, W_query, W_key and W_context, drawn after the rest; the config round-trips', () => {
    const plain = initParams({ ...tinyConfig, conceptDim: 2 }, 9);
    const att = initParams(attentionConfig, 9);
    expect(
      Object.keys(att)
        .filter((k) => !(k in plain))
        .sort(),
    ).toEqual(['W_context', 'W_key', 'W_query', 'grid_basis', 'grid_mean']);
    for (const [k, v] of Object.entries(plain)) expect(Array.from(att[k]), k).toEqual(Array.from(v));
    expect(configFromParams(att).attention).toEqual(attentionConfig.attention);
    expect(configFromParams(plain).attention).toBeUndefined();
  });

  it('the step model gives the probabilities the training loss is made of, reducing the raw grid by the basis', () => {
    const rng = new Rng(31);
    const gridMean = Float32Array.from({ length: Dg }, () => rng.normal());
    const gridBasis = Float32Array.from({ length: Dg * P }, () => rng.normal());
    const params = initParams(attentionConfig, 31, { gridMean, gridBasis });
    for (const k of ['W_context', 'W_query', 'W_key']) for (let i = 0; i < params[k].length; i++) params[k][i] *= 3;
    const features = Float32Array.from({ length: 6 }, () => rng.normal());
    const concepts = Float32Array.from([0.9, 0.1]);
    const grid = Float32Array.from({ length: G * Dg }, () => rng.normal() * 2);
    const model = new DecoderStepModel(params);
    const w = 6;
    const state = model.initState(features, 1, concepts, grid);
    const lp1 = model.step(state, new Int32Array([START]))[w];
    const lp2 = model.step(state, new Int32Array([w]))[END];
    const batch: CaptionBatch<Float64Array> = {
      features: Float64Array.from(features),
      concepts: Float64Array.from(concepts),
      memory: Float64Array.from(gridMemoryOf(gridWeightsOf(params), grid, 1)!.values),
      cells: G,
      captions: new Int32Array([START, w, END]),
      n: 1,
      t: 3,
    };
    expect(evaluateLoss(castParams(params, 'float64'), batch).loss).toBeCloseTo(-(lp1 + lp2) / 2, 5);
    // Without its grid the same photo reads differently: the grid reaches the words.
    const flat = model.initState(features, 1, concepts, new Float32Array(G * Dg));
    expect(model.step(flat, new Int32Array([START]))[w]).not.toBeCloseTo(lp1, 4);
  });

  it('beam search keeps each row`s grid with its hypotheses, and captionFeatures gives a photo with a non-finite grid its own error', () => {
    const rng = new Rng(41);
    const params = initParams(attentionConfig, 41);
    for (const k of ['W_context', 'W_query', 'W_key']) for (let i = 0; i < params[k].length; i++) params[k][i] *= 4;
    const vocab = Vocabulary.fromWords(Array.from({ length: 5 }, (_, i) => `w${i}`));
    const N = 3;
    const features = Float32Array.from({ length: N * 6 }, () => rng.normal());
    const concepts = Float32Array.from({ length: N * 2 }, () => rng.uniform());
    const grid = Float32Array.from({ length: N * G * Dg }, () => rng.normal() * 3);
    const model = createStepModel(params);
    expect(model.gridDim).toBe(Dg);
    const all = beamSearch(model, vocab, features, N, { concepts, grid, beamWidth: 3 }).map((l) => l[0].text);
    // Image 1 alone, with its own grid, gets the caption it got in the batch.
    const one = beamSearch(model, vocab, features.subarray(6, 12), 1, {
      concepts: concepts.subarray(2, 4),
      grid: grid.subarray(G * Dg, 2 * G * Dg),
      beamWidth: 3,
    });
    expect(one[0][0].text).toBe(all[1]);
    const bad = grid.slice();
    bad[2 * G * Dg + 1] = NaN;
    const results = captionFeatures(model, vocab, features, N, { concepts, grid: bad, method: 'greedy' });
    expect(results[2].error).toBe('the spatial grid contains NaN or Infinity');
    const greedy = greedyDecode(model, vocab, features, N, { concepts, grid }).map((c) => c.text);
    expect(results[0].text).toBe(greedy[0]);
    expect(() => greedyDecode(model, vocab, features, N, { concepts })).toThrow(/attends over the photo's grid/);
    // A state without the grid memory (e.g. made by another model) is refused at the step, not decoded blind.
    const state = model.initState(features.subarray(0, 6), 1, concepts.subarray(0, 2), grid.subarray(0, G * Dg));
    expect(() => model.step({ ...state, memory: undefined }, new Int32Array([START]))).toThrow(/state holds no grid memory/);
  });
});

describe('the ONNX step model with attention', () => {
  it('gives decoder.ts`s log-probabilities to float32 rounding, through beam reordering, and the same beam captions', () => {
    const rng = new Rng(61);
    const params = initParams(attentionConfig, 61, {
      gridMean: Float32Array.from({ length: Dg }, () => rng.normal()),
      gridBasis: Float32Array.from({ length: Dg * P }, () => rng.normal()),
    });
    for (const k of ['W_context', 'W_query', 'W_key']) for (let i = 0; i < params[k].length; i++) params[k][i] *= 3;
    const N = 3;
    const features = Float32Array.from({ length: N * 6 }, () => rng.normal());
    const concepts = Float32Array.from({ length: N * 2 }, () => rng.uniform());
    const grid = Float32Array.from({ length: N * G * Dg }, () => rng.normal() * 2);
    const onnx = new OnnxStepModel(params, { threads: 1 });
    const ref = new DecoderStepModel(params);
    expect(onnx.gridDim).toBe(Dg);
    let [a, b] = [onnx.initState(features, N, concepts, grid), ref.initState(features, N, concepts, grid)];
    let tokens = Int32Array.from([START, START, START]);
    for (let t = 0; t < 3; t++) {
      const [la, lb] = [onnx.step(a, tokens), ref.step(b, tokens)];
      for (let i = 0; i < la.length; i++) expect(Math.abs(la[i] - lb[i])).toBeLessThan(1e-4);
      const rows = Int32Array.from([2, 0, 0]); // a beam's reordering: rows repeat and move
      [a, b] = [onnx.selectRows(a, rows), ref.selectRows(b, rows)];
      tokens = Int32Array.from([4 + t, 5, 6]);
    }
    const vocab = Vocabulary.fromWords(Array.from({ length: 5 }, (_, i) => `w${i}`));
    const beams = (m: OnnxStepModel | DecoderStepModel) =>
      beamSearch(m, vocab, features, N, { concepts, grid, beamWidth: 3 }).map((l) => l[0].text);
    expect(beams(onnx)).toEqual(beams(ref));
    expect(() => onnx.initState(features, N, concepts)).toThrow(/attends over the photo's grid/);
    onnx.dispose();
  });
});

describe('training an attending decoder', () => {
  it('refuses grid memory that does not fit the decoder (another basis width), naming it', async () => {
    const data = {
      features: new Float32Array(2 * 6),
      captions: [
        { image: 0, tokens: Int32Array.from([4, 5]) },
        { image: 1, tokens: Int32Array.from([6]) },
      ],
      concepts: new Float32Array(2 * 2),
      memory: new Float32Array(2 * G * (P + 1)),
      cells: G,
    };
    await expect(train({ config: attentionConfig, train: data, validationFraction: 0, epochs: 1 })).rejects.toThrow(
      /training grid memory: 30 values for 2 images × 3 cells × 4/,
    );
  });
});

describe('grid basis', () => {
  it('finds the subspace the samples vary in, scaled to unit variance, and reduceGrid projects onto it', () => {
    // Cells that vary along 2 directions of 6 channels (plus a little noise), around a mean.
    const rng = new Rng(51);
    const [cells, D] = [400, 6];
    const u = [1, 1, 0, 0, 0, 0].map((x) => x / Math.SQRT2);
    const v = [0, 0, 1, -1, 1, 0].map((x) => x / Math.sqrt(3));
    const mean = [3, -1, 2, 0, 1, 5];
    const samples = new Float32Array(cells * D);
    for (let r = 0; r < cells; r++) {
      const [a, b] = [rng.normal() * 4, rng.normal() * 2];
      for (let j = 0; j < D; j++) samples[r * D + j] = mean[j] + a * u[j] + b * v[j] + rng.normal() * 0.01;
    }
    const fit = fitGridBasis(samples, cells, D, 2, 7);
    for (let j = 0; j < D; j++) expect(fit.mean[j]).toBeCloseTo(mean[j], 0);
    // Each basis column lies in span(u, v).
    for (let p = 0; p < 2; p++) {
      const col = Array.from({ length: D }, (_, j) => fit.basis[j * 2 + p]);
      const norm = Math.hypot(...col);
      const inPlane = Math.hypot(
        col.reduce((s, x, j) => s + x * u[j], 0),
        col.reduce((s, x, j) => s + x * v[j], 0),
      );
      expect(inPlane / norm).toBeGreaterThan(0.999);
    }
    const reduced = reduceGrid(samples, cells, fit.mean, fit.basis, D, 2);
    let variance = 0;
    for (const x of reduced) variance += x * x;
    expect(variance / (cells * 2)).toBeCloseTo(1, 1);
    expect(() => fitGridBasis(samples, 1, D, 2)).toThrow(/cannot fit a 2-dimensional basis/);
  });
});
