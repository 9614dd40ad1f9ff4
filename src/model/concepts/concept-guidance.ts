/**
 * Guided decoding from a photo's concept scores (Anderson et al. 2017, "Guided Open Vocabulary Image
 * Captioning with Constrained Beam Search"): which words a caption of this photo must contain and
 * which it may not, as token ids of the decoder's vocabulary. decode.ts's beam search enforces them.
 *
 *  - **Required** (constraints): the objects the encoders are confident of (score >= requireAbove,
 *    or the object's own `requireAboveByObject`), the `maxRequired` most confident first. A
 *    constraint is met by any one-word name of the concept or of a kind of it, singular or plural
 *    ("giraffe", "giraffes"; a required bird is met by "duck"), or by a two-word name ("stop sign",
 *    "teddy bears"; longer names are not used).
 *  - **Vetoed**: the names of objects the encoders are confident are absent (score < vetoBelow).
 *    Only one-word names are vetoed, and only when every concept whose names contain the word is
 *    vetoed: "dog" stays allowed while a hot dog is plausible, "bear" while a teddy bear is, and
 *    "animal" (a hypernym's word, in "stuffed animal") always. "orange" is never vetoed (a colour).
 *  - With `exclusiveAnimals`, animals are rival readings of one photo (animal-rivals.ts): an animal
 *    is required only where it leads every rival animal, and once it is, the names of the rivals
 *    scoring under half of it are vetoed (the foals score horse 0.74 and dog 0.20: "horse", no "dog").
 *  - A taught word (`taughtAs`) is vetoed and soft-vetoed with the word it renames, unless it is an
 *    object's name itself.
 *  - **Soft-vetoed** (with `softVetoWeight` w > 0): the other vetoable names, unless required, have
 *    w·ln(score) added to their log-probability, the score being the highest of the concepts whose
 *    names contain the word (an unguided one counts as 1). The caption model's probability of the
 *    word is multiplied by score^w, a product of experts (Hinton 2002) in which the encoders' doubt
 *    speaks too: a person scoring 0.3 costs "a man" 1.2 nats at w = 1, and the decoder says "a
 *    kitchen" when the photo's other words are likely enough. A hard veto can only say no.
 *
 * Only objects are guided: the 80 COCO categories and the animals and kinds of COCO categories
 * (duck, goat, lion). Hypernyms (animal, food) are never required nor vetoed (a hypernym is a safe
 * word), nor scenes and clothing, which the encoders see too weakly to veto (ImageNet has no
 * "street" class; a shirt is rarely the main subject).
 */
import { leadsRivals, vetoedRivals } from './animal-rivals.js';
import { COCO_OBJECTS, COCO_SYNONYMS, pluralPhrase } from './coco-objects.js';
import { perVocabulary } from '../vocab.js';
import {
  CONCEPT_ANCESTORS,
  CONCEPT_COUNT,
  VISUAL_CONCEPTS,
  conceptIndex,
  isKindOf,
  ownConceptWords,
  type VisualConcept,
} from './visual-concepts.js';

/** The thresholds a model's decoding records (model.json `decoding.guidance`). */
export interface GuidanceSettings {
  /** Objects scoring at least this are required (one of their names must appear). */
  requireAbove: number;
  /** At most this many required objects per photo (the most confident). 0 = none. */
  maxRequired: number;
  /** Objects scoring below this are vetoed (their names may not appear). 0 = no vetoes. */
  vetoBelow: number;
  /**
   * Per COCO object, its own veto threshold in place of `vetoBelow` (presence-calibration.ts: where
   * the training photos say a score that low means the object is almost never there). A
   * detector's scores are not equally sharp for every class: a person scoring 0.2 is rarely there,
   * a cup scoring 0.2 often is.
   */
  vetoBelowByObject?: Readonly<Record<string, number>>;
  /**
   * Per COCO object, its own requirement threshold in place of `requireAbove` (presence-calibration.ts:
   * the score from which the training photos' captions name it nearly always, at the base rates of
   * the photos to be captioned). A person scoring 0.45 is a ghost in many everyday photos, while a
   * bowl scoring 0.45 is there: one common threshold has to be set for the person.
   */
  requireAboveByObject?: Readonly<Record<string, number>>;
  /**
   * Soft vetoes: an object name that is not vetoed nor required has this times ln(its object's
   * score) added to its log-probability while decoding. 0 or absent = none.
   */
  softVetoWeight?: number;
  /**
   * Words that meet every constraint: the names a user taught (a taught model records them), so
   * "biscuit runs on the grass" is not forced to say "dog" as well.
   */
  taughtWords?: readonly string[];
  /**
   * A taught word and the word it renames (teaching's renamedWords: "rexo" written where the base
   * model says "dog" in several photos). The taught word is vetoed and soft-vetoed with that word,
   * so a pet's name stays off photos without the pet; an object's own name keeps its own guidance.
   */
  taughtAs?: Readonly<Record<string, string>>;
  /**
   * Animals as rival readings (animal-rivals.ts): an animal is required only where it leads every
   * rival, and where it is required the names of the rivals scoring under half of it are vetoed.
   * Its requirement threshold is calibrated the same way (presence-calibration.ts
   * `exclusiveAnimals`). Absent: off.
   */
  exclusiveAnimals?: boolean;
  /**
   * Photos whose feature lies farther than this from the training photos' (unfamiliar.ts: mean
   * squared standardised value, 1 on average for a training photo) are described from their
   * concept scores alone, the way the text-only captions taught the decoder. Absent: none.
   */
  unfamiliarAbove?: number;
}

