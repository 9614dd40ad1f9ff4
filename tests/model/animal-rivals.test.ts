import { describe, expect, it } from 'vitest';
import { ANIMAL_RIVALS, RIVAL_VETO_SHARE, isAnimal, leadsRivals, vetoedRivals } from '../../src/model/concepts/animal-rivals.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS, conceptIndex, type VisualConcept } from '../../src/model/concepts/visual-concepts.js';

const rivalsOf = (c: VisualConcept) => ANIMAL_RIVALS[conceptIndex(c)]!.map((i) => VISUAL_CONCEPTS[i]!);
const i = (c: VisualConcept) => conceptIndex(c);

describe('animal rivals', () => {
  it('an animal rivals every other animal but its kinds and its ancestors; nothing else has rivals', () => {
    expect(rivalsOf('horse')).toEqual(expect.arrayContaining(['dog', 'cat', 'bird', 'duck', 'goat', 'lion', 'giraffe']));
    expect(rivalsOf('horse')).not.toContain('horse');
    expect(rivalsOf('horse')).not.toContain('animal');
    expect(rivalsOf('duck')).toEqual(expect.arrayContaining(['swan', 'dog']));
    expect(rivalsOf('duck')).not.toContain('bird');
    expect(rivalsOf('bird')).not.toContain('duck');
    expect(rivalsOf('sheep')).not.toContain('goat');
    for (const c of ['animal', 'person', 'hot dog', 'teddy bear', 'beach'] as VisualConcept[]) {
      expect(rivalsOf(c)).toEqual([]);
      expect(isAnimal(i(c))).toBe(false);
    }
    for (const c of ['dog', 'duck', 'polar bear', 'lion'] as VisualConcept[]) expect(isAnimal(i(c))).toBe(true);
    // Rivalry is mutual.
    for (let c = 0; c < CONCEPT_COUNT; c++) for (const d of ANIMAL_RIVALS[c]!) expect(ANIMAL_RIVALS[d]).toContain(c);
  });

  it('an animal leads when no rival scores higher, of two tied animals the lower index; a concept that is no animal always does', () => {
    const scores = new Float32Array(CONCEPT_COUNT).fill(0.1);
    scores[i('horse')] = 0.74;
    scores[i('dog')] = 0.2;
    scores[i('animal')] = 0.9;
    const score = (k: number) => scores[k]!;
    expect(leadsRivals(i('horse'), score)).toBe(true);
    expect(leadsRivals(i('dog'), score)).toBe(false);
    expect(leadsRivals(i('person'), score)).toBe(true);
    scores[i('dog')] = 0.74;
    expect(i('dog')).toBeLessThan(i('horse'));
    expect(leadsRivals(i('dog'), score)).toBe(true);
    expect(leadsRivals(i('horse'), score)).toBe(false);
  });

  it('a required animal vetoes the rivals scoring under half of it, not those at or above', () => {
    const scores = new Float32Array(CONCEPT_COUNT).fill(0);
    scores[i('dog')] = 0.9;
    scores[i('horse')] = 0.9 * RIVAL_VETO_SHARE; // at the share: kept
    scores[i('cat')] = 0.9 * RIVAL_VETO_SHARE - 0.01;
    const vetoed = vetoedRivals(i('dog'), (k) => scores[k]!).map((k) => VISUAL_CONCEPTS[k]!);
    expect(RIVAL_VETO_SHARE).toBe(0.5);
    expect(vetoed).toContain('cat');
    expect(vetoed).toContain('giraffe');
    expect(vetoed).not.toContain('horse');
    expect(vetoed).not.toContain('dog');
  });
});
