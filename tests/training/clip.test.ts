import { describe, expect, it } from 'vitest';
import { adamStep, clipGradNorm, createAdamState, globalNorm, learningRate } from '../../src/training/optim.js';

describe('gradient clipping by global L2 norm', () => {
  it('rescales gradients above the threshold to exactly the threshold norm, keeping directions', () => {
    const grads = { a: Float32Array.from([3, 0]), b: Float64Array.from([0, 4, 0]) }; // norm 5
    const { norm, clipped } = clipGradNorm(grads, 2);
    expect(norm).toBe(5);
    expect(clipped).toBe(true);
    expect(globalNorm(grads)).toBeCloseTo(2, 6);
    expect(grads.a[0]).toBeCloseTo(1.2, 6);
    expect(grads.b[1]).toBeCloseTo(1.6, 12);
  });

  it('leaves gradients at or below the threshold untouched (default threshold 5)', () => {
    const grads = { a: Float64Array.from([3, 4]) };
    const before = Array.from(grads.a);
    expect(clipGradNorm(grads)).toEqual({ norm: 5, clipped: false });
    expect(Array.from(grads.a)).toEqual(before);
    const small = { a: Float64Array.from([0.1, -0.2]) };
    clipGradNorm(small, 1);
    expect(Array.from(small.a)).toEqual([0.1, -0.2]);
  });

  it('reports a non-finite norm without touching the gradients', () => {
    const grads = { a: Float64Array.from([1, NaN]) };
    const r = clipGradNorm(grads, 1);
    expect(r.norm).toBeNaN();
    expect(grads.a[0]).toBe(1);
  });
});

describe('Adam', () => {
  it('moves the first step by the learning rate against the gradient sign', () => {
    const p = { w: Float64Array.from([1, 1]) };
    adamStep(p, { w: Float64Array.from([0.5, -2]) }, createAdamState(), 0.1);
    expect(p.w[0]).toBeCloseTo(0.9, 6);
    expect(p.w[1]).toBeCloseTo(1.1, 6);
  });

  it('minimises a quadratic and leaves parameters without gradients alone', () => {
    const p = { w: Float64Array.from([5, -3]), fixed: Float64Array.from([7]) };
    const s = createAdamState();
    for (let i = 0; i < 2000; i++) adamStep(p, { w: Float64Array.from([2 * (p.w[0] - 1), 2 * (p.w[1] + 2)]) }, s, 0.05);
    expect(p.w[0]).toBeCloseTo(1, 3);
    expect(p.w[1]).toBeCloseTo(-2, 3);
    expect(p.fixed[0]).toBe(7);
  });
});

describe('learning-rate schedule', () => {
  it('supports constant, step decay, cosine and warm-up', () => {
    expect(learningRate({ kind: 'constant', base: 0.1 }, 100, 3)).toBe(0.1);
    expect(learningRate({ kind: 'step', base: 1, factor: 0.5, everyEpochs: 2 }, 0, 5)).toBe(0.25);
    const cos = { kind: 'cosine', base: 1, totalSteps: 100, minFactor: 0.1 } as const;
    expect(learningRate(cos, 0, 0)).toBeCloseTo(1, 12);
    expect(learningRate(cos, 50, 0)).toBeCloseTo(0.55, 12);
    expect(learningRate(cos, 100, 0)).toBeCloseTo(0.1, 12);
    expect(learningRate({ kind: 'constant', base: 1, warmupSteps: 4 }, 0, 0)).toBe(0.25);
    expect(learningRate({ kind: 'constant', base: 1, warmupSteps: 4 }, 4, 0)).toBe(1);
  });
});
