/** Tags of a concept model come from the concept scores stored after its features (detector and ImageNet combined). */
import { describe, expect, it } from 'vitest';
import { deriveTags } from '../../src/main/library/tag-derivation.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS } from '../../src/model/concepts/visual-concepts.js';

describe('tags of a concept model', () => {
  it('reads the stored concept scores: a scene no detector class names becomes a tag, with detector counts kept', () => {
    const D = 80 + 16; // the detector's 80 objects first, then other features
    const v = new Float32Array(D + CONCEPT_COUNT);
    v[16] = 0.9; // the detector's dog score
    const concept = (c: string) => D + VISUAL_CONCEPTS.indexOf(c as never);
    v[concept('dog')] = 0.9;
    v[concept('animal')] = 0.9;
    v[concept('beach')] = 0.7; // ImageNet's seashore, which the detector cannot see
    const counts = new Array<number>(80).fill(0);
    counts[16] = 2;
    const tags = deriveTags(v, { featureKey: 'k', detector: 0, concepts: D }, counts);
    expect(tags.map((t) => t.tag)).toEqual(['animal', 'dog', 'beach']);
    expect(tags.find((t) => t.tag === 'dog')!.count).toBe(2);
    expect(tags.find((t) => t.tag === 'beach')!.count).toBeNull();
    // Without the stored scores the same vector's detector part alone makes no beach.
    expect(deriveTags(v.subarray(0, D), { featureKey: 'k', detector: 0, concepts: D }, counts).map((t) => t.tag)).not.toContain('beach');
  });
});
