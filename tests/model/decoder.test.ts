import { describe, expect, it } from 'vitest';
import {
  configFromParams,
  createStepModel,
  evaluateLoss,
  featureStats,
  initParams,
  isTrainable,
  lossAndGrads,
  paramShapes,
  castParams,
  DecoderStepModel,
} from '../../src/model/decoder.js';
import { PAD } from '../../src/model/types.js';
import { randomBatch, tinyConfig, tinyParams } from './fixtures.js';

describe('caption model', () => {
  it('creates every tensor with its documented shape, forget bias 1, and is reproducible from a seed', () => {
    const config = { ...tinyConfig, layers: 3 };
    const p = initParams(config, 7);
    const shapes = paramShapes(config);
    expect(Object.keys(p)).toEqual(Object.keys(shapes));
    for (const [k, s] of Object.entries(shapes)) expect(p[k].length).toBe(s.reduce((a, b) => a * b, 1));
    const H = config.hiddenDim;
    for (let l = 0; l < 3; l++) {
      const b = p[`b_${l}`];
      expect(Array.from(b.subarray(H, 2 * H))).toEqual(new Array(H).fill(1));
      expect(Array.from(b.subarray(0, H))).toEqual(new Array(H).fill(0));
    }
    expect(configFromParams(p)).toEqual({ ...config, dropout: 0 });
    expect(initParams(config, 7).W_vocab).toEqual(p.W_vocab);
    expect(initParams(config, 8).W_vocab).not.toEqual(p.W_vocab);
    expect(isTrainable('feature_mean')).toBe(false);
    expect(isTrainable('W_proj')).toBe(true);
  });

  it('rejects parameters whose shapes disagree', () => {
    const p = initParams(tinyConfig, 1);
    p.Wh_1 = new Float32Array(3);
    expect(() => configFromParams(p)).toThrow(/Wh_1/);
  });

  it('standardises features with floors for constant dimensions', () => {
    const f = Float32Array.from([1, 5, 3, 5, 5, 5]); // 3×2: second column constant
    const { mean, std } = featureStats(f, 3, 2);
    expect(mean[0]).toBeCloseTo(3, 6);
    expect(std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(std[1]).toBeGreaterThan(0);
  });

  it('starts near log V loss and ignores padding', () => {
    const p = tinyParams(tinyConfig, 3);
    const batch = randomBatch(tinyConfig, 4, 7, 3);
    const { loss, tokens } = evaluateLoss(p, batch);
    let expected = 0;
    for (let n = 0; n < 4; n++) for (let t = 1; t < 7; t++) if (batch.captions[n * 7 + t] !== PAD) expected++;
    expect(tokens).toBe(expected);
    expect(loss).toBeGreaterThan(0.5 * Math.log(9));
    expect(loss).toBeLessThan(2 * Math.log(9));
    // Appending padding columns changes nothing.
    const wider = new Int32Array(4 * 10).fill(PAD);
    for (let n = 0; n < 4; n++) wider.set(batch.captions.subarray(n * 7, n * 7 + 7), n * 10);
    const r2 = lossAndGrads(p, { ...batch, captions: wider, t: 10 });
    const r1 = lossAndGrads(p, batch);
    expect(r2.loss).toBeCloseTo(r1.loss, 12);
    expect(Array.from(r2.grads.Wh_0)).toEqual(Array.from(r1.grads.Wh_0).map((v) => expect.closeTo(v, 12)));
  });

  it('gives no gradient for the stored feature statistics', () => {
    const r = lossAndGrads(tinyParams(tinyConfig, 4), randomBatch(tinyConfig, 3, 6, 4));
    expect(r.grads.feature_mean).toBeUndefined();
    expect(r.grads.feature_std).toBeUndefined();
    expect(r.grads.W_proj.some((v) => v !== 0)).toBe(true);
  });

  it('the step model reproduces the training forward pass token by token', () => {
    const p32 = castParams(tinyParams(tinyConfig, 5), 'float32');
    const batch = randomBatch(tinyConfig, 3, 6, 5);
    const sm = createStepModel(p32);
    const feats = Float32Array.from(batch.features);
    const state = sm.initState(feats, 3);
    // Sum of -log p(target) over real tokens, accumulated from the step model.
    let nll = 0;
    for (let s = 0; s < 5; s++) {
      const tokens = new Int32Array(3);
      for (let n = 0; n < 3; n++) tokens[n] = batch.captions[n * 6 + s];
      const logp = sm.step(state, tokens);
      for (let n = 0; n < 3; n++) {
        let z = 0;
        for (let v = 0; v < sm.vocabSize; v++) z += Math.exp(logp[n * sm.vocabSize + v]);
        expect(z).toBeCloseTo(1, 5);
        const target = batch.captions[n * 6 + s + 1];
        if (target !== PAD) nll -= logp[n * sm.vocabSize + target];
      }
    }
    const { loss, tokens } = evaluateLoss(castParams(p32, 'float64'), batch);
    expect(nll / tokens).toBeCloseTo(loss, 4);
  });

  it('the precomputed layer-0 input table changes nothing but speed', () => {
    const p32 = castParams(tinyParams(tinyConfig, 9), 'float32');
    const a = new DecoderStepModel(p32, { inputTable: true });
    const b = new DecoderStepModel(p32, { inputTable: false });
    const feats = Float32Array.from(randomBatch(tinyConfig, 2, 4, 9).features);
    const sa = a.initState(feats, 2),
      sb = b.initState(feats, 2);
    for (const tokens of [
      [1, 1],
      [5, 8],
      [2, 0],
    ]) {
      const la = a.step(sa, Int32Array.from(tokens)),
        lb = b.step(sb, Int32Array.from(tokens));
      for (let i = 0; i < la.length; i++) expect(la[i]).toBeCloseTo(lb[i], 5);
    }
    expect(() => a.step(sa, Int32Array.from([1, 99]))).toThrow(/outside vocabulary/);
  });

  it('int8 weights keep log-probabilities close and the greedy choice mostly the same', () => {
    const config = { ...tinyConfig, hiddenDim: 64, embedDim: 32, vocabSize: 50, layers: 1 };
    const p32 = castParams(tinyParams(config, 14), 'float32');
    const a = new DecoderStepModel(p32),
      b = new DecoderStepModel(p32, { int8: true });
    const n = 16;
    const feats = Float32Array.from(randomBatch(config, n, 4, 14).features);
    const sa = a.initState(feats, n),
      sb = b.initState(feats, n);
    const tokens = Int32Array.from({ length: n }, (_, i) => 4 + i);
    const la = a.step(sa, tokens),
      lb = b.step(sb, tokens);
    let worst = 0,
      same = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]));
    for (let r = 0; r < n; r++) {
      const row = (x: Float32Array) => Array.from(x.subarray(r * 50, (r + 1) * 50));
      const arg = (x: number[]) => x.indexOf(Math.max(...x));
      if (arg(row(la)) === arg(row(lb))) same++;
    }
    expect(worst).toBeLessThan(0.1);
    expect(same).toBeGreaterThanOrEqual(n - 1);
  });

  it('selectRows copies the chosen rows of every layer', () => {
    const p32 = castParams(tinyParams(tinyConfig, 6), 'float32');
    const sm = createStepModel(p32);
    const batch = randomBatch(tinyConfig, 3, 4, 6);
    const state = sm.initState(Float32Array.from(batch.features), 3);
    sm.step(state, Int32Array.from([1, 1, 1]));
    const picked = sm.selectRows(state, Int32Array.from([2, 0, 2]));
    const H = tinyConfig.hiddenDim;
    expect(picked.n).toBe(3);
    for (let l = 0; l < 2; l++) {
      expect(Array.from(picked.h[l].subarray(0, H))).toEqual(Array.from(state.h[l].subarray(2 * H, 3 * H)));
      expect(Array.from(picked.c[l].subarray(H, 2 * H))).toEqual(Array.from(state.c[l].subarray(0, H)));
    }
    picked.h[0][0] += 1;
    expect(picked.h[0][0]).not.toBe(state.h[0][2 * H]);
  });
});
