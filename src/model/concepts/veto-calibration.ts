/**
 * Per-object veto thresholds calibrated on captioned photos (concept-guidance.ts
 * `vetoBelowByObject`). One common threshold treats every object's scores alike, but a detector's
 * scores are not equally sharp for every class: on Flickr8k training photos a person scoring 0.2
 * is seldom in the captions, a cup scoring 0.2 often is. For each COCO object with enough photos
 * whose captions name it, the threshold is the highest score below which the captions name the
 * object in at most `maxPresentRate` of the photos: vetoing there removes the word almost only
 * where it would have been wrong.
 */
import { COCO_OBJECTS } from './coco-objects.js';
import { CONCEPT_COUNT } from './visual-concepts.js';

export interface VetoCalibrationOptions {
  /** Highest share of vetoed photos whose captions name the object anyway (smoothed: (present + 1) / (vetoed + 2)). */
  maxPresentRate: number;
  /** Objects named in fewer photos than this keep the common threshold (too little to calibrate on). */
  minPresent: number;
  /** No threshold at or above this (it must stay below the guidance's requireAbove). */
  ceiling: number;
}

/**
 * `scores`: n×K concept scores (K = CONCEPT_COUNT; COCO objects first, in COCO_OBJECTS order).
 * `present`: n×80, 1 where the photo's captions name that COCO object. Returns the calibrated
 * objects' thresholds; objects left out keep the common one.
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
  for (let o = 0; o < O; o++) {
    let positives = 0;
    for (let p = 0; p < n; p++) positives += present[p * O + o]!;
    if (positives < options.minPresent) continue;
    for (let p = 0; p < n; p++) order[p] = p;
    order.sort((a, b) => scores[a * K + o]! - scores[b * K + o]!);
    // The longest run of lowest scores whose smoothed presence rate stays within bounds.
    let seen = 0;
    let best = 0;
    for (let k = 1; k <= n; k++) {
      seen += present[order[k - 1]! * O + o]!;
      if ((seen + 1) / (k + 2) <= options.maxPresentRate) best = k;
    }
    if (best === 0) continue;
    // Between the last vetoed photo's score and the next one's: no photo of the run is left out.
    const last = scores[order[best - 1]! * K + o]!;
    const next = best < n ? scores[order[best]! * K + o]! : options.ceiling;
    const threshold = Math.min((last + next) / 2, options.ceiling * 0.999);
    out[COCO_OBJECTS[o]!] = Math.round(threshold * 1e4) / 1e4;
  }
  return out;
}