/** Per photo: constraints (each met by any one of its token ids or two-word phrases) and vetoed token ids. */
export interface PhotoGuidance {
  /** Per constraint, the token ids and two-word phrases ([first, second]) that meet it. */
  required: Array<Array<number | [number, number]>>;
  vetoed: number[];
  /** Token id and the log-weight (<= 0) added to its log-probability; empty without soft vetoes. */
  softVetoed: Array<[number, number]>;
}

/** The lowest score a soft veto reads: ln of it bounds the log-weight (a score of 0 would be a hard veto). */
const SOFT_VETO_FLOOR = 1e-3;
/** The largest soft-veto weight the settings accept: beyond it, a soft veto is a hard one. */
export const MAX_SOFT_VETO_WEIGHT = 10;

/** Most constraints a photo may get: beam search keeps 2^C states per photo. */
export const MAX_REQUIRED = 3;

const ANIMAL = conceptIndex('animal');

/** Whether a concept is an object guidance may require or veto: a COCO category, or an animal or kind of one. */
const GUIDED: readonly boolean[] = CONCEPT_ANCESTORS.map(
  (own, i) => i < COCO_OBJECTS.length || own.slice(1).some((a) => a < COCO_OBJECTS.length || a === ANIMAL),
);
const isGuidedObject = (i: number): boolean => GUIDED[i]!;

/** The phrases (singular and plural) naming concept i itself. */
function phrasesOf(i: number, own: ReadonlyMap<VisualConcept, readonly string[]>): string[] {
  const words = i < COCO_OBJECTS.length ? COCO_SYNONYMS[COCO_OBJECTS[i]!] : (own.get(VISUAL_CONCEPTS[i]!) ?? []);
  return [...new Set(words.flatMap((w) => [w, pluralPhrase(w)]))];
}

interface ConceptLexicon {
  /** Concept -> its guided objects' one-word names and its kinds' (token ids); empty for unguided concepts. */
  names: number[][];
  /** Concept -> the same objects' two-word names ([first, second] token ids: "stop sign", "teddy bears"). */
  phrases: Array<Array<[number, number]>>;
  /** Token id -> every concept with a phrase containing it (guided or not), for the one-word names of guided objects only. */
  namedBy: Map<number, number[]>;
  /** Word -> token id. */
  id: ReadonlyMap<string, number>;
}

/** Object names with a common sense that is no object: never vetoed ("an orange shirt"). */
const NOT_VETOED = new Set(['orange']);

function buildLexicon(words: readonly string[]): ConceptLexicon {
  const id = new Map(words.map((w, i) => [w, i]));
  const own = ownConceptWords();
  const direct: number[][] = Array.from({ length: CONCEPT_COUNT }, () => []);
  const directPhrases: Array<Array<[number, number]>> = Array.from({ length: CONCEPT_COUNT }, () => []);
  const namedBy = new Map<number, number[]>();
  for (let c = 0; c < CONCEPT_COUNT; c++) {
    for (const phrase of phrasesOf(c, own)) {
      const parts = phrase.split(' ');
      for (const part of parts) {
        const t = id.get(part);
        if (t === undefined) continue;
        const by = namedBy.get(t) ?? [];
        if (!by.includes(c)) by.push(c);
        namedBy.set(t, by);
      }
      const t = parts.length === 1 ? id.get(phrase) : undefined;
      if (t !== undefined && !direct[c]!.includes(t)) direct[c]!.push(t);
      const pair = parts.length === 2 ? parts.map((w) => id.get(w)) : [];
      if (pair.length === 2 && pair.every((w) => w !== undefined)) directPhrases[c]!.push(pair as [number, number]);
    }
  }
  const vetoable = new Set<number>();
  for (let c = 0; c < CONCEPT_COUNT; c++)
    if (isGuidedObject(c)) for (const t of direct[c]!) if (!NOT_VETOED.has(words[t]!)) vetoable.add(t);
  for (const t of [...namedBy.keys()]) if (!vetoable.has(t)) namedBy.delete(t);
  const names: number[][] = Array.from({ length: CONCEPT_COUNT }, () => []);
  const phrases: Array<Array<[number, number]>> = Array.from({ length: CONCEPT_COUNT }, () => []);
  for (let c = 0; c < CONCEPT_COUNT; c++) {
    if (!isGuidedObject(c)) continue;
    // A kind's names meet its category's constraint: walk up from every concept to c.
    for (let d = 0; d < CONCEPT_COUNT; d++) {
      if (!isKindOf(d, c)) continue;
      for (const t of direct[d]!) if (!names[c]!.includes(t)) names[c]!.push(t);
      for (const [a, b] of directPhrases[d]!) if (!phrases[c]!.some(([x, y]) => x === a && y === b)) phrases[c]!.push([a, b]);
    }
  }
  return { names, phrases, namedBy, id };
}

