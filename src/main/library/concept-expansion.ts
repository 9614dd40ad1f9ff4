/**
 * Query expansion from the concept map (src/model/concepts): synonyms and hypernyms written by
 * hand, so "animal" finds dogs and cats, "vehicle" cars and buses, "sofa" couches, and "puppy" dogs.
 *
 * The rules, chosen so an expansion stays a kind of what was asked for:
 *  - a concept's head word (its name: dog, animal, beach) expands to its other words (puppy,
 *    terrier, …) and to the head words of the concepts under it (animal → dog, cat, horse, …; their
 *    words too, up to a cap);
 *  - any other word of a concept expands to the head word only (terrier → dog, sofa → couch):
 *    the other words of a concept are often kinds of it, not of each other (terrier is no poodle);
 *  - the person category's words are kinds of people, not synonyms (a boy is no woman): only
 *    true synonym groups expand to each other (kid ↔ child, man ↔ guy), and "person"/"people"
 *    expand to the kinds.
 */
import { COCO_OBJECTS, COCO_SYNONYMS, pluralOf } from '../../model/concepts/coco-objects.js';
import { VISUAL_CONCEPTS, cocoConcept, conceptParent, ownConceptWords, type VisualConcept } from '../../model/concepts/visual-concepts.js';

/** Words of the person category that mean the same. */
const PERSON_GROUPS = [
  ['child', 'kid', 'youngster'],
  ['man', 'guy', 'gentleman', 'male'],
  ['woman', 'lady', 'female'],
  ['baby', 'infant', 'toddler'],
  ['teen', 'teenager'],
  ['person', 'individual', 'someone', 'somebody'],
  ['people', 'crowd'],
  ['biker', 'cyclist', 'bicyclist'],
];

/** Most words a hypernym offers (animal has hundreds of kinds); search keeps the ones its index holds. */
const MAX_EXPANSION = 200;

interface ConceptEntry {
  head: string;
  words: readonly string[];
}

function entries(): Map<VisualConcept, ConceptEntry> {
  const own = ownConceptWords();
  const out = new Map<VisualConcept, ConceptEntry>();
  for (const object of COCO_OBJECTS) {
    const c = cocoConcept(object);
    out.set(c, { head: c, words: COCO_SYNONYMS[object] });
  }
  for (const c of VISUAL_CONCEPTS) {
    const words = own.get(c);
    if (!words) continue;
    const prev = out.get(c);
    out.set(c, { head: c, words: prev ? [...new Set([...prev.words, ...words])] : words });
  }
  return out;
}

/** A word and its plural (the index stems, but a phrase's last word is matched as written). */
const forms = (w: string) => [w, pluralOf(w)];

export class ConceptExpansion {
  /** word (singular or plural) -> what it expands to. */
  private readonly map = new Map<string, string[]>();

  constructor() {
    const all = entries();
    const children = new Map<VisualConcept, VisualConcept[]>();
    for (const c of all.keys()) {
      const p = conceptParent(c);
      if (p) children.set(p, [...(children.get(p) ?? []), c]);
    }
    const below = (c: VisualConcept): VisualConcept[] => (children.get(c) ?? []).flatMap((k) => [k, ...below(k)]);
    for (const [c, e] of all) {
      if (c === 'person') continue;
      const kinds = below(c).map((k) => all.get(k)!);
      // Heads of the kinds first, so the cap keeps the broad words (animal → dog before terrier).
      const wide = [...e.words, ...kinds.map((k) => k.head), ...kinds.flatMap((k) => k.words)];
      this.add(e.head, wide);
      for (const w of e.words) if (w !== e.head) this.add(w, [e.head]);
    }
    for (const group of PERSON_GROUPS) for (const w of group) this.add(w, group);
    for (const w of ['person', 'people']) this.add(w, COCO_SYNONYMS.person);
  }

  private add(word: string, targets: readonly string[]): void {
    const own = new Set(forms(word));
    for (const f of own) {
      const prev = this.map.get(f) ?? [];
      const next = [...new Set([...prev, ...targets.filter((t) => !own.has(t))])];
      this.map.set(f, next.slice(0, MAX_EXPANSION));
    }
  }

  /** The words `word` expands to (best first), or [] when the concept map does not know it. */
  expand(word: string): string[] {
    return this.map.get(word.toLowerCase()) ?? [];
  }

  knows(word: string): boolean {
    return this.map.has(word.toLowerCase());
  }
}
