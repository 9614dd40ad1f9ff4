import { describe, expect, it } from 'vitest';
import { beamSearch, captionFeatures, greedyDecode, sampleCaptions } from '../../src/model/decode.js';
import { guidanceFromConcepts, type GuidanceSettings } from '../../src/model/concepts/concept-guidance.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS, type VisualConcept } from '../../src/model/concepts/visual-concepts.js';
import { END } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';
import { TableModel } from './table-model.js';

// words a b c d = ids 4 5 6 7
const vocab = Vocabulary.fromWords(['a', 'b', 'c', 'd']);
const [A, B, C, D] = [4, 5, 6, 7];
const noFeatures = (n: number) => new Float32Array(n);
// "a" is the likely first word; "c" and "d" are unlikely everywhere.
const table = {
  '': { [A]: 0.6, [B]: 0.3, [C]: 0.04, [D]: 0.03 },
  [`${A}`]: { [END]: 0.7, [B]: 0.2, [C]: 0.05, [D]: 0.03 },
  [`${B}`]: { [END]: 0.7, [A]: 0.2, [C]: 0.05, [D]: 0.03 },
};
const none = { required: [], vetoed: [] };

describe('guided decoding: vetoes', () => {
  it('a vetoed word is never emitted for its image, and only for its image, by every search', () => {
    const model = () => new TableModel(8, table, { [END]: 0.9 });
    const guidance = [{ required: [], vetoed: [A] }, none];
    const [g0, g1] = greedyDecode(model(), vocab, noFeatures(2), 2, { guidance });
    expect(g0!.text).toBe('b');
    expect(g1!.text).toBe('a');
    const [b0, b1] = beamSearch(model(), vocab, noFeatures(2), 2, { beamWidth: 3, guidance });
    expect(b0!.every((c) => !c.tokens.includes(A))).toBe(true);
    expect(b1![0]!.text).toBe('a');
    const [s0, s1] = sampleCaptions(model(), vocab, noFeatures(2), 2, { samples: 20, seed: 3, guidance });
    expect(s0!.every((c) => !c.tokens.includes(A))).toBe(true);
    expect(s1!.some((c) => c.tokens.includes(A))).toBe(true);
  });
});

describe('guided decoding: soft vetoes', () => {
  const soft = (weight: number) => [{ required: [], vetoed: [], softVetoed: [[A, weight]] as Array<[number, number]> }, none];

  it('a soft-vetoed word loses to the next when its weight outweighs their odds, for its image only, by every search', () => {
    const model = () => new TableModel(8, table, { [END]: 0.9 });
    // "a" 0.6 against "b" 0.3: weighted by 0.3 it falls to 0.18 and "b" wins; by 0.9 it stays first.
    const [g0, g1] = greedyDecode(model(), vocab, noFeatures(2), 2, { guidance: soft(Math.log(0.3)) });
    expect(g0!.text).toBe('b');
    expect(g1!.text).toBe('a');
    // Greedy search keeps the model's own log-probability.
    expect(g0!.logProb).toBeCloseTo(Math.log(0.3 * 0.7), 5);
    expect(greedyDecode(model(), vocab, noFeatures(1), 1, { guidance: soft(Math.log(0.9)) })[0]!.text).toBe('a');
    const [b0, b1] = beamSearch(model(), vocab, noFeatures(2), 2, { beamWidth: 3, guidance: soft(Math.log(0.3)) });
    expect(b0![0]!.text).toBe('b');
    expect(b1![0]!.text).toBe('a');
    // The word is still allowed, and beam search ranks it with its weight.
    const withA = b0!.find((c) => c.text === 'a');
    expect(withA!.logProb).toBeCloseTo(Math.log(0.6 * 0.3 * 0.7), 5);
    const [s0, s1] = sampleCaptions(model(), vocab, noFeatures(2), 2, { samples: 200, seed: 3, guidance: soft(Math.log(0.01)) });
    const share = (list: typeof s0) => list!.filter((c) => c.tokens[0] === A).length / list!.length;
    expect(share(s0)).toBeLessThan(0.1);
    expect(share(s1)).toBeGreaterThan(0.4);
  });

  it('refuses a log-weight that is positive or not finite', () => {
    const m = new TableModel(8, table);
    for (const w of [0.5, Number.NaN, -Infinity])
      expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: soft(w).slice(0, 1) })).toThrow(/log-weight/);
  });
});