/** A decoder's vocabulary, as decode.ts sees it (token id -> word). */
export interface GuidedVocabulary {
  readonly size: number;
  decode(ids: ArrayLike<number>): string;
}

/** The vocabulary's lexicon, built once per vocabulary object (again if it has grown since). */
const lexiconFor = perVocabulary((vocab: GuidedVocabulary) =>
  buildLexicon(Array.from({ length: vocab.size }, (_, id) => vocab.decode([id]))),
);

/** Throws a specific error unless the settings are usable. */
export function checkGuidanceSettings(s: GuidanceSettings): void {
  if (!(s.requireAbove > 0 && s.requireAbove <= 1)) throw new RangeError(`guidance: requireAbove must be in (0, 1], got ${s.requireAbove}`);
  if (!(s.vetoBelow >= 0 && s.vetoBelow < s.requireAbove))
    throw new RangeError(`guidance: vetoBelow must be in [0, requireAbove), got ${s.vetoBelow}`);
  if (!Number.isInteger(s.maxRequired) || s.maxRequired < 0 || s.maxRequired > MAX_REQUIRED)
    throw new RangeError(`guidance: maxRequired must be an integer from 0 to ${MAX_REQUIRED}, got ${s.maxRequired}`);
  checkByObject(s, 'vetoBelowByObject', (_, t) => (t >= 0 && t < s.requireAbove ? undefined : '[0, requireAbove)'));
  checkByObject(s, 'requireAboveByObject', (object, t) => {
    const veto = s.vetoBelowByObject?.[object] ?? s.vetoBelow;
    return t > veto && t <= 1 ? undefined : `(its veto threshold ${veto}, 1]`;
  });
  if (s.softVetoWeight !== undefined && !(s.softVetoWeight >= 0 && s.softVetoWeight <= MAX_SOFT_VETO_WEIGHT))
    throw new RangeError(`guidance: softVetoWeight must be in [0, ${MAX_SOFT_VETO_WEIGHT}], got ${s.softVetoWeight}`);
  if (s.exclusiveAnimals !== undefined && typeof s.exclusiveAnimals !== 'boolean')
    throw new RangeError(`guidance: exclusiveAnimals must be true or false, got ${JSON.stringify(s.exclusiveAnimals)}`);
  if (s.unfamiliarAbove !== undefined && !(s.unfamiliarAbove > 0 && Number.isFinite(s.unfamiliarAbove)))
    throw new RangeError(`guidance: unfamiliarAbove must be a positive number, got ${s.unfamiliarAbove}`);
  if (s.taughtWords !== undefined && !(Array.isArray(s.taughtWords) && s.taughtWords.every((w) => typeof w === 'string' && w.length > 0)))
    throw new RangeError('guidance: taughtWords must be a list of words');
  if (
    s.taughtAs !== undefined &&
    !(
      typeof s.taughtAs === 'object' &&
      s.taughtAs !== null &&
      !Array.isArray(s.taughtAs) &&
      Object.entries(s.taughtAs).every(([k, v]) => k.length > 0 && typeof v === 'string' && v.length > 0 && v !== k)
    )
  )
    throw new RangeError('guidance: taughtAs must map taught words to words');
}

/** Throws unless every entry of the per-object thresholds `key` names a COCO object and is a number `outOfRange` accepts (it returns the range it wants otherwise). */
function checkByObject(
  s: GuidanceSettings,
  key: 'vetoBelowByObject' | 'requireAboveByObject',
  outOfRange: (object: string, t: number) => string | undefined,
): void {
  for (const [object, t] of Object.entries(s[key] ?? {})) {
    if (!(COCO_OBJECTS as readonly string[]).includes(object))
      throw new RangeError(`guidance: ${key} names ${JSON.stringify(object)}, not a COCO object`);
    const range = outOfRange(object, typeof t === 'number' ? t : Number.NaN); // NaN is in no range
    if (range !== undefined) throw new RangeError(`guidance: ${key}.${object} must be in ${range}, got ${t}`);
  }
}

