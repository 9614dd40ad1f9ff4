import { describe, expect, it } from 'vitest';
import { ANIMAL_RIVALS, outscoresRivals } from '../../src/model/concepts/animal-rivals.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS, conceptIndex, type VisualConcept } from '../../src/model/concepts/visual-concepts.js';

const rivalsOf = (c: VisualConcept) => ANIMAL_RIVALS[conceptIndex(c)]!.map((i) => VISUAL_CONCEPTS[i]!);

describe('animal rivals', () => {
  it('an animal rivals every other animal but its kinds and its ancestors; nothing else has rivals', () => {
    expect(rivalsOf('horse')).toEqual(expect.arrayContaining(['dog', 'cat', 'bird', 'duck', 'goat', 'lion', 'giraffe']));
    expect(rivalsOf('horse')).not.toContain('horse');
    expect(rivalsOf('horse')).not.toContain('animal');
    expect(rivalsOf('duck')).toEqual(expect.arrayContaining(['swan', 'dog']));
    expect(rivalsOf('duck')).not.toContain('bird');
    expect(rivalsOf('bird')).not.toContain('duck');
    expect(rivalsOf('sheep')).not.toContain('goat');
    for (const c of ['animal', 'person', 'hot dog', 'teddy bear', 'beach'] as VisualConcept[]) expect(rivalsOf(c)).toEqual([]);
    // Rivalry is mutual.
    for (let c = 0; c < CONCEPT_COUNT; c++) for (const d of ANIMAL_RIVALS[c]!) expect(ANIMAL_RIVALS[d]).toContain(c);
  });

  it('an animal outscores its rivals when none scores higher; a concept that is no animal always does', () => {
    const scores = new Float32Array(CONCEPT_COUNT).fill(0.1);
    scores[conceptIndex('horse')] = 0.74;
    scores[conceptIndex('dog')] = 0.2;
    scores[conceptIndex('animal')] = 0.9;
    const score = (i: number) => scores[i]!;
    expect(outscoresRivals(conceptIndex('horse'), score)).toBe(true);
    expect(outscoresRivals(conceptIndex('dog'), score)).toBe(false);
    expect(outscoresRivals(conceptIndex('person'), score)).toBe(true);
  });
});
