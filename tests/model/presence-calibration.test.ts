import { describe, expect, it } from 'vitest';
import { COCO_OBJECTS } from '../../src/model/concepts/coco-objects.js';
import {
  calibrateRequirements,
  calibrateVetoes,
  estimateBaseRate,
  presenceRates,
  shiftPresence,
} from '../../src/model/concepts/presence-calibration.js';
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

describe('per-object requirement calibration', () => {
  // Scores p/1000. Person: named in half the photos below 0.5, in all from 0.5 up. Cup: every 4th photo at any score.
  const d = photos(1000, (p, o) => {
    const s = p / 1000;
    if (o === PERSON) return [s, s >= 0.5 || p % 2 === 0];
    if (o === CUP) return [s, p % 4 === 0];
    return [s, false];
  });

  it('requires an object from where its captions nearly always name it, never a blunt one, and leaves unseen ones out', () => {
    const t = calibrateRequirements(d.scores, d.present, d.n, { minPrecision: 0.9, minPresent: 30 });
    expect(t.person).toBeGreaterThan(0.49);
    expect(t.person).toBeLessThan(0.51);
    expect(t.cup).toBe(0.999); // named in a quarter of the photos at any score: never sure enough to require
    expect(t).not.toHaveProperty(COCO_OBJECTS[GIRAFFE]!);
  });
});

describe('requirement calibration with exclusive animals', () => {
  const HORSE = COCO_OBJECTS.indexOf('horse');
  const DOG = COCO_OBJECTS.indexOf('dog');
  const CAT = COCO_OBJECTS.indexOf('cat');
  // 1,000 horse photos (horse 0.3–1, named from 0.6; dog 0.1) and 1,000 dog photos in which the
  // detector echoes a horse at 0.5–0.8 (dog 0.95, never a horse named; a cat named in every 10th,
  // scoring 0.5, never the top animal). People are named from 0.5 in all of them.
  const d = photos(2000, (p, o) => {
    const horsePhoto = p < 1000;
    const s = (p % 1000) / 1000;
    if (o === HORSE) return horsePhoto ? [0.3 + 0.7 * s, 0.3 + 0.7 * s >= 0.6] : [0.5 + 0.3 * s, false];
    if (o === DOG) return horsePhoto ? [0.1, false] : [0.95, true];
    if (o === CAT) return horsePhoto ? [0, false] : [0.5, p % 10 === 0];
    if (o === PERSON) return [s, s >= 0.5];
    return [0, false];
  });
  const options = { minPrecision: 0.9, minPresent: 30 };

  it('fits an animal on the photos where it outscores its rivals, and keeps the fit over all photos where those are too few', () => {
    const all = calibrateRequirements(d.scores, d.present, d.n, options);
    const exclusive = calibrateRequirements(d.scores, d.present, d.n, { ...options, exclusiveAnimals: true });
    // Over every photo the dog photos' echoes keep a horse from 90 % until 0.8; where it is the top animal, from 0.6.
    expect(all.horse).toBeGreaterThan(0.79);
    expect(exclusive.horse).toBeGreaterThan(0.59);
    expect(exclusive.horse).toBeLessThan(0.61);
    // The cat never leads: it keeps its fit over all photos, as the person (no animal) does.
    expect(exclusive.cat).toBe(all.cat);
    expect(exclusive.person).toBe(all.person);
    // Every photo where the dog is the top animal names it; over all photos it needs more than the horse photos' 0.1.
    expect(all.dog).toBeCloseTo(0.525, 4);
    expect(exclusive.dog).toBe(0);
  });

  // 1,000 photos where a bear leads (bear 0.2–1, named from 0.6 and in every other photo from 0.4;
  // dog 0.1) and 1,000 where a dog leads, the bear scoring 0.5–0.8 and named in every third.
  const BEAR = COCO_OBJECTS.indexOf('bear');
  const bearScore = (p: number) => 0.2 + 0.8 * ((p % 1000) / 1000);
  const mixed = photos(2000, (p, o) => {
    const bearPhoto = p < 1000;
    const s = bearScore(p);
    if (o === BEAR) return bearPhoto ? [s, s >= 0.6 || (s >= 0.4 && p % 2 === 0)] : [0.5 + 0.3 * ((p % 1000) / 1000), p % 3 === 0];
    if (o === DOG) return bearPhoto ? [0.1, false] : [0.95, true];
    return [0, false];
  });
  /** Uncaptioned target photos: the bear leads (0.9 against a dog's 0.5) where `bearLeads`, else scores 0.3. */
  const targetOf = (n: number, bearLeads: (p: number) => boolean) => {
    const t = photos(n, (p, o) => (o === BEAR ? [bearLeads(p) ? 0.9 : 0.3, false] : o === DOG ? [0.5, false] : [0, false]));
    return { scores: t.scores, n };
  };
  /** The rows of `d` (n×K scores, n×80 flags) that `keep` keeps. */
  const rowsOf = (scores: Float32Array, present: Uint8Array | undefined, n: number, keep: (p: number) => boolean) => {
    const kept = Array.from({ length: n }, (_, p) => p).filter(keep);
    const K = CONCEPT_COUNT;
    return {
      n: kept.length,
      scores: Float32Array.from(kept.flatMap((p) => Array.from(scores.subarray(p * K, (p + 1) * K)))),
      present: present && Uint8Array.from(kept.flatMap((p) => Array.from(present.subarray(p * O, (p + 1) * O)))),
    };
  };

  it('fits a leading animal exactly as a plain fit on the photos where it leads, captioned and target alike', () => {
    const target = targetOf(400, (p) => p % 2 === 0);
    const exclusive = calibrateRequirements(mixed.scores, mixed.present, mixed.n, { ...options, exclusiveAnimals: true, target });
    const leads = rowsOf(mixed.scores, mixed.present, mixed.n, (p) => p < 1000);
    const targetLeads = rowsOf(target.scores, undefined, target.n, (p) => p % 2 === 0);
    const plain = calibrateRequirements(leads.scores, leads.present!, leads.n, {
      ...options,
      target: { scores: targetLeads.scores, n: targetLeads.n },
    });
    expect(exclusive.bear).toBe(plain.bear);
    // The target photos where the bear leads all score 0.9: its base rate there is high, and the
    // photos named half the time (0.4–0.6) pass 90 %; over all photos they would not.
    expect(exclusive.bear).toBeLessThan(0.45);
    expect(calibrateRequirements(mixed.scores, mixed.present, mixed.n, { ...options, target }).bear).toBeGreaterThan(0.55);
  });

  it('keeps the fit over all photos where too few target photos have the animal lead', () => {
    const few = targetOf(400, (p) => p < 10);
    const fallback = calibrateRequirements(mixed.scores, mixed.present, mixed.n, { ...options, exclusiveAnimals: true, target: few });
    expect(fallback.bear).toBe(calibrateRequirements(mixed.scores, mixed.present, mixed.n, { ...options, target: few }).bear);
  });
});