describe('guided decoding: constrained beam search', () => {
  it('without constraints it is plain beam search', () => {
    const plain = beamSearch(new TableModel(8, table), vocab, noFeatures(2), 2, { beamWidth: 3 });
    const guided = beamSearch(new TableModel(8, table), vocab, noFeatures(2), 2, { beamWidth: 3, guidance: [none, none] });
    expect(guided).toEqual(plain);
    expect(plain[0]!.every((c) => c.met === undefined)).toBe(true);
  });

  it('puts a required word the model finds unlikely into the best caption', () => {
    const [plain] = beamSearch(new TableModel(8, table), vocab, noFeatures(1), 1, { beamWidth: 2 });
    expect(plain!.some((c) => c.tokens.includes(C))).toBe(false);
    const [guided] = beamSearch(new TableModel(8, table), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      guidance: [{ required: [[C]], vetoed: [] }],
    });
    expect(guided![0]!.tokens).toContain(C);
    expect(guided![0]!.met).toBe(1);
    // The unconstrained captions follow as alternatives, after every caption meeting the constraint.
    const mets = guided!.map((c) => c.met);
    expect([...mets].sort((x, y) => y! - x!)).toEqual(mets);
    expect(guided!.some((c) => c.met === 0)).toBe(true);
  });

  it('a constraint met by any of its words, and two constraints met in either order', () => {
    const [one] = beamSearch(new TableModel(8, table), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      guidance: [{ required: [[C, D]], vetoed: [] }],
    });
    expect(one![0]!.tokens.some((w) => w === C || w === D)).toBe(true);
    const [two] = beamSearch(new TableModel(8, table), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      guidance: [{ required: [[C], [D]], vetoed: [] }],
    });
    expect(two![0]!.met).toBe(2);
    expect(two![0]!.tokens).toEqual(expect.arrayContaining([C, D]));
  });

  it('stops an image once k captions meet every constraint', () => {
    // Unconstrained, the model rambles "a a a …" to maxLength; "c" then <end> meets the constraint in two steps.
    const rambling = { '': { [A]: 0.6, [C]: 0.3 }, [`${C}`]: { [END]: 0.9 } };
    const m = new TableModel(8, rambling, { [A]: 0.9 });
    const [g] = beamSearch(m, vocab, noFeatures(1), 1, { beamWidth: 1, guidance: [{ required: [[C]], vetoed: [] }] });
    expect(g![0]!.text).toBe('c');
    expect(g![0]!.met).toBe(1);
    expect(m.calls.length).toBeLessThan(5); // not the 20 steps the unmet group would take
  });

  it('a two-word phrase meets a constraint only when its second word follows its first', () => {
    // After "c", "d" is unlikely (the fallback spreads 0.5 over 7 words) and "b" likely: "c d" must be forced whole.
    const phrased = { ...table, [`${C}`]: { [B]: 0.6, [END]: 0.3 } };
    const [g] = beamSearch(new TableModel(8, phrased), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      guidance: [{ required: [[[C, D]]], vetoed: [] }],
    });
    const best = g![0]!.tokens;
    expect(best.findIndex((w, i) => w === C && best[i + 1] === D)).toBeGreaterThanOrEqual(0);
    expect(g![0]!.met).toBe(1);
    // Every caption said to meet it holds the phrase; "c" alone meets nothing.
    for (const c of g!) expect(c.met === 1).toBe(c.tokens.some((w, i) => w === C && c.tokens[i + 1] === D));
    // With "d" banned the phrase cannot be written: no caption meets the constraint, "c" or not.
    const [none] = beamSearch(new TableModel(8, phrased), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      bannedTokens: [D],
      guidance: [{ required: [[[C, D]]], vetoed: [] }],
    });
    expect(none!.every((c) => c.met === 0)).toBe(true);
    // A one-word name and a phrase beginning with it, in one constraint ("teddy", "teddy bear"): the word alone meets it.
    const [both] = beamSearch(new TableModel(8, phrased), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      guidance: [{ required: [[C, [C, D]]], vetoed: [] }],
    });
    expect(both![0]!.tokens).toContain(C);
    expect(both![0]!.met).toBe(1);
    // At the last step a phrase's first word cannot be completed: it must not take the place of a caption meeting the constraint.
    const short = { '': { [A]: 0.6, [B]: 0.3, [C]: 0.04 }, [`${A}`]: { [C]: 0.9 }, [`${B}`]: { [END]: 0.7 } };
    const [cut] = beamSearch(new TableModel(8, short), vocab, noFeatures(1), 1, {
      beamWidth: 1,
      maxLength: 2,
      guidance: [{ required: [[B, [C, D]]], vetoed: [] }],
    });
    expect(cut![0]!.text).toBe('b');
    expect(cut![0]!.met).toBe(1);
    const m = new TableModel(8, table);
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: [{ required: [[[C, END]]], vetoed: [] }] })).toThrow(
      /not <start>, <end>/,
    );
    const bad = [{ required: [[[C, D, A] as unknown as [number, number]]], vetoed: [] }];
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: bad })).toThrow(/two token ids/);
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: [{ required: [[[C, 99]]], vetoed: [] }] })).toThrow(
      /not in the vocabulary/,
    );
  });

  it('ties between equally likely words go to the lower id, whether or not a word can move a caption to another group', () => {
    // "c" and "d" tie at the start. A phrase's second word is searched apart from the other words
    // (it may complete the phrase); outside "a c" it stays in the group of no constraint met, where
    // it must still win its tie with "d" as the lower id, and lose it to "c" when "d" is the one apart.
    const tied = { '': { [A]: 0.1, [B]: 0.1, [C]: 0.35, [D]: 0.35 }, [`${C}`]: { [END]: 0.9 }, [`${D}`]: { [END]: 0.9 } };
    const unmet = (phrase: [number, number]) =>
      beamSearch(new TableModel(8, tied), vocab, noFeatures(1), 1, { beamWidth: 1, guidance: [{ required: [[phrase]], vetoed: [] }] })[0]!
        .filter((c) => c.met === 0)
        .map((c) => c.text);
    expect(unmet([A, C])).toEqual(['c']);
    expect(unmet([A, D])).toEqual(['c']);
    // A word meeting a constraint enters only its group: with "c" required, "d" wins the tie outside it.
    const [byWord] = beamSearch(new TableModel(8, tied), vocab, noFeatures(1), 1, {
      beamWidth: 1,
      guidance: [{ required: [[C]], vetoed: [] }],
    });
    expect(byWord!.map((c) => [c.text, c.met])).toEqual([
      ['c', 1],
      ['d', 0],
    ]);
  });

  it('an unmeetable constraint falls back to the best caption, and bad guidance is refused', () => {
    const [c] = beamSearch(new TableModel(8, table), vocab, noFeatures(1), 1, {
      beamWidth: 2,
      bannedTokens: [C],
      guidance: [{ required: [[C]], vetoed: [] }],
    });
    expect(c![0]!.text).toBe('a');
    expect(c![0]!.met).toBe(0);
    const m = new TableModel(8, table);
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: [{ required: [[99]], vetoed: [] }] })).toThrow(/not in the vocabulary/);
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: [{ required: [[]], vetoed: [] }] })).toThrow(/lists no token/);
    expect(() => beamSearch(m, vocab, noFeatures(1), 1, { guidance: [{ required: [[C], [C], [C], [C]], vetoed: [] }] })).toThrow(
      /at most 3/,
    );
  });
});

