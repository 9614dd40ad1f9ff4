/**
 * The default concept noise reproduces the detector behaviour measured on Flickr8k train photos
 * (DETECTOR_BEHAVIOUR in src/training/concept-noise.ts, from tools/measure-concept-noise.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCEPT_NOISE, DETECTOR_BEHAVIOUR, noisyConcepts, resolveConceptNoise } from '../../src/training/concept-noise.js';
import { conceptVectorFromCaption } from '../../src/model/concepts/caption-concepts.js';
import { Rng } from '../../src/model/rng.js';

function quantile(sorted: number[], p: number): number {
  const x = p * (sorted.length - 1);
  const i = Math.floor(x);
  return sorted[i]! + ((sorted[Math.min(i + 1, sorted.length - 1)] ?? sorted[i]!) - sorted[i]!) * (x - i);
}

describe('default concept noise', () => {
  it("matches the measured table: miss rate, present scores' quartiles, false positives per caption and their tail", () => {
    const clean = conceptVectorFromCaption('a dog runs on the beach near a man');
    const present = [...clean.keys()].filter((k) => clean[k]! > 0);
    expect(present.length).toBeGreaterThanOrEqual(3);
    const noise = resolveConceptNoise({});
    expect(noise).toEqual(DEFAULT_CONCEPT_NOISE);
    const rng = new Rng(3);
    const trials = 6000;
    const kept: number[] = [];
    let [missed, falses, above3, above5] = [0, 0, 0, 0];
    const falseScores: number[] = [];
    const out = new Float32Array(clean.length);
    for (let t = 0; t < trials; t++) {
      noisyConcepts(clean, noise, rng, out);
      for (let k = 0; k < clean.length; k++) {
        const v = out[k]!;
        if (clean[k]! > 0) {
          if (v === 0) missed++;
          else kept.push(v);
        } else if (v > 0) {
          falses++;
          falseScores.push(v);
          if (v > 0.3) above3++;
          if (v > 0.5) above5++;
        }
      }
    }
    const m = DETECTOR_BEHAVIOUR;
    expect(missed / (trials * present.length)).toBeCloseTo(m.presentBelow005, 1.5);
    kept.sort((a, b) => a - b);
    expect(quantile(kept, 0.5)).toBeCloseTo(m.presentQuantiles[10], 1.5);
    expect(quantile(kept, 0.25)).toBeCloseTo(m.presentQuantiles[5], 1.5);
    expect(quantile(kept, 0.75)).toBeCloseTo(m.presentQuantiles[15], 1.5);
    expect(falses / trials).toBeGreaterThan(m.absentAbove005PerPhoto * 0.97);
    expect(falses / trials).toBeLessThan(m.absentAbove005PerPhoto * 1.03);
    falseScores.sort((a, b) => a - b);
    expect(quantile(falseScores, 0.5)).toBeCloseTo(m.absentQuantiles[50], 2);
    // The tail that misleads a decoder most: within 15 % of the measured counts per photo.
    expect(above3 / trials / m.absentAbove03PerPhoto).toBeGreaterThan(0.85);
    expect(above3 / trials / m.absentAbove03PerPhoto).toBeLessThan(1.15);
    expect(above5 / trials / m.absentAbove05PerPhoto).toBeGreaterThan(0.85);
    expect(above5 / trials / m.absentAbove05PerPhoto).toBeLessThan(1.15);
  });

  it('draws from a quantile table by its inverse CDF and rejects a table that is not ascending in [0, 1]', () => {
    const clean = new Float32Array(4).fill(1);
    const table = resolveConceptNoise({ pMiss: 0, falsePositives: 0, presentScore: { quantiles: [0.2, 0.4] } });
    const rng = new Rng(9);
    let sum = 0;
    for (let t = 0; t < 2000; t++) {
      for (const v of noisyConcepts(clean, table, rng)) {
        expect(v).toBeGreaterThanOrEqual(0.2);
        sum += v;
      }
    }
    expect(sum / 8000).toBeCloseTo(0.3, 2);
    expect(() => resolveConceptNoise({ presentScore: { quantiles: [0.5, 0.2] } })).toThrow(
      /conceptNoise.presentScore.quantiles must be >= 2 ascending numbers in \[0, 1\]/,
    );
    expect(() => resolveConceptNoise({ falseScore: { quantiles: [0.5] } })).toThrow(/conceptNoise.falseScore.quantiles/);
  });
});
