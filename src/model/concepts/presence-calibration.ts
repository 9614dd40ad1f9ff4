/**
 * Per-object guidance thresholds calibrated on captioned photos: vetoes (concept-guidance.ts
 * `vetoBelowByObject`) and requirements (`requireAboveByObject`). One common threshold treats
 * every object's scores alike, but a detector's scores are not equally sharp for every class. For
 * each COCO object with enough photos whose captions name it, P(captions name it | score) is
 * fitted by isotonic regression (pool adjacent violators: the non-decreasing step function
 * closest to the 0/1 outcomes). A veto threshold is the score where that probability first
 * reaches `maxPresentRate`: below it, the word is (almost) always wrong. A requirement threshold
 * is the score where it first reaches `minPrecision`: from there, the word is (almost) always right.
 *
 * Those probabilities carry the captioned photos' base rates: in Flickr8k 78 % of photos have
 * their people named and 25 % a dog, far more than in a person's everyday photos. Given the
 * scores of uncaptioned photos of the domain to be captioned (`target`), each object's rate there
 * is estimated by EM and the fitted probabilities are moved to it (Saerens, Latinne & Decaestecker
 * 2002, "Adjusting the outputs of a classifier to new a priori probabilities": under label shift
 * P'(y|s) ∝ P(y|s)·π'/π), so a threshold means the same probability on the photos it guides.
 *
 * With `exclusiveAnimals`, an animal's requirement is fitted on the photos where it leads its
 * rival animals (animal-rivals.ts), in the captioned and in the target photos alike: guidance
 * then requires it only there, and elsewhere its score is mostly another animal's echo. Where too
 * few of those photos name it, or too few target photos have it lead (under minPresent either),
 * it keeps the fit over every photo.
 */
import { isAnimal, leadsRivals } from './animal-rivals.js';
import { COCO_OBJECTS } from './coco-objects.js';
import { CONCEPT_COUNT } from './visual-concepts.js';

/** What every fit reads besides the photos. */
export interface PresenceFitOptions {
  /** Objects named in fewer photos than this are left out (too little to calibrate on). */
  minPresent: number;
  /** Concept scores (n×K) of uncaptioned photos of the domain to be captioned: calibrate for its base rates. */
  target?: { scores: Float32Array; n: number };
}

export interface VetoCalibrationOptions extends PresenceFitOptions {
  /** The probability that the captions name the object, at and above which it is not vetoed. */
  maxPresentRate: number;
  /** No threshold at or above this (it must stay below the guidance's requireAbove). */
  ceiling: number;
}

/** An object's base rate (share of photos whose captions name it), where calibrated and in the target photos. */
export interface PresenceRates {
  calibrated: number;
  target: number;
}

/** P(y|s) fitted at base rate `from`, moved to base rate `to` (Saerens et al. 2002, eq. 2.4); unchanged unless `from` is in (0, 1). */
export function shiftPresence(p: number, from: number, to: number): number {
  if (!(from > 0 && from < 1)) return p;
  const yes = (p * to) / from;
  const no = ((1 - p) * (1 - to)) / (1 - from);
  return yes + no > 0 ? yes / (yes + no) : 0;
}

/**
 * The base rate in photos whose fitted probabilities are `probabilities` (fitted at base rate
 * `from`), by EM: shift the probabilities to the current estimate, take their mean, repeat.
 */
export function estimateBaseRate(probabilities: ArrayLike<number>, from: number, iterations = 500): number {
  const n = probabilities.length;
  if (n === 0 || from <= 0 || from >= 1) return from;
  let rate = from;
  for (let it = 0; it < iterations; it++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += shiftPresence(probabilities[i]!, from, rate);
    const next = sum / n;
    const done = Math.abs(next - rate) < 1e-7;
    rate = next;
    if (done) break;
  }
  return rate;
}

/** The fitted step function's value at score `s`: the block of the highest sorted score at or below it (the first block below them all). */
function presenceAt(sorted: ArrayLike<number>, blocks: ReadonlyArray<{ start: number; end: number; mean: number }>, s: number): number {
  let lo = 0;
  let hi = sorted.length; // first index with sorted[i] > s
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= s) lo = mid + 1;
    else hi = mid;
  }
  const k = Math.max(0, lo - 1);
  return blocks.find((b) => k < b.end)!.mean;
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
 * objects' veto thresholds (0: the object is never vetoed); objects left out keep the common one.
 */
export function calibrateVetoes(
  scores: Float32Array,
  present: Uint8Array,
  n: number,
  options: VetoCalibrationOptions,
): Record<string, number> {
  return thresholdsReaching(fitPresence(scores, present, n, options), options.maxPresentRate, options.ceiling);
}

export interface RequirementCalibrationOptions extends PresenceFitOptions {
  /** The probability that the captions name the object, from which on it is required. */
  minPrecision: number;
  /** Fit each animal on the photos where it leads its rivals (guidance's `exclusiveAnimals`). */
  exclusiveAnimals?: boolean;
}

/**
 * The calibrated objects' requirement thresholds: the score from which the fitted P(captions name
 * it | score) is at least `minPrecision` (0.999 where it never is); objects left out keep the
 * common one. Same inputs as calibrateVetoes.
 */