describe('guidance from concept scores', () => {
  const words = Vocabulary.fromWords([
    'a',
    'dog',
    'dogs',
    'puppy',
    'hot',
    'giraffe',
    'giraffes',
    'bird',
    'duck',
    'ducks',
    'orange',
    'animal',
    'beach',
    'man',
    'of',
    'glass',
    'wine',
    'horse',
    'horses',
  ]);
  const id = (w: string) => words.encode(w)[1]!; // [<start>, w, <end>]
  const settings: GuidanceSettings = { requireAbove: 0.6, maxRequired: 2, vetoBelow: 0.05 };
  /** Scores: 0.3 (neither required nor vetoed) except the listed concepts. */
  const scores = (set: Partial<Record<VisualConcept, number>>) => {
    const v = new Float32Array(CONCEPT_COUNT).fill(0.3);
    for (const [c, s] of Object.entries(set)) v[VISUAL_CONCEPTS.indexOf(c as VisualConcept)] = s!;
    return v;
  };

  it('requires the confident objects by all their one-word names, the most specific kind only, the most confident first', () => {
    const [g] = guidanceFromConcepts(words, scores({ giraffe: 0.9, bird: 0.95, duck: 0.8, person: 0.7 }), 1, settings);
    expect(g!.required).toEqual([
      [id('giraffe'), id('giraffes')],
      [id('duck'), id('ducks')],
    ]);
    const [bird] = guidanceFromConcepts(words, scores({ bird: 0.95 }), 1, settings);
    // A required bird is met by a duck too.
    expect(bird!.required[0]).toEqual(expect.arrayContaining([id('bird'), id('duck'), id('ducks')]));
  });

  it('a taught word meets every constraint (a pet\'s name need not come with "dog")', () => {
    const taught = Vocabulary.fromWords([...words.words.slice(4), 'biscuit']);
    const tid = (w: string) => taught.encode(w)[1]!;
    const [g] = guidanceFromConcepts(taught, scores({ dog: 0.9, giraffe: 0.9 }), 1, { ...settings, taughtWords: ['biscuit', 'unknown'] });
    for (const r of g!.required) expect(r).toContain(tid('biscuit'));
    expect(g!.required[0]).toContain(tid('dog'));
  });

  it('vetoes the names of absent objects, unless another plausible concept or a colour uses the word', () => {
    const [g] = guidanceFromConcepts(
      words,
      scores({ dog: 0.01, 'hot dog': 0.01, orange: 0.01, 'wine glass': 0.01, animal: 0.01 }),
      1,
      settings,
    );
    expect(g!.vetoed).toEqual(expect.arrayContaining([id('dog'), id('dogs'), id('puppy')]));
    for (const w of ['orange', 'animal', 'of', 'a', 'hot', 'beach', 'man']) expect(g!.vetoed).not.toContain(id(w));
    const [hot] = guidanceFromConcepts(words, scores({ dog: 0.01, 'hot dog': 0.5 }), 1, settings);
    expect(hot!.vetoed).not.toContain(id('dog'));
    expect(hot!.vetoed).toContain(id('puppy'));
  });

  it('an object’s own veto threshold replaces the common one, for that object only, and bad ones are refused', () => {
    // person at 0.2: above the common 0.05, below its own 0.25; dog at 0.2 keeps the common threshold.
    const byObject = { ...settings, vetoBelowByObject: { person: 0.25 } };
    const [g] = guidanceFromConcepts(words, scores({ person: 0.2, dog: 0.2 }), 1, byObject);
    expect(g!.vetoed).toContain(id('man'));
    expect(g!.vetoed).not.toContain(id('dog'));
    const [common] = guidanceFromConcepts(words, scores({ person: 0.2, dog: 0.2 }), 1, settings);
    expect(common!.vetoed).not.toContain(id('man'));
    // Per-object thresholds work with no common veto too.
    const [only] = guidanceFromConcepts(words, scores({ person: 0.2 }), 1, { ...byObject, vetoBelow: 0 });
    expect(only!.vetoed).toEqual(expect.arrayContaining([id('man')]));
    expect(() => guidanceFromConcepts(words, scores({}), 1, { ...settings, vetoBelowByObject: { unicorn: 0.2 } })).toThrow(
      /unicorn.*not a COCO object/,
    );
    expect(() => guidanceFromConcepts(words, scores({}), 1, { ...settings, vetoBelowByObject: { person: 0.7 } })).toThrow(
      /vetoBelowByObject.person must be in/,
    );
  });

  it('an object’s own requirement threshold replaces the common one, and bad ones are refused', () => {
    // The person scores 0.7 and the giraffe 0.5: with the common 0.4 both are required, with the person's own 0.8 only the giraffe.
    const common = { ...settings, requireAbove: 0.4 };
    const [both] = guidanceFromConcepts(words, scores({ person: 0.7, giraffe: 0.5 }), 1, common);
    expect(both!.required).toHaveLength(2);
    const [own] = guidanceFromConcepts(words, scores({ person: 0.7, giraffe: 0.5 }), 1, {
      ...common,
      requireAboveByObject: { person: 0.8 },
    });
    expect(own!.required).toEqual([[id('giraffe'), id('giraffes')]]);
    // A kind of a calibrated object is held to its category's threshold: a duck is a bird, scoring no higher.
    const [duck] = guidanceFromConcepts(words, scores({ bird: 0.85, duck: 0.85 }), 1, { ...common, requireAboveByObject: { bird: 0.9 } });
    expect(duck!.required).toEqual([]);
    const [sure] = guidanceFromConcepts(words, scores({ bird: 0.95, duck: 0.95 }), 1, { ...common, requireAboveByObject: { bird: 0.9 } });
    expect(sure!.required[0]).toContain(id('duck'));
    expect(() => guidanceFromConcepts(words, scores({}), 1, { ...common, requireAboveByObject: { unicorn: 0.5 } })).toThrow(
      /unicorn.*not a COCO object/,
    );
    // At or below the object's veto threshold, or above 1.
    for (const bad of [{ person: 0.05 }, { person: 1.5 }, { person: Number.NaN }, { person: '0.5' as unknown as number }])
      expect(() => guidanceFromConcepts(words, scores({}), 1, { ...common, requireAboveByObject: bad })).toThrow(
        /requireAboveByObject.person must be in/,
      );
  });

  it('an object named only by two words is required by its phrase', () => {
    const [g] = guidanceFromConcepts(words, scores({ 'wine glass': 0.9 }), 1, settings);
    expect(g!.required).toEqual([[[id('wine'), id('glass')]]]);
  });

  it('soft-vetoes the names of doubted objects by w·ln(score), not the vetoed, required or never-vetoed ones', () => {
    const weighted = { ...settings, softVetoWeight: 2 };
    const [g] = guidanceFromConcepts(words, scores({ giraffe: 0.9, dog: 0.2, 'hot dog': 0.5, bird: 0.01, duck: 0.01 }), 1, weighted);
    const weightOf = new Map(g!.softVetoed);
    // A person at 0.3 (the default score here): "man" costs 2·ln 0.3.
    expect(weightOf.get(id('man'))).toBeCloseTo(2 * Math.log(0.3), 5);
    // "dog" is read at the most plausible concept naming it (the hot dog's 0.5), "puppy" at the dog's own 0.2.
    expect(weightOf.get(id('dog'))).toBeCloseTo(2 * Math.log(0.5), 5);
    expect(weightOf.get(id('puppy'))).toBeCloseTo(2 * Math.log(0.2), 5);
    for (const w of ['giraffe', 'giraffes', 'bird', 'duck', 'orange', 'animal', 'beach', 'of', 'a'])
      expect(weightOf.has(id(w))).toBe(false);
    expect(g!.vetoed).toContain(id('bird'));
    // Without the setting, or at weight 0, nothing is soft-vetoed.
    expect(guidanceFromConcepts(words, scores({}), 1, settings)[0]!.softVetoed).toEqual([]);
    expect(guidanceFromConcepts(words, scores({}), 1, { ...settings, softVetoWeight: 0 })[0]!.softVetoed).toEqual([]);
    for (const bad of [-1, 11, Number.NaN])
      expect(() => guidanceFromConcepts(words, scores({}), 1, { ...settings, softVetoWeight: bad })).toThrow(/softVetoWeight/);
  });

  it('a taught word is vetoed and soft-vetoed with the word it was taught in place of', () => {
    const taught = Vocabulary.fromWords([...words.words.slice(4), 'biscuit']);
    const tid = (w: string) => taught.encode(w)[1]!;
    const withTaught = { ...settings, softVetoWeight: 1, taughtWords: ['biscuit'], taughtAs: { biscuit: 'dog', unknown: 'dog' } };
    const [absent] = guidanceFromConcepts(taught, scores({ dog: 0.01, 'hot dog': 0.01 }), 1, withTaught);
    expect(absent!.vetoed).toEqual(expect.arrayContaining([tid('dog'), tid('biscuit')]));
    const [doubted] = guidanceFromConcepts(taught, scores({ dog: 0.2, 'hot dog': 0.01 }), 1, withTaught);
    expect(new Map(doubted!.softVetoed).get(tid('biscuit'))).toBeCloseTo(Math.log(0.2), 5);
    // A required dog is met by the taught word, which then costs nothing.
    const [sure] = guidanceFromConcepts(taught, scores({ dog: 0.9 }), 1, withTaught);
    expect(sure!.required[0]).toContain(tid('biscuit'));
    expect(sure!.vetoed).not.toContain(tid('biscuit'));
    expect(new Map(sure!.softVetoed).has(tid('biscuit'))).toBe(false);
    expect(() => guidanceFromConcepts(taught, scores({}), 1, { ...settings, taughtAs: { biscuit: 3 } as never })).toThrow(/taughtAs/);
    expect(() => guidanceFromConcepts(taught, scores({}), 1, { ...settings, taughtAs: { biscuit: 'biscuit' } })).toThrow(/taughtAs/);
  });

  it('a taught word that is an object name keeps its own guidance, and a taught word is not a required name', () => {
    // "duck" taught where the model said "dog": on a photo of a sure bird and no dog it stays allowed and required.
    const taught = Vocabulary.fromWords([...words.words.slice(4), 'biscuit']);
    const tid = (w: string) => taught.encode(w)[1]!;
    const s = { ...settings, softVetoWeight: 1, taughtWords: ['duck', 'biscuit'], taughtAs: { duck: 'dog', biscuit: 'dog' } };
    const [g] = guidanceFromConcepts(taught, scores({ duck: 0.9, bird: 0.9, dog: 0.01, 'hot dog': 0.01 }), 1, s);
    expect(g!.required[0]).toContain(tid('duck'));
    expect(g!.vetoed).not.toContain(tid('duck'));
    expect(g!.vetoed).toContain(tid('biscuit'));
    // A person (0.3) is doubted: its names are soft-vetoed even though the taught words meet every constraint.
    expect(new Map(g!.softVetoed).get(tid('man'))).toBeCloseTo(Math.log(0.3), 5);
  });

  it('with exclusive animals, requires an animal only where it leads its rivals, and then vetoes those under half of it', () => {
    const exclusive = { ...settings, vetoBelow: 0.01, exclusiveAnimals: true };
    // The README's foals: horse 0.74, dog 0.2 (other animals 0.3 here, under half of 0.74; hot dog ruled out).
    const [foals] = guidanceFromConcepts(words, scores({ horse: 0.74, dog: 0.2, 'hot dog': 0.005 }), 1, exclusive);
    expect(foals!.required).toEqual([[id('horse'), id('horses')]]);
    for (const w of ['dog', 'dogs', 'puppy', 'bird', 'duck', 'ducks', 'giraffe']) expect(foals!.vetoed).toContain(id(w));
    for (const w of ['horse', 'animal', 'man']) expect(foals!.vetoed).not.toContain(id(w));
    // With no common veto at all the rivals' vetoes stand on their own ("dog" stays: nothing rules the hot dog out).
    const [alone] = guidanceFromConcepts(words, scores({ horse: 0.74, dog: 0.2, 'hot dog': 0.005 }), 1, { ...exclusive, vetoBelow: 0 });
    expect(alone!.vetoed).toEqual(foals!.vetoed.filter((t) => t !== id('dog') && t !== id('dogs')));
    // "dog" stays allowed while a hot dog is plausible; "puppy" names the dog alone.
    const [hot] = guidanceFromConcepts(words, scores({ horse: 0.74, dog: 0.2, 'hot dog': 0.5 }), 1, exclusive);
    expect(hot!.vetoed).not.toContain(id('dog'));
    expect(hot!.vetoed).toContain(id('puppy'));
    // A horse scoring 0.7 in a dog photo is not required; at over half the dog's score it may be there, at 0.4 it is vetoed.
    const [dog] = guidanceFromConcepts(words, scores({ horse: 0.7, dog: 0.95, 'hot dog': 0.005 }), 1, exclusive);
    expect(dog!.required).toEqual([[id('dog'), id('dogs'), id('puppy')]]);
    expect(dog!.vetoed).not.toContain(id('horse'));
    const [echo] = guidanceFromConcepts(words, scores({ horse: 0.4, dog: 0.95, 'hot dog': 0.005 }), 1, exclusive);
    expect(echo!.vetoed).toEqual(expect.arrayContaining([id('horse'), id('horses')]));
    // Two animals tied: one leads (the lower index), so no required name is vetoed.
    const [tie] = guidanceFromConcepts(words, scores({ bird: 0.9, dog: 0.9, 'hot dog': 0.005 }), 1, exclusive);
    expect(tie!.required).toEqual([[id('bird'), id('duck'), id('ducks')]]);
    for (const r of tie!.required) for (const t of r) expect(tie!.vetoed).not.toContain(t);
    // Only a required animal vetoes: with one object required and a person more confident, the dog stays allowed.
    const [person] = guidanceFromConcepts(words, scores({ person: 0.9, horse: 0.74, dog: 0.2, 'hot dog': 0.005 }), 1, {
      ...exclusive,
      maxRequired: 1,
    });
    expect(person!.required).toEqual([expect.arrayContaining([id('man')])]);
    expect(person!.vetoed).not.toContain(id('dog'));
    // A kind does not rival its category: a required duck leaves "bird" allowed.
    const [duck] = guidanceFromConcepts(words, scores({ bird: 0.9, duck: 0.85, 'hot dog': 0.005 }), 1, exclusive);
    expect(duck!.required[0]).toContain(id('duck'));
    expect(duck!.vetoed).not.toContain(id('bird'));
    expect(duck!.vetoed).toContain(id('dog'));
    // Off, both animals are required and neither vetoed; nothing changes for a photo with no required animal.
    const [both] = guidanceFromConcepts(words, scores({ horse: 0.4, dog: 0.95, 'hot dog': 0.005 }), 1, {
      ...exclusive,
      requireAbove: 0.35,
      exclusiveAnimals: false,
    });
    expect(both!.required).toHaveLength(2);
    expect(both!.vetoed).not.toContain(id('horse'));
    const none = scores({ person: 0.9, dog: 0.2 });
    expect(guidanceFromConcepts(words, none, 1, exclusive)).toEqual(
      guidanceFromConcepts(words, none, 1, { ...exclusive, exclusiveAnimals: false }),
    );
    expect(() => guidanceFromConcepts(words, none, 1, { ...exclusive, exclusiveAnimals: 'yes' as never })).toThrow(/exclusiveAnimals/);
  });

  it('captionFeatures guides a real search from the scores, and refuses guidance without them', () => {
    const model = new TableModel(words.size, { '': { [id('dog')]: 0.5, [id('a')]: 0.3 } }, { [END]: 0.9 });
    model.conceptDim = CONCEPT_COUNT;
    const plain = captionFeatures(model, words, noFeatures(1), 1, { method: 'greedy', concepts: scores({}) });
    expect(plain[0]!.text).toBe('dog');
    const vetoed = captionFeatures(model, words, noFeatures(1), 1, {
      method: 'greedy',
      concepts: scores({ dog: 0.01, 'hot dog': 0.01 }),
      guideBy: settings,
    });
    expect(vetoed[0]!.text).not.toMatch(/dog|puppy/);
    expect(() => captionFeatures(model, words, noFeatures(1), 1, { guideBy: settings })).toThrow(/needs the concept scores/);
  });
});
