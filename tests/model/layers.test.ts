import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/model/rng.js';
import { affineBackward, affineForward } from '../../src/model/layers/affine.js';
import { wordEmbeddingBackward, wordEmbeddingForward } from '../../src/model/layers/embedding.js';
import { temporalAffineBackward, temporalAffineForward } from '../../src/model/layers/temporal-affine.js';
import { temporalSoftmaxLoss } from '../../src/model/layers/temporal-softmax.js';
import { dropoutBackward, dropoutForward } from '../../src/model/layers/dropout.js';
import { dot, numericGradient, randn, relError } from './numeric.js';

const TOL = 1e-6;

describe('affine', () => {
  it('computes x·w + b', () => {
    const x = Float64Array.from([1, 2, 3, 4]); // 2×2
    const w = Float64Array.from([1, 0, 2, 0, 1, 3]); // 2×3
    const b = Float64Array.from([0.5, -1, 0]);
    const [out] = affineForward(x, w, b, 2, 2, 3);
    expect(Array.from(out)).toEqual([1.5, 1, 8, 3.5, 3, 18]);
  });

  it('passes the gradient check in float64', () => {
    const rng = new Rng(1);
    const [N, D, M] = [4, 5, 3];
    const x = randn(rng, N * D),
      w = randn(rng, D * M),
      b = randn(rng, M),
      dout = randn(rng, N * M);
    const f = () => dot(affineForward(x, w, b, N, D, M)[0], dout);
    const g = affineBackward(dout, affineForward(x, w, b, N, D, M)[1]);
    expect(relError(g.dx, numericGradient(f, x))).toBeLessThan(TOL);
    expect(relError(g.dw, numericGradient(f, w))).toBeLessThan(TOL);
    expect(relError(g.db, numericGradient(f, b))).toBeLessThan(TOL);
  });
});

describe('temporal affine', () => {
  it('applies the same map at every step and passes the gradient check', () => {
    const rng = new Rng(2);
    const [T, N, D, M] = [3, 2, 4, 5];
    const x = randn(rng, T * N * D),
      w = randn(rng, D * M),
      b = randn(rng, M),
      dout = randn(rng, T * N * M);
    const [out, cache] = temporalAffineForward(x, w, b, T, N, D, M);
    // Step 2, sequence 1 equals the plain affine map of that row.
    const row = x.subarray((2 * N + 1) * D, (2 * N + 2) * D);
    const [one] = affineForward(Float64Array.from(row), w, b, 1, D, M);
    expect(Array.from(out.subarray((2 * N + 1) * M, (2 * N + 2) * M))).toEqual(Array.from(one));
    const f = () => dot(temporalAffineForward(x, w, b, T, N, D, M)[0], dout);
    const g = temporalAffineBackward(dout, cache);
    expect(relError(g.dx, numericGradient(f, x))).toBeLessThan(TOL);
    expect(relError(g.dw, numericGradient(f, w))).toBeLessThan(TOL);
    expect(relError(g.db, numericGradient(f, b))).toBeLessThan(TOL);
  });
});

describe('word embedding', () => {
  it('looks up rows and scatters gradients back, repeated ids adding up', () => {
    const rng = new Rng(3);
    const [V, E] = [6, 4];
    const W = randn(rng, V * E);
    const ids = Int32Array.from([2, 0, 2, 5]);
    const [out, cache] = wordEmbeddingForward(ids, W, V, E);
    expect(Array.from(out.subarray(8, 12))).toEqual(Array.from(W.subarray(8, 12)));
    const dout = randn(rng, ids.length * E);
    const f = () => dot(wordEmbeddingForward(ids, W, V, E)[0], dout);
    const { dW } = wordEmbeddingBackward(dout, cache);
    expect(relError(dW, numericGradient(f, W))).toBeLessThan(TOL);
    expect(dW[1 * E]).toBe(0); // id 1 never used
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => wordEmbeddingForward(Int32Array.from([7]), new Float64Array(12), 3, 4)).toThrow(/outside vocabulary/);
  });
});

describe('temporal softmax loss', () => {
  it('equals the mean negative log-likelihood over unmasked targets', () => {
    const V = 3;
    const x = Float64Array.from([0, 0, 0, 1, 2, 3, 5, 5, 5]);
    const y = Int32Array.from([0, 2, 1]);
    const mask = Uint8Array.from([1, 1, 0]);
    const [loss] = temporalSoftmaxLoss(x, y, mask, V);
    const p2 = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(loss).toBeCloseTo((Math.log(3) - Math.log(p2)) / 2, 12);
  });

  it('gives no gradient at padding and passes the gradient check', () => {
    const rng = new Rng(4);
    const [R, V] = [6, 5];
    const x = randn(rng, R * V, 2);
    const y = Int32Array.from([1, 4, 0, 2, 3, 3]);
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    const [, dx] = temporalSoftmaxLoss(x, y, mask, V);
    const num = numericGradient(() => temporalSoftmaxLoss(x, y, mask, V)[0], x);
    expect(relError(dx, num)).toBeLessThan(TOL);
    for (let j = 0; j < V; j++) expect(dx[2 * V + j]).toBe(0);
  });

  it('can overwrite the scores with their gradient in place', () => {
    const rng = new Rng(5);
    const x = randn(rng, 4 * 7);
    const y = Int32Array.from([6, 0, 3, 3]);
    const mask = Uint8Array.from([1, 1, 1, 1]);
    const [l1, dx] = temporalSoftmaxLoss(x, y, mask, 7);
    const copy = x.slice();
    const [l2, same] = temporalSoftmaxLoss(copy, y, mask, 7, 4, copy);
    expect(same).toBe(copy);
    expect(l2).toBe(l1);
    expect(Array.from(copy)).toEqual(Array.from(dx));
  });
});

describe('dropout', () => {
  it('is the identity in evaluation', () => {
    const x = Float64Array.from([1, 2, 3]);
    const [out, cache] = dropoutForward(x, 0.5, new Rng(1), false);
    expect(out).toBe(x);
    expect(dropoutBackward(x, cache)).toBe(x);
  });

  it('drops about p of the units, scales the rest, and backpropagates through the same mask', () => {
    const n = 20000;
    const x = new Float64Array(n).fill(1);
    const [out, cache] = dropoutForward(x, 0.3, new Rng(9), true);
    let kept = 0;
    for (const v of out) {
      if (v !== 0) {
        kept++;
        expect(v).toBeCloseTo(1 / 0.7, 12);
      }
    }
    expect(kept / n).toBeGreaterThan(0.68);
    expect(kept / n).toBeLessThan(0.72);
    const rng = new Rng(10);
    const dout = randn(rng, n);
    const dx = dropoutBackward(dout, cache);
    for (let i = 0; i < n; i += 97) expect(dx[i]).toBeCloseTo(out[i] === 0 ? 0 : dout[i] / 0.7, 12);
  });

  it('passes the gradient check with a fixed mask', () => {
    const rng = new Rng(11);
    const x = randn(rng, 30),
      dout = randn(rng, 30);
    const f = () => dot(dropoutForward(x, 0.4, new Rng(7), true)[0], dout);
    const dx = dropoutBackward(dout, dropoutForward(x, 0.4, new Rng(7), true)[1]);
    const num = numericGradient(f, x);
    let worst = 0;
    for (let i = 0; i < 30; i++) worst = Math.max(worst, Math.abs(dx[i] - num[i]));
    expect(worst).toBeLessThan(1e-8);
  });
});
