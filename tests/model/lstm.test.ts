import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/model/rng.js';
import {
  lstmBackward,
  lstmFinalState,
  lstmForward,
  lstmStepBackward,
  lstmStepForward,
  stackedLstmBackward,
  stackedLstmForward,
  type LstmParams,
} from '../../src/model/layers/lstm.js';
import { dot, numericGradient, randn, relError } from './numeric.js';

const TOL = 1e-6;

function params(rng: Rng, Dx: number, H: number): LstmParams<Float64Array> {
  return { Wx: randn(rng, Dx * 4 * H, 0.5), Wh: randn(rng, H * 4 * H, 0.5), b: randn(rng, 4 * H, 0.5) };
}

describe('LSTM step', () => {
  it('matches the lecture formulas for one unit', () => {
    // N=1, Dx=1, H=1: gates are plain scalars.
    const p = {
      Wx: Float64Array.from([0.1, 0.2, 0.3, 0.4]),
      Wh: Float64Array.from([-0.5, 0.6, -0.7, 0.8]),
      b: Float64Array.from([0, 1, 0, 0]),
    };
    const x = Float64Array.from([2]),
      h = Float64Array.from([0.5]),
      c = Float64Array.from([-1]);
    const [hn, cn] = lstmStepForward(x, h, c, p, 1, 1, 1);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const a = [0.2 - 0.25, 0.4 + 0.3 + 1, 0.6 - 0.35, 0.8 + 0.4];
    const cExp = s(a[1]) * -1 + s(a[0]) * Math.tanh(a[3]);
    expect(cn[0]).toBeCloseTo(cExp, 14);
    expect(hn[0]).toBeCloseTo(s(a[2]) * Math.tanh(cExp), 14);
  });

  it('passes the gradient check for every input and parameter', () => {
    const rng = new Rng(21);
    const [N, Dx, H] = [3, 4, 5];
    const x = randn(rng, N * Dx),
      h = randn(rng, N * H),
      c = randn(rng, N * H);
    const p = params(rng, Dx, H);
    const dh = randn(rng, N * H),
      dc = randn(rng, N * H);
    const f = () => {
      const [hn, cn] = lstmStepForward(x, h, c, p, N, Dx, H);
      return dot(hn, dh) + dot(cn, dc);
    };
    const g = lstmStepBackward(dh, dc, lstmStepForward(x, h, c, p, N, Dx, H)[2]);
    expect(relError(g.dx, numericGradient(f, x))).toBeLessThan(TOL);
    expect(relError(g.dprevH, numericGradient(f, h))).toBeLessThan(TOL);
    expect(relError(g.dprevC, numericGradient(f, c))).toBeLessThan(TOL);
    expect(relError(g.dWx, numericGradient(f, p.Wx))).toBeLessThan(TOL);
    expect(relError(g.dWh, numericGradient(f, p.Wh))).toBeLessThan(TOL);
    expect(relError(g.db, numericGradient(f, p.b))).toBeLessThan(TOL);
  });
});

describe('LSTM sequence', () => {
  it('equals running the step T times', () => {
    const rng = new Rng(22);
    const [T, N, Dx, H] = [4, 2, 3, 5];
    const x = randn(rng, T * N * Dx),
      h0 = randn(rng, N * H),
      c0 = randn(rng, N * H);
    const p = params(rng, Dx, H);
    const [hs, cache] = lstmForward(x, h0, c0, p, T, N, Dx, H);
    let h = h0,
      c = c0;
    for (let t = 0; t < T; t++) {
      [h, c] = lstmStepForward(x.slice(t * N * Dx, (t + 1) * N * Dx), h, c, p, N, Dx, H);
      const got = hs.subarray(t * N * H, (t + 1) * N * H);
      for (let k = 0; k < N * H; k++) expect(got[k]).toBeCloseTo(h[k], 13);
    }
    const fin = lstmFinalState(cache);
    for (let k = 0; k < N * H; k++) expect(fin.c[k]).toBeCloseTo(c[k], 13);
  });

  it('passes the gradient check for x, h0, c0 and the parameters', () => {
    const rng = new Rng(23);
    const [T, N, Dx, H] = [5, 3, 4, 3];
    const x = randn(rng, T * N * Dx),
      h0 = randn(rng, N * H),
      c0 = randn(rng, N * H);
    const p = params(rng, Dx, H);
    const dh = randn(rng, T * N * H);
    const f = () => dot(lstmForward(x, h0, c0, p, T, N, Dx, H)[0], dh);
    const g = lstmBackward(dh, lstmForward(x, h0, c0, p, T, N, Dx, H)[1]);
    expect(relError(g.dx, numericGradient(f, x))).toBeLessThan(TOL);
    expect(relError(g.dh0, numericGradient(f, h0))).toBeLessThan(TOL);
    expect(relError(g.dc0, numericGradient(f, c0))).toBeLessThan(TOL);
    expect(relError(g.dWx, numericGradient(f, p.Wx))).toBeLessThan(TOL);
    expect(relError(g.dWh, numericGradient(f, p.Wh))).toBeLessThan(TOL);
    expect(relError(g.db, numericGradient(f, p.b))).toBeLessThan(TOL);
  });
});

describe('stacked LSTM', () => {
  it('passes the gradient check through 3 layers with inter-layer dropout', () => {
    const rng = new Rng(24);
    const [T, N, Dx, H, L] = [4, 2, 3, 4, 3];
    const x = randn(rng, T * N * Dx);
    const h0s = Array.from({ length: L }, () => randn(rng, N * H));
    const c0s = Array.from({ length: L }, () => randn(rng, N * H));
    const layers = Array.from({ length: L }, (_, l) => params(rng, l === 0 ? Dx : H, H));
    const dh = randn(rng, T * N * H);
    const drop = () => ({ p: 0.25, rng: new Rng(5), train: true });
    const f = () => dot(stackedLstmForward(x, h0s, c0s, layers, T, N, Dx, H, drop())[0], dh);
    const [, cache] = stackedLstmForward(x, h0s, c0s, layers, T, N, Dx, H, drop());
    expect(cache.drops[0].mask).not.toBeNull();
    const g = stackedLstmBackward(dh, cache);
    expect(relError(g.dx, numericGradient(f, x))).toBeLessThan(TOL);
    for (let l = 0; l < L; l++) {
      expect(relError(g.dh0s[l], numericGradient(f, h0s[l]))).toBeLessThan(TOL);
      expect(relError(g.dc0s[l], numericGradient(f, c0s[l]))).toBeLessThan(TOL);
      expect(relError(g.grads[l].dWx, numericGradient(f, layers[l].Wx))).toBeLessThan(TOL);
      expect(relError(g.grads[l].dWh, numericGradient(f, layers[l].Wh))).toBeLessThan(TOL);
      expect(relError(g.grads[l].db, numericGradient(f, layers[l].b))).toBeLessThan(TOL);
    }
  });

  it('feeds each layer the one below: one layer of the stack equals a plain LSTM', () => {
    const rng = new Rng(25);
    const [T, N, Dx, H] = [3, 2, 3, 4];
    const x = randn(rng, T * N * Dx),
      h0 = randn(rng, N * H),
      c0 = randn(rng, N * H);
    const p = params(rng, Dx, H);
    const [a] = stackedLstmForward(x, [h0], [c0], [p], T, N, Dx, H);
    const [b] = lstmForward(x, h0, c0, p, T, N, Dx, H);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
