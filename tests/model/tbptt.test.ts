/**
 * Truncated BPTT: the model's windows against computations written out by hand from the layers.
 */
import { describe, expect, it } from 'vitest';
import { lossAndGrads, type CaptionBatch } from '../../src/model/decoder.js';
import { affineBackward, affineForward } from '../../src/model/layers/affine.js';
import { wordEmbeddingBackward, wordEmbeddingForward } from '../../src/model/layers/embedding.js';
import { stackedLstmBackward, stackedLstmFinalState, stackedLstmForward } from '../../src/model/layers/lstm.js';
import { temporalAffineBackward, temporalAffineForward } from '../../src/model/layers/temporal-affine.js';
import { temporalSoftmaxLoss } from '../../src/model/layers/temporal-softmax.js';
import { PAD, type Params } from '../../src/model/types.js';
import { randomBatch, tinyConfig, tinyParams } from './fixtures.js';
import { normRelError } from './numeric.js';

const { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = tinyConfig;

/**
 * The caption model written out from its layers, with the gradient cut at the given step
 * boundaries (`cuts` = [] is plain full BPTT over the whole sequence).
 */
function byHand(params: Params<Float64Array>, batch: CaptionBatch<Float64Array>, cuts: number[]) {
  const { n: N, t: T } = batch;
  const S = T - 1;
  const ids = new Int32Array(S * N),
    targets = new Int32Array(S * N),
    mask = new Uint8Array(S * N);
  for (let s = 0; s < S; s++)
    for (let n = 0; n < N; n++) {
      targets[s * N + n] = batch.captions[n * T + s + 1];
      mask[s * N + n] = targets[s * N + n] !== PAD ? 1 : 0;
      ids[s * N + n] = mask[s * N + n] ? batch.captions[n * T + s] : PAD;
    }
  const tokens = mask.reduce((a, b) => a + b, 0);
  const x = new Float64Array(N * D);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < D; j++) x[n * D + j] = (batch.features[n * D + j] - params.feature_mean[j]) / params.feature_std[j];
  const [proj, projCache] = affineForward(x, params.W_proj, params.b_proj, N, D, L * H);
  const h0 = proj.map(Math.tanh);
  let hs: Float64Array[] = Array.from({ length: L }, (_, l) => {
    const h = new Float64Array(N * H);
    for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) h[n * H + j] = h0[n * L * H + l * H + j];
    return h;
  });
  let cs: Float64Array[] = Array.from({ length: L }, () => new Float64Array(N * H));
  const layers = Array.from({ length: L }, (_, l) => ({ Wx: params[`Wx_${l}`], Wh: params[`Wh_${l}`], b: params[`b_${l}`] }));
  const grads: Record<string, Float64Array> = {};
  for (const k of Object.keys(params)) if (!k.startsWith('feature_')) grads[k] = new Float64Array(params[k].length);
  const acc = (k: string, g: Float64Array) => g.forEach((v, i) => (grads[k][i] += v));
  let loss = 0;
  const edges = [0, ...cuts, S];
  for (let w = 0; w + 1 < edges.length; w++) {
    const [a, b] = [edges[w], edges[w + 1]];
    const [emb, ec] = wordEmbeddingForward(ids.slice(a * N, b * N), params.W_embed, V, W);
    const [top, lc] = stackedLstmForward(emb, hs, cs, layers, b - a, N, W, H);
    const [scores, vc] = temporalAffineForward(top, params.W_vocab, params.b_vocab, b - a, N, H, V);
    const [l, dscores] = temporalSoftmaxLoss(scores, targets.slice(a * N, b * N), mask.slice(a * N, b * N), V, tokens);
    loss += l;
    const gv = temporalAffineBackward(dscores, vc);
    acc('W_vocab', gv.dw);
    acc('b_vocab', gv.db);
    const gl = stackedLstmBackward(gv.dx, lc);
    gl.grads.forEach((g, i) => (acc(`Wx_${i}`, g.dWx), acc(`Wh_${i}`, g.dWh), acc(`b_${i}`, g.db)));
    acc('W_embed', wordEmbeddingBackward(gl.dx, ec).dW);
    if (w === 0) {
      const dproj = new Float64Array(N * L * H);
      for (let n = 0; n < N; n++)
        for (let i = 0; i < L; i++)
          for (let j = 0; j < H; j++) {
            const k = n * L * H + i * H + j;
            dproj[k] = gl.dh0s[i][n * H + j] * (1 - h0[k] * h0[k]);
          }
      const gp = affineBackward(dproj, projCache);
      acc('W_proj', gp.dw);
      acc('b_proj', gp.db);
    }
    // The next window starts from this one's final state, as plain values.
    const fin = stackedLstmFinalState(lc);
    hs = fin.h;
    cs = fin.c;
  }
  return { loss, grads };
}

describe('truncated BPTT', () => {
  const params = tinyParams(tinyConfig, 31);
  const batch = randomBatch(tinyConfig, 4, 9, 31); // 8 prediction steps

  it('a window as long as the caption is exactly full BPTT', () => {
    const full = byHand(params, batch, []);
    for (const window of [undefined, 8, 9, 100]) {
      const r = lossAndGrads(params, batch, { tbpttWindow: window });
      expect(r.loss).toBe(full.loss);
      for (const [k, g] of Object.entries(full.grads)) expect(Array.from(r.grads[k]), k).toEqual(Array.from(g));
    }
  });

  it('a shorter window cuts the gradient at its edges, exactly as done by hand', () => {
    const full = lossAndGrads(params, batch);
    for (const [window, cuts] of [
      [3, [3, 6]],
      [5, [5]],
      [1, [1, 2, 3, 4, 5, 6, 7]],
    ] as const) {
      const r = lossAndGrads(params, batch, { tbpttWindow: window });
      const hand = byHand(params, batch, [...cuts]);
      // Values are carried across the edges: the loss is the same as full BPTT's.
      expect(r.loss).toBeCloseTo(full.loss, 12);
      expect(r.loss).toBeCloseTo(hand.loss, 14);
      // Same maths; only the order of additions across windows may differ in the last bits.
      for (const [k, g] of Object.entries(hand.grads)) expect(normRelError(r.grads[k], g), k).toBeLessThan(1e-13);
      // Recurrent weights' gradients lose the cross-edge terms; the output layer's do not.
      expect(normRelError(r.grads.Wh_0, full.grads.Wh_0)).toBeGreaterThan(1e-3);
      expect(normRelError(r.grads.W_proj, full.grads.W_proj)).toBeGreaterThan(1e-3);
      expect(normRelError(r.grads.W_vocab, full.grads.W_vocab)).toBeLessThan(1e-12);
    }
  });
});
