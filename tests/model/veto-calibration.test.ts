import { describe, expect, it } from 'vitest';
import { COCO_OBJECTS } from '../../src/model/concepts/coco-objects.js';
import { calibrateVetoes } from '../../src/model/concepts/veto-calibration.js';
import { CONCEPT_COUNT } from '../../src/model/concepts/visual-concepts.js';

const O = COCO_OBJECTS.length;
const PERSON = COCO_OBJECTS.indexOf('person');
const CUP = COCO_OBJECTS.indexOf('cup');
const GIRAFFE = COCO_OBJECTS.indexOf('giraffe');

/** n photos; each object's score and presence from `of(photo, object)`. */
function photos(n: number, of: (p: number, o: number) => [score: number, present: boolean]) {
  const scores = new Float32Array(n * CONCEPT_COUNT);
  const present = new Uint8Array(n * O);
  for (let p = 0; p < n; p++)
    for (let o = 0; o < O; o++) {
      const [s, y] = of(p, o);
      scores[p * CONCEPT_COUNT + o] = s;
      present[p * O + o] = y ? 1 : 0;
    }
  return { scores, present, n };
}

describe('per-object veto calibration', () => {
  // Scores p/1000. Person: named only from 0.3 up (sharp). Cup: named in every 4th photo at any score (blunt).
  // Giraffe: never named (nothing to calibrate on).
  const d = photos(1000, (p, o) => {
    const s = p / 1000;
    if (o === PERSON) return [s, s >= 0.3];
    if (o === CUP) return [s, p % 4 === 0];
    return [s, false];
  });
  const options = { maxPresentRate: 0.05, minPresent: 30, ceiling: 0.4 };

  it('puts a sharp object’s threshold where its captions start naming it, never vetoes a blunt one, leaves unseen ones out', () => {
    const t = calibrateVetoes(d.scores, d.present, d.n, options);
    expect(t.person).toBeCloseTo(0.2995, 4); // between the last photo never named (0.299) and the first named (0.300)
    expect(t.cup).toBe(0); // named in a quarter of the photos at any score: P never falls below 5 %
    expect(t).not.toHaveProperty(COCO_OBJECTS[GIRAFFE]!);
  });

  it('follows the probability, not the base rate: a rare object is vetoed only where it is rarely named', () => {
    // Bicycles: 2 % of photos below 0.2, 40 % from 0.2 up. A cumulative rate would veto everything below 0.4.
    const B = COCO_OBJECTS.indexOf('bicycle');
    const r = photos(2000, (p, o) => {
      const s = (p % 1000) / 1000;
      return o === B ? [s, s < 0.2 ? p % 50 === 0 : p % 5 < 2] : [s, false];
    });
    const t = calibrateVetoes(r.scores, r.present, r.n, options);
    expect(t.bicycle).toBeGreaterThan(0.15);
    expect(t.bicycle).toBeLessThan(0.21);
    // A rate above the highest probability: vetoed up to the ceiling, never at it.
    expect(calibrateVetoes(r.scores, r.present, r.n, { ...options, maxPresentRate: 0.9 }).bicycle).toBeCloseTo(0.3996, 4);
  });

  it('refuses scores and flags of the wrong sizes', () => {
    expect(() => calibrateVetoes(d.scores.subarray(1), d.present, d.n, options)).toThrow(/scores for 1000 photos/);
    expect(() => calibrateVetoes(d.scores, d.present.subarray(1), d.n, options)).toThrow(/presence flags/);
  });
});
