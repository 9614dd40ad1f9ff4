/**
 * A caption read as the visual concepts it names (visual-concepts.ts), for training on text-only
 * captions: their concept vector is read from their own words where a photo's would be scored.
 *
 * How a caption is read:
 *  - Text is tokenised by the decoder's vocab tokenizer; tokens (from it or from the metrics'
 *    PTB-style tokenizer) are split at hyphens ("t-shirt" -> "t shirt") and lose a possessive
 *    ("dog's" -> "dog"; a standalone "'s" is dropped).
 *  - The COCO part is coco-objects' objectMentions, unchanged: "hot dog" is a hot dog and not a dog,
 *    "teddy bear" not a bear, "an orange shirt" names no orange. A mention's words also name a kind
 *    of that category when they are one of the kind's words ("ducks" -> duck as well as bird).
 *  - Our own concepts' words (and their plurals) are matched longest first, left to right; a match
 *    that overlaps a COCO mention is dropped, so COCO's reading wins ("beach ball" is a ball, not a
 *    beach; "mountain bike" a bicycle, not a mountain), and COCO's no-object phrases stay open to
 *    ours ("ski slope" is snow, "baseball field" a field).
 *  - A few phrases contain one of our words but name nothing ("water bottle", "pool table").
 *  - Every concept found lights its ancestors (a lake is water; a goat is a sheep and an animal).
 * Known limits, as in coco-objects: no part-of-speech tagging (the verb "swings" is a swing).
 */
import { objectMentions, pluralPhrase } from './coco-objects.js';
import { tokenize } from '../vocab.js';
import { CONCEPT_COUNT, cocoConcept, isCocoKind, ownConceptWords, withAncestors, type VisualConcept } from './visual-concepts.js';

/** Phrases that contain one of our concepts' words but name no concept. */
const NOTHING = [
  'water bottle', 'water gun', 'pool table', 'pool cue', 'coffee table', 'sign language', 'box office', 'home plate', 'license plate',
  'wet suit', 'rock band', 'rock concert', 'rock music', 'rock star', 'monkey bars', 'leopard print', 'spider man', 'satellite dish',
]; // prettier-ignore

interface Lexicon {
  /** Our concepts' phrases (singular and plural) -> concept, or null for a phrase that names nothing. */
  own: Map<string, VisualConcept | null>;
  /** Words of kinds of COCO categories -> the kind, looked up on COCO mentions' words. */
  kinds: Map<string, VisualConcept>;
  longest: number;
}

function buildLexicon(): Lexicon {
  const own = new Map<string, VisualConcept | null>();
  const kinds = new Map<string, VisualConcept>();
  for (const phrase of NOTHING) for (const p of [phrase, pluralPhrase(phrase)]) own.set(p, null);
  for (const [concept, words] of ownConceptWords()) {
    for (const word of words) {
      for (const p of [word, pluralPhrase(word)]) {
        if (!own.has(p)) own.set(p, concept);
        if (isCocoKind(concept) && !kinds.has(p)) kinds.set(p, concept);
      }
    }
  }
  const longest = Math.max(...[...own.keys()].map((p) => p.split(' ').length));
  return { own, kinds, longest };
}

const LEXICON = buildLexicon();

/** Lowercase words: hyphens split, possessives dropped. */
function captionWords(input: string | readonly string[]): string[] {
  const tokens = typeof input === 'string' ? tokenize(input) : input.map((t) => t.toLowerCase());
  return tokens
    .flatMap((t) => t.split('-'))
    .map((w) => w.replace(/'s?$/, ''))
    .filter((w) => w.length > 0);
}

/** Our own concepts' matches as [start, length, concept], longest first, left to right. */
function ownMatches(words: readonly string[]): Array<[number, number, VisualConcept | null]> {
  const matches: Array<[number, number, VisualConcept | null]> = [];
  for (let i = 0; i < words.length;) {
    let found = false;
    for (let length = Math.min(LEXICON.longest, words.length - i); length >= 1 && !found; length--) {
      const concept = LEXICON.own.get(words.slice(i, i + length).join(' '));
      if (concept === undefined) continue;
      matches.push([i, length, concept]);
      i += length;
      found = true;
    }
    if (!found) i++;
  }
  return matches;
}

/** The concepts (indices into VISUAL_CONCEPTS, ancestors included) that a caption names. */
export function conceptsFromCaption(input: string | readonly string[]): Set<number> {
  const words = captionWords(input);
  const named: VisualConcept[] = [];
  const taken = new Uint8Array(words.length);
  for (const mention of objectMentions(words)) {
    named.push(cocoConcept(mention.object));
    const kind = LEXICON.kinds.get(mention.words);
    if (kind !== undefined) named.push(kind);
    taken.fill(1, mention.at, mention.at + mention.words.split(' ').length);
  }
  for (const [at, length, concept] of ownMatches(words)) {
    if (concept !== null && !taken.subarray(at, at + length).includes(1)) named.push(concept);
  }
  const out = new Set<number>();
  for (const concept of named) for (const i of withAncestors(concept)) out.add(i);
  return out;
}

/** A caption's concepts as a 0/1 vector of length CONCEPT_COUNT (what text-only training conditions on). */
export function conceptVectorFromCaption(input: string | readonly string[]): Float32Array {
  const v = new Float32Array(CONCEPT_COUNT);
  for (const i of conceptsFromCaption(input)) v[i] = 1;
  return v;
}
