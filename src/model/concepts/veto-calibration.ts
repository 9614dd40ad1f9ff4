/**
 * Per-object veto thresholds calibrated on captioned photos (concept-guidance.ts
 * `vetoBelowByObject`). One common threshold treats every object's scores alike, but a detector's
 * scores are not equally sharp for every class. For each COCO object with enough photos whose
 * captions name it, P(captions name it | score) is fitted by isotonic regression (pool adjacent
 * violators: the non-decreasing step function closest to the 0/1 outcomes), and the threshold is
 * the score where that probability first reaches `maxPresentRate`: below it, the word is
 * (almost) always wrong.
 */
import { COCO_OBJECTS } from './coco-objects.js';
import { CONCEPT_COUNT } from './visual-concepts.js';

export interface VetoCalibrationOptions {
  /** The probability that the captions name the object, at and above which it is not vetoed. */
  maxPresentRate: number;
  /** Objects named in fewer photos than this are left out (too little to calibrate on). */
  minPresent: number;
  /** No threshold at or above this (it must stay below the guidance's requireAbove). */
  ceiling: number;
}

/** Isotonic regression of 0/1 outcomes ordered by score: blocks [start, end) with their means, non-decreasing. */
function poolAdjacentViolators(outcomes: ArrayLike<number>): Array<{ start: number; end: number; mean: number }> {
  const blocks: Array<{ start: number; end: number; sum: number }> = [];
  for (let i = 0; i < outcomes.length; i++) {
    blocks.push({ start: i, end: i + 1, sum: outcomes[i]! });
    // Merge while the last block's mean is below the one before it.
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.sum / (a.end - a.start) <= b.sum / (b.end - b.start)) break;
      blocks.splice(blocks.length - 2, 2, { start: a.start, end: b.end, sum: a.sum + b.sum });
    }
  }
  return blocks.map((b) => ({ start: b.start, end: b.end, mean: b.sum / (b.end - b.start) }));
}

/**
 * `scores`: n×K concept scores (K = CONCEPT_COUNT; COCO objects first, in COCO_OBJECTS order).
 * `present`: n×80, 1 where the photo's captions name that COCO object. Returns the calibrated
 * objects' thresholds (0: the object is never vetoed); objects left out keep the common one.
 */
export function calibrateVetoes(
  scores: Float32Array,
  present: Uint8Array,
  n: number,
  options: VetoCalibrationOptions,
): Record<string, number> {
  const K = CONCEPT_COUNT;
  const O = COCO_OBJECTS.length;
  if (scores.length !== n * K) throw new RangeError(`calibrateVetoes: ${scores.length} scores for ${n} photos × ${K} concepts`);
  if (present.length !== n * O) throw new RangeError(`calibrateVetoes: ${present.length} presence flags for ${n} photos × ${O} objects`);
  const out: Record<string, number> = {};
  const order = new Uint32Array(n);
  const outcomes = new Uint8Array(n);
  for (let o = 0; o < O; o++) {
    let positives = 0;
    for (let p = 0; p < n; p++) positives += present[p * O + o]!;
    if (positives < options.minPresent) continue;
    for (let p = 0; p < n; p++) order[p] = p;
    order.sort((a, b) => scores[a * K + o]! - scores[b * K + o]!);
    for (let k = 0; k < n; k++) outcomes[k] = present[order[k]! * O + o]!;
    const first = poolAdjacentViolators(outcomes).find((b) => b.mean >= options.maxPresentRate);
    const score = (k: number) => scores[order[k]! * K + o]!;
    // Between the last photo vetoed and the first one kept; the ceiling if the rate is never reached.
    const threshold = !first ? options.ceiling : first.start === 0 ? 0 : (score(first.start - 1) + score(first.start)) / 2;
    out[COCO_OBJECTS[o]!] = Math.round(Math.min(threshold, options.ceiling * 0.999) * 1e4) / 1e4;
  }
  return out;
}
