/**
 * Animals as rival readings of one photo. A detector's per-class sigmoids fire on the same animal
 * in several classes (the foals of the README's horses score horse 0.74 and dog 0.20), so a photo's
 * animal scores are alternatives more than independent findings. Guidance (concept-guidance.ts,
 * `exclusiveAnimals`) and the requirement calibration (presence-calibration.ts) read them that way:
 * an animal counts as confident only where it leads its rivals, and once it is required the rivals
 * scoring under RIVAL_VETO_SHARE of it are vetoed.
 *
 * Measured on the 6,548 Flickr8k training photos with the shipped guidance's thresholds
 * (2026-12-07, sixth session; `tools/tune-guidance.ts` prints it as its `rival_naming` line): where
 * an animal passes its requirement threshold and leads, the captions name a rival scoring at least
 * 0.1 in 14 of 1,605 cases where the rival scores under a quarter of the leader's score (0.9 %), 22
 * of 456 from a quarter to a half (4.8 %), 15 of 126 from a half to three quarters (12 %) and 7 of 14
 * above (50 %: a cat beside a dog). Under half, the rate stays below the 5 % at which guidance
 * vetoes a word; above it, a second animal is often really there. And a horse scoring 0.6–0.75 in a
 * dog photo (dog ≥ 0.9) is the detector's confusion, not a second animal: calibrated on every
 * photo, a horse needs 0.76 to be named in 90 % of them; on the photos where it leads, 0.65 (both
 * at the base rates of 2,000 everyday COCO photos).
 */
import { CONCEPT_ANCESTORS, CONCEPT_COUNT, conceptIndex, isKindOf } from './visual-concepts.js';

/** A required animal's rivals scoring under this share of its score are vetoed. */
export const RIVAL_VETO_SHARE = 0.5;

const ANIMAL = conceptIndex('animal');

/** Whether concept c is an animal (a kind of "animal", which itself is none). */
export function isAnimal(c: number): boolean {
  return c !== ANIMAL && isKindOf(c, ANIMAL);
}

const ANIMALS: readonly number[] = CONCEPT_ANCESTORS.flatMap((_, i) => (isAnimal(i) ? [i] : []));

/**
 * Concept -> its rivals: the other animals that are neither its kinds nor its ancestors (a duck
 * does not rival a bird; a duck and a swan do). Empty for a concept that is no animal.
 */
export const ANIMAL_RIVALS: ReadonlyArray<readonly number[]> = Array.from({ length: CONCEPT_COUNT }, (_, c) =>
  isAnimal(c) ? ANIMALS.filter((d) => d !== c && !isKindOf(d, c) && !isKindOf(c, d)) : [],
);

/**
 * Whether concept c leads its rivals: no rival scores higher, and none scores the same with a
 * lower index (so of two tied animals one leads). True for a concept that is no animal.
 * `score(i)` reads concept i's score.
 */
export function leadsRivals(c: number, score: (i: number) => number): boolean {
  const s = score(c);
  return ANIMAL_RIVALS[c]!.every((d) => score(d) < s || (score(d) === s && d > c));
}

/** The rivals of a required animal c that its requirement vetoes: those scoring under RIVAL_VETO_SHARE of it. */
export function vetoedRivals(c: number, score: (i: number) => number): number[] {
  const below = RIVAL_VETO_SHARE * score(c);
  return ANIMAL_RIVALS[c]!.filter((d) => score(d) < below);
}