describe('calibrating for the base rates of the photos to be captioned', () => {
  // Person scores: named photos spread evenly over [0.2, 1), the others over [0, 0.6). The captioned
  // photos name people in 80 % of them (as Flickr8k does), the target photos in 20 %.
  const mixed = (n: number, share: number) => {
    const named = Math.round(n * share);
    return photos(n, (p, o) => {
      if (o !== PERSON) return [0, false];
      return p < named ? [0.2 + (0.8 * (p + 0.5)) / named, true] : [(0.6 * (p - named + 0.5)) / (n - named), false];
    });
  };
  const captioned = mixed(2000, 0.8);
  const target = mixed(2000, 0.2);
  const options = { maxPresentRate: 0.2, minPresent: 30, ceiling: 0.9 };

  it('moves a probability to another base rate by Bayes’ rule and keeps 0 and 1', () => {
    // Where both kinds overlap: 1,000 named against 333 others per unit of score at 80 %; 250 against 1,333 at 20 %.
    expect(shiftPresence(0.75, 0.8, 0.2)).toBeCloseTo(250 / (250 + 1333.33), 3);
    expect(shiftPresence(0, 0.8, 0.2)).toBe(0);
    expect(shiftPresence(1, 0.8, 0.2)).toBe(1);
    expect(shiftPresence(0.3, 0.5, 0.5)).toBeCloseTo(0.3, 12);
    // A base rate of 0 or 1 where calibrated has no odds to move: the probability stays.
    expect(shiftPresence(0.3, 1, 0.2)).toBe(0.3);
    expect(shiftPresence(0.3, 0, 0.2)).toBe(0.3);
  });

  it('estimates the target photos’ base rate from their scores alone', () => {
    const rates = presenceRates(captioned.scores, captioned.present, captioned.n, { ...options, target });
    expect(rates.person!.calibrated).toBeCloseTo(0.8, 6);
    expect(rates.person!.target).toBeGreaterThan(0.18);
    expect(rates.person!.target).toBeLessThan(0.22);
    expect(estimateBaseRate([0.5, 0.5], 0.5)).toBeCloseTo(0.5, 6);
  });

  it('raises a threshold where the target photos rarely name the object, which the captioned rate hid', () => {
    const at80 = calibrateVetoes(captioned.scores, captioned.present, captioned.n, options).person!;
    const at20 = calibrateVetoes(captioned.scores, captioned.present, captioned.n, { ...options, target }).person!;
    expect(at80).toBeGreaterThan(0.15); // P = 0.75 from 0.2 up
    expect(at80).toBeLessThan(0.25);
    expect(at20).toBeGreaterThan(0.55); // P = 0.16 over the overlap: vetoed up to where only named photos remain
    expect(at20).toBeLessThan(0.65);
  });

  it('raises a requirement threshold where the target photos name the object less often', () => {
    // Over the overlap [0.2, 0.6) P = 0.75 at 80 %, 0.16 at 20 %; from 0.6 up, 1 at both.
    const options = { minPrecision: 0.7, minPresent: 30 };
    const at80 = calibrateRequirements(captioned.scores, captioned.present, captioned.n, options).person!;
    const at20 = calibrateRequirements(captioned.scores, captioned.present, captioned.n, { ...options, target }).person!;
    expect(at80).toBeGreaterThan(0.15);
    expect(at80).toBeLessThan(0.25);
    expect(at20).toBeGreaterThan(0.55);
    expect(at20).toBeLessThan(0.65);
  });

  it('refuses target scores of the wrong size', () => {
    const bad = { scores: target.scores.subarray(1), n: target.n };
    expect(() => calibrateVetoes(captioned.scores, captioned.present, captioned.n, { ...options, target: bad })).toThrow(/target scores/);
  });
});