/** Concept c's own threshold in `byObject`, if c is a COCO object with one. */
function objectThreshold(byObject: Readonly<Record<string, number>> | undefined, c: number): number | undefined {
  return c < COCO_OBJECTS.length ? byObject?.[COCO_OBJECTS[c]!] : undefined;
}

/**
 * The score from which concept c is required: a COCO object's own threshold, or for a kind of
 * COCO objects (a duck is a bird) the highest of theirs, since a kind's score never exceeds its
 * category's and the category's calibration says how far such a score can be trusted; otherwise
 * the common one.
 */
export function requirementThreshold(c: number, s: GuidanceSettings): number {
  if (c < COCO_OBJECTS.length) return objectThreshold(s.requireAboveByObject, c) ?? s.requireAbove;
  const inherited = CONCEPT_ANCESTORS[c]!.flatMap((a) => objectThreshold(s.requireAboveByObject, a) ?? []);
  return inherited.length > 0 ? Math.max(...inherited) : s.requireAbove;
}

/** Each of n photos' guidance from its concept scores (n×K, K = CONCEPT_COUNT), in the decoder vocabulary's token ids. */
export function guidanceFromConcepts(vocab: GuidedVocabulary, concepts: Float32Array, n: number, s: GuidanceSettings): PhotoGuidance[] {
  checkGuidanceSettings(s);
  const K = CONCEPT_COUNT;
  if (concepts.length !== n * K) throw new RangeError(`guidance: ${concepts.length} concept scores for ${n} photos × ${K} concepts`);
  const { names, phrases, namedBy, id } = lexiconFor(vocab);
  const taught = (s.taughtWords ?? []).flatMap((w) => id.get(w) ?? []);
  const vetoBelow = Array.from({ length: K }, (_, c) => objectThreshold(s.vetoBelowByObject, c) ?? s.vetoBelow);
  const requireAbove = Array.from({ length: K }, (_, c) => requirementThreshold(c, s));
  const anyVeto = vetoBelow.some((t) => t > 0);
  const softWeight = s.softVetoWeight ?? 0;
  const nameable = (c: number) => names[c]!.length > 0 || phrases[c]!.length > 0;
  const exclusive = s.exclusiveAnimals === true;
  const out: PhotoGuidance[] = [];
  for (let p = 0; p < n; p++) {
    const score = (c: number) => concepts[p * K + c]!;
    const confident: number[] = [];
    for (let c = 0; c < K; c++) if (nameable(c) && score(c) >= requireAbove[c]! && (!exclusive || leadsRivals(c, score))) confident.push(c);
    confident.sort((a, b) => score(b) - score(a) || a - b);
    // A confident kind makes its category's constraint redundant (a duck is a bird): keep the most specific.
    const requiredObjects = confident.filter((c) => !confident.some((d) => d !== c && isKindOf(d, c))).slice(0, s.maxRequired);
    const required = requiredObjects.map((c) => [...names[c]!, ...phrases[c]!, ...taught.filter((t) => !names[c]!.includes(t))]);
    const vetoed = new Set<number>();
    const outranked = new Set(exclusive ? requiredObjects.flatMap((c) => vetoedRivals(c, score)) : []);
    if (anyVeto || outranked.size > 0) {
      const absent = (c: number) => isGuidedObject(c) && (score(c) < vetoBelow[c]! || outranked.has(c));
      for (const [t, by] of namedBy) if (by.every(absent)) vetoed.add(t);
    }
    const softVetoed = new Map<number, number>();
    if (softWeight > 0) {
      // The required objects' own names; a taught word meeting every constraint is not one.
      const isRequired = new Set(requiredObjects.flatMap((c) => names[c]!));
      for (const [t, by] of namedBy) {
        if (vetoed.has(t) || isRequired.has(t)) continue;
        let belief = 0;
        for (const c of by) belief = Math.max(belief, isGuidedObject(c) ? score(c) : 1);
        belief = Math.min(1, belief);
        if (belief < 1) softVetoed.set(t, softWeight * Math.log(Math.max(SOFT_VETO_FLOOR, belief)));
      }
    }
    // A taught word shares the guidance of the word it was taught in place of, unless it is an
    // object's name itself ("foal" taught where the model said "dog"), which has its own.
    for (const [word, as] of Object.entries(s.taughtAs ?? {})) {
      const t = id.get(word);
      const a = id.get(as);
      if (t === undefined || a === undefined || namedBy.has(t)) continue;
      if (vetoed.has(a)) vetoed.add(t);
      const soft = softVetoed.get(a);
      if (soft !== undefined && !softVetoed.has(t)) softVetoed.set(t, soft);
    }
    out.push({
      required,
      vetoed: [...vetoed].sort((a, b) => a - b),
      softVetoed: [...softVetoed].sort((a, b) => a[0] - b[0]),
    });
  }
  return out;
}
