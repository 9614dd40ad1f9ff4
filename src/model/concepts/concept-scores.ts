/**
 * A photo's visual-concept scores (one per VISUAL_CONCEPTS word, in [0, 1]) from what the encoders
 * already output: the COCO detector's 80 per-class scores and ImageNet's 1000 class probabilities.
 *
 * Which classes feed a concept: the detector's class i (COCO_OBJECTS order, which is the order of
 * mobilenet_v3_centernet's `objects` output: person 0, dog 16, horse 17, kite 33, cup 41) feeds its
 * own concept; ImageNet class j feeds the concepts IMAGENET_CLASSES lists for it; both also feed every
 * ancestor of those concepts (a tabby feeds cat and animal).
 *
 * How the evidence is combined, and why:
 *  - ImageNet: the SUM of the probabilities of the classes feeding the concept. The 1000 outputs are
 *    one softmax, i.e. mutually exclusive events, so the probability that the photo is "one of the 5
 *    cat classes" is exactly their sum, and it never exceeds 1. (The noisy-OR 1 - prod(1 - p) assumes
 *    independent events and would under-count: five cat classes at 0.19 each are a cat at 0.95, not
 *    0.65.) Clamped to 1 against float rounding.
 *  - Detector: the MAX of the scores of the classes feeding the concept. Each score is a per-class
 *    sigmoid maximum over the photo, not a distribution, and similar classes can fire on the same
 *    object (one animal, several animal classes), so summing or noisy-OR would inflate hypernyms.
 *  - Both: the MAX of the two. They look at the same pixels, so their evidence is not independent;
 *    taking the stronger keeps each score on the scale of the source that can see the concept
 *    (ImageNet has no giraffe class and the detector no beach class: each is 0 where it is blind).
 * A concept no given source can signal scores 0. A caller that wants the sources kept apart (say a
 * decoder that learns how far to trust each) calls this once per source.
 * Measured on Flickr8k photos whose captions agree on a concept (tests/model/concepts-photos.test.ts
 * prints it): the detector's maxima run low for objects it finds (a dog scores >= 0.5 in well under
 * half the dog photos, ImageNet's dog sum in nearly all), so in the combination ImageNet usually
 * decides, and its 121 dog classes take probability from other furry animals (cows, cats).
 * Calibrating the two scales against each other is the next step.
 */
import { COCO_OBJECTS } from './coco-objects.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';
import { CONCEPT_COUNT, cocoConcept, withAncestors } from './visual-concepts.js';

/** Lengths of the two inputs. */
export const DETECTOR_CLASS_COUNT = COCO_OBJECTS.length;
export const IMAGENET_CLASS_COUNT = 1000;

/** What one photo's encoders output (either or both). */
export interface ConceptEvidence {
  /** The COCO detector's 80 per-class maximum scores, COCO_OBJECTS order. */
  detector?: Float32Array;
  /** ImageNet's 1000 class probabilities (softmax), class-index order. */
  imagenet?: Float32Array;
}

/** For each detector class, the concept indices it feeds (ancestors included). */
export const DETECTOR_CONCEPTS: readonly (readonly number[])[] = COCO_OBJECTS.map((o) => withAncestors(cocoConcept(o)));

/** For each ImageNet class, the concept indices it feeds (ancestors included, each once). */
export const IMAGENET_CONCEPTS: readonly (readonly number[])[] = IMAGENET_CLASSES.map(([, concepts]) => [
  ...new Set(concepts.flatMap((c) => withAncestors(c))),
]);

if (IMAGENET_CONCEPTS.length !== IMAGENET_CLASS_COUNT)
  throw new Error(`imagenet-classes: ${IMAGENET_CONCEPTS.length} classes, expected 1000`);

/** Throws a specific error unless `values` is a vector of `length` numbers in [0, 1]. */
function checkScores(what: string, values: Float32Array, length: number): void {
  if (!(values instanceof Float32Array)) throw new TypeError(`conceptScores: ${what} must be a Float32Array`);
  if (values.length !== length) throw new RangeError(`conceptScores: ${what} has ${values.length} scores, expected ${length}`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`conceptScores: ${what}[${i}] is ${v}, expected a number in [0, 1]`);
  }
}

/** The K concept scores of one photo (K = CONCEPT_COUNT), combined as the header explains. */
export function conceptScores(evidence: ConceptEvidence): Float32Array {
  const { detector, imagenet } = evidence;
  if (detector === undefined && imagenet === undefined) throw new TypeError('conceptScores: give detector or imagenet scores (or both)');
  const scores = new Float32Array(CONCEPT_COUNT);
  if (imagenet !== undefined) {
    checkScores('imagenet', imagenet, IMAGENET_CLASS_COUNT);
    const sums = new Float64Array(CONCEPT_COUNT);
    for (let j = 0; j < IMAGENET_CLASS_COUNT; j++) for (const k of IMAGENET_CONCEPTS[j]!) sums[k]! += imagenet[j]!;
    for (let k = 0; k < CONCEPT_COUNT; k++) scores[k] = Math.min(1, sums[k]!);
  }
  if (detector !== undefined) {
    checkScores('detector', detector, DETECTOR_CLASS_COUNT);
    for (let i = 0; i < DETECTOR_CLASS_COUNT; i++) {
      for (const k of DETECTOR_CONCEPTS[i]!) scores[k] = Math.max(scores[k]!, detector[i]!);
    }
  }
  return scores;
}
