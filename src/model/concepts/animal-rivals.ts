/**
 * Animals as rival readings of one photo. A detector's per-class sigmoids fire on the same animal
 * in several classes (the foals of the README's horses score horse 0.74 and dog 0.20), so a photo's
 * animal scores are alternatives more than independent findings. Guidance (concept-guidance.ts,
 * `exclusiveAnimals`) and the requirement calibration (presence-calibration.ts) read them that way:
 * an animal counts as confident only where it outscores its rivals, and once it is required the
 * rivals it outscores are vetoed.
 *
 * Measured on the 6,548 Flickr8k training photos with the shipped guidance's thresholds
 * (2026-12-07, sixth session): in the 1,185 photos where an animal passes its requirement threshold
 * and outscores its rivals, the captions name it in 1,085, and of its rivals scoring at least 0.1
 * they name 58 of 2,201 (2.6 %: a cat beside a dog, or a dog the encoders read as a wolf or a camel), under the 5 %
 * below which guidance vetoes a word. And a horse scoring 0.6–0.75 in a dog photo (dog ≥ 0.9) is
 * the detector's confusion, not a second animal: calibrated on every photo, a horse needs 0.76 to
 * be named in 90 % of them; on the photos where it outscores its rivals, 0.65 (both at the base
 * rates of 2,000 everyday COCO photos).
 */
import { CONCEPT_COUNT, VISUAL_CONCEPTS, conceptIndex, withAncestors } from './visual-concepts.js';

const ANIMAL = conceptIndex('animal');

/** Each concept's ancestors (itself first). */
const ANCESTORS: ReadonlyArray<readonly number[]> = VISUAL_CONCEPTS.map((c) => withAncestors(c));

/** Every animal concept (a kind of "animal", which itself is none). */
const ANIMALS: readonly number[] = ANCESTORS.flatMap((own, i) => (i !== ANIMAL && own.includes(ANIMAL) ? [i] : []));

/**
 * Concept -> its rivals: the other animals that are neither its kinds nor its ancestors (a duck
 * does not rival a bird; a duck and a swan do). Empty for a concept that is no animal.
 */
export const ANIMAL_RIVALS: ReadonlyArray<readonly number[]> = Array.from({ length: CONCEPT_COUNT }, (_, c) =>
  ANIMALS.includes(c) ? ANIMALS.filter((d) => d !== c && !ANCESTORS[d]!.includes(c) && !ANCESTORS[c]!.includes(d)) : [],
);

/** Whether concept c scores at least as high as every rival (true for a concept that is no animal). `score(i)` reads concept i's score. */
export function outscoresRivals(c: number, score: (i: number) => number): boolean {
  const s = score(c);
  return ANIMAL_RIVALS[c]!.every((d) => score(d) <= s);
}
