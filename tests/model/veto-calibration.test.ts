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

  it('puts a sharp object’s threshold where its captions start naming it, and leaves blunt and unseen objects out', () => {
    const t = calibrateVetoes(d.scores, d.present, d.n, options);
    expect(t.person).toBeGreaterThan(0.3);
    expect(t.person).toBeLessThan(0.32); // a few named photos fit within 5 %
    expect(t).not.toHaveProperty('cup');
    expect(t).not.toHaveProperty(COCO_OBJECTS[GIRAFFE]!);
  });

  it('a stricter rate vetoes less, and no threshold reaches the ceiling', () => {
    const strict = calibrateVetoes(d.scores, d.present, d.n, { ...options, maxPresentRate: 0.01 });
    const loose = calibrateVetoes(d.scores, d.present, d.n, { ...options, maxPresentRate: 0.5 });
    expect(strict.person!).toBeLessThanOrEqual(calibrateVetoes(d.scores, d.present, d.n, options).person!);
    for (const t of Object.values(loose)) expect(t).toBeLessThan(0.4);
    expect(loose.cup).toBeCloseTo(0.4, 2);
  });

  it('refuses scores and flags of the wrong sizes', () => {
    expect(() => calibrateVetoes(d.scores.subarray(1), d.present, d.n, options)).toThrow(/scores for 1000 photos/);
    expect(() => calibrateVetoes(d.scores, d.present.subarray(1), d.n, options)).toThrow(/presence flags/);
  });
});
