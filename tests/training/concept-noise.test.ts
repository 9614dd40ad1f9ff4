/** Detector-like noise on a text-only caption's concept scores (src/training/concept-noise.ts). */
import { describe, expect, it } from 'vitest';
import { noisyConcepts, resolveConceptNoise } from '../../src/training/concept-noise.js';
import { Rng } from '../../src/model/rng.js';

const K = 50;
const clean = new Float32Array(K);
for (const k of [3, 10, 11, 40]) clean[k] = 1;

describe('noisyConcepts', () => {
  it('is a pure function of the clean vector and the seed', () => {
    const noise = resolveConceptNoise({});
    const a = noisyConcepts(clean, noise, new Rng(5));
    expect(Array.from(noisyConcepts(clean, noise, new Rng(5)))).toEqual(Array.from(a));
    expect(Array.from(noisyConcepts(clean, noise, new Rng(6)))).not.toEqual(Array.from(a));
    expect(Array.from(clean.subarray(0, 4))).toEqual([0, 0, 0, 1]); // the input is untouched
  });

  it('drops present concepts at rate pMiss, scores kept ones in presentScore, adds falsePositives per caption in falseScore', () => {
    const noise = resolveConceptNoise({ pMiss: 0.25, falsePositives: 2, presentScore: [0.5, 1], falseScore: [0.05, 0.3] });
    const rng = new Rng(1);
    const trials = 4000;
    let missed = 0;
    let keptSum = 0;
    let kept = 0;
    let falses = 0;
    const out = new Float32Array(K);
    for (let t = 0; t < trials; t++) {
      noisyConcepts(clean, noise, rng, out);
      for (let k = 0; k < K; k++) {
        if (clean[k] > 0) {
          if (out[k] === 0) missed++;
          else {
            expect(out[k]).toBeGreaterThanOrEqual(0.5);
            expect(out[k]).toBeLessThanOrEqual(1);
            keptSum += out[k];
            kept++;
          }
        } else if (out[k] !== 0) {
          expect(out[k]).toBeGreaterThanOrEqual(0.05);
          expect(out[k]).toBeLessThanOrEqual(0.3);
          falses++;
        }
      }
    }
    expect(missed / (trials * 4)).toBeCloseTo(0.25, 1.5);
    expect(keptSum / kept).toBeCloseTo(0.75, 1.5);
    expect(falses / trials).toBeCloseTo(2, 1);
  });

  it('with no misses and no false positives only rescales the present concepts', () => {
    const out = noisyConcepts(clean, resolveConceptNoise({ pMiss: 0, falsePositives: 0, presentScore: [0.9, 0.9] }), new Rng(2));
    for (let k = 0; k < K; k++) expect(out[k]).toBeCloseTo(clean[k] > 0 ? 0.9 : 0, 6);
  });

  it('rejects bad options, naming the option', () => {
    expect(() => resolveConceptNoise({ pMiss: 1.5 })).toThrow(/conceptNoise.pMiss must be in \[0, 1\], got 1.5/);
    expect(() => resolveConceptNoise({ falsePositives: -1 })).toThrow(/conceptNoise.falsePositives/);
    expect(() => resolveConceptNoise({ presentScore: [0.9, 0.5] })).toThrow(/conceptNoise.presentScore must be \[lo, hi\]/);
    expect(() => resolveConceptNoise({ falseScore: [0, 2] })).toThrow(/conceptNoise.falseScore/);
    expect(() => noisyConcepts(clean, resolveConceptNoise({}), new Rng(1), new Float32Array(3))).toThrow(/out has 3 values for 50/);
  });
});