export function calibrateRequirements(
  scores: Float32Array,
  present: Uint8Array,
  n: number,
  options: RequirementCalibrationOptions,
): Record<string, number> {
  const fits = fitPresence(scores, present, n, options);
  if (options.exclusiveAnimals) {
    const leading = (all: Float32Array, photos: number, o: number) =>
      Uint32Array.from({ length: photos }, (_, p) => p).filter((p) => leadsRivals(o, (i) => all[p * CONCEPT_COUNT + i]!));
    for (let o = 0; o < COCO_OBJECTS.length; o++) {
      if (!isAnimal(o) || !(COCO_OBJECTS[o]! in fits)) continue;
      const targetPhotos = options.target ? leading(options.target.scores, options.target.n, o) : undefined;
      // Too few target photos to estimate its base rate where it leads: the fit over all photos stays.
      if (targetPhotos && targetPhotos.length < options.minPresent) continue;
      const subset = { object: o, photos: leading(scores, n, o), ...(targetPhotos ? { targetPhotos } : {}) };
      const own = fitPresence(scores, present, n, options, subset);
      if (own[COCO_OBJECTS[o]!]) fits[COCO_OBJECTS[o]!] = own[COCO_OBJECTS[o]!]!;
    }
  }
  return thresholdsReaching(fits, options.minPrecision, 1);
}

/** Per object, the score where its fitted probability first reaches `rate`, below `ceiling` (just under it where the rate is never reached). */
function thresholdsReaching(fits: Record<string, PresenceFit>, rate: number, ceiling: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [object, fit] of Object.entries(fits)) {
    const first = fit.blocks.find((b) => b.mean >= rate);
    // Between the last photo below and the first one at or above.
    const threshold = !first ? ceiling : first.start === 0 ? 0 : (fit.sorted[first.start - 1]! + fit.sorted[first.start]!) / 2;
    out[object] = Math.round(Math.min(threshold, ceiling * 0.999) * 1e4) / 1e4;
  }
  return out;
}

/** Each calibrated object's base rate in the captioned photos and, estimated, in the target photos. */
export function presenceRates(
  scores: Float32Array,
  present: Uint8Array,
  n: number,
  options: VetoCalibrationOptions & { target: { scores: Float32Array; n: number } },
): Record<string, PresenceRates> {
  return Object.fromEntries(Object.entries(fitPresence(scores, present, n, options)).map(([o, fit]) => [o, fit.rates!]));
}

interface PresenceFit {
  /** The photos' scores, ascending. */
  sorted: Float32Array;
  /** P(captions name it | score) as blocks over `sorted`, non-decreasing (moved to the target's base rate, with one). */
  blocks: Array<{ start: number; end: number; mean: number }>;
  rates?: PresenceRates;
}

/** Photos (by index) to fit one object on, in the captioned and the target photos: the others are left out. */
interface PhotoSubset {
  object: number;
  photos: Uint32Array;
  targetPhotos?: Uint32Array;
}

/** The fitted presence of every object named in at least minPresent photos (of `subset`'s photos only its object). */
function fitPresence(
  scores: Float32Array,
  present: Uint8Array,
  n: number,
  options: PresenceFitOptions,
  subset?: PhotoSubset,
): Record<string, PresenceFit> {
  const K = CONCEPT_COUNT;
  const O = COCO_OBJECTS.length;
  if (scores.length !== n * K) throw new RangeError(`presence calibration: ${scores.length} scores for ${n} photos × ${K} concepts`);
  if (present.length !== n * O)
    throw new RangeError(`presence calibration: ${present.length} presence flags for ${n} photos × ${O} objects`);
  const { target } = options;
  if (target && target.scores.length !== target.n * K)
    throw new RangeError(`presence calibration: ${target.scores.length} target scores for ${target.n} photos × ${K} concepts`);
  const all = (count: number) => Uint32Array.from({ length: count }, (_, p) => p);
  const photos = subset?.photos ?? all(n);
  const targetPhotos = target ? (subset?.targetPhotos ?? all(target.n)) : undefined;
  const out: Record<string, PresenceFit> = {};
  for (let o = 0; o < O; o++) {
    if (subset && o !== subset.object) continue;
    let positives = 0;
    for (const p of photos) positives += present[p * O + o]!;
    if (positives < options.minPresent) continue;
    const order = photos.slice().sort((a, b) => scores[a * K + o]! - scores[b * K + o]!);
    const outcomes = Uint8Array.from(order, (p) => present[p * O + o]!);
    const sorted = Float32Array.from(order, (p) => scores[p * K + o]!);
    const blocks = poolAdjacentViolators(outcomes);
    if (!target || !targetPhotos) {
      out[COCO_OBJECTS[o]!] = { sorted, blocks };
      continue;
    }
    const from = positives / photos.length;
    const fitted = Float64Array.from(targetPhotos, (p) => presenceAt(sorted, blocks, target.scores[p * K + o]!));
    const to = estimateBaseRate(fitted, from);
    const moved = blocks.map((b) => ({ ...b, mean: shiftPresence(b.mean, from, to) }));
    out[COCO_OBJECTS[o]!] = { sorted, blocks: moved, rates: { calibrated: from, target: to } };
  }
  return out;
}
