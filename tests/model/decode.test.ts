import { describe, expect, it } from 'vitest';
import { beamSearch, captionFeatures, greedyDecode, sampleCaptions, type DecodedCaption } from '../../src/model/decode.js';
import { DecoderStepModel, initParams, lossAndGrads } from '../../src/model/decoder.js';
import { adamStep, createAdamState } from '../../src/training/optim.js';
import { Rng } from '../../src/model/rng.js';
import { END, PAD, START, UNK, type DecoderConfig, type StepModel } from '../../src/model/types.js';
import { TableModel } from './table-model.js';
import { Vocabulary } from '../../src/model/vocab.js';

// words a b c d = ids 4 5 6 7
const tableVocab = Vocabulary.fromWords(['a', 'b', 'c', 'd']);
const [A, B, C, D] = [4, 5, 6, 7];
const noFeatures = (n: number) => new Float32Array(n);

/** Sum of the model's log-probabilities of a caption, fed one token at a time. */
function teacherForced(model: StepModel, features: Float32Array, tokens: number[], ended: boolean): number {
  const state = model.initState(features, 1);
  let input = START;
  let sum = 0;
  const seq = ended ? [...tokens, END] : tokens;
  for (const w of seq) {
    const lp = model.step(state, new Int32Array([input]));
    sum += lp[w]!;
    input = w;
  }
  return sum;
}

function expectScored(c: DecodedCaption, alpha: number): void {
  const len = c.tokens.length + (c.ended ? 1 : 0);
  expect(c.score).toBeCloseTo(c.logProb / Math.pow(len, alpha), 12);
}

describe('search on a hand-set table', () => {
  const myopic = {
    '': { [A]: 0.5, [B]: 0.45 },
    [`${A}`]: { [END]: 0.3, [C]: 0.3, [D]: 0.3 },
    [`${B}`]: { [C]: 0.95 },
    [`${B},${C}`]: { [END]: 0.95 },
  };

  it('beam search finds the more probable caption that greedy search misses', () => {
    const model = new TableModel(8, myopic);
    const [greedy] = greedyDecode(model, tableVocab, noFeatures(1), 1);
    expect(greedy!.text).toBe('a');
    expect(greedy!.logProb).toBeCloseTo(Math.log(0.5 * 0.3), 5);
    const [beams] = beamSearch(model, tableVocab, noFeatures(1), 1, { beamWidth: 2 });
    expect(beams!.map((c) => c.text)).toEqual(['b c', 'a']);
    expect(beams![0]!.logProb).toBeCloseTo(Math.log(0.45 * 0.95 * 0.95), 5);
    expect(beams![0]!.logProb).toBeGreaterThan(greedy!.logProb);
    expect(beams![0]!.score).toBeGreaterThan(greedy!.score);
    for (const c of beams!) expectScored(c, 0.7);
    // Width 1 is greedy.
    const [one] = beamSearch(model, tableVocab, noFeatures(1), 1, { beamWidth: 1 });
    expect(one).toEqual([greedy]);
  });

  it('with a beam as wide as the search space, returns every caption, ranked exactly as brute force', () => {
    // Three words; random next-word distributions for every prefix; captions of 1–3 words.
    const rng = new Rng(17);
    const table: Record<string, Record<number, number>> = {};
    const words = [A, B, C];
    const prefixes: number[][] = [[]];
    for (let len = 1; len <= 2; len++)
      for (const p of prefixes.filter((q) => q.length === len - 1)) for (const w of words) prefixes.push([...p, w]);
    for (const p of prefixes) {
      const raw = [END, A, B, C].map(() => 0.05 + rng.uniform());
      const total = raw.reduce((x, y) => x + y, 0) / 0.97; // 3% left for the other tokens
      table[p.join(',')] = { [END]: raw[0]! / total, [A]: raw[1]! / total, [B]: raw[2]! / total, [C]: raw[3]! / total };
    }
    const model = new TableModel(8, table);
    const all: Array<{ text: string; score: number }> = [];
    const lp = (p: number[], w: number) => Math.log(table[p.join(',')]![w]!);
    for (const p of prefixes.slice(1)) {
      let sum = 0;
      for (let i = 0; i < p.length; i++) sum += lp(p.slice(0, i), p[i]!);
      const text = tableVocab.decode(p);
      if (p.length < 3) all.push({ text, score: (sum + lp(p, END)) / Math.pow(p.length + 1, 0.7) });
    }
    for (const p of prefixes.filter((q) => q.length === 2)) {
      for (const w of words) {
        const q = [...p, w];
        const sum = lp([], q[0]!) + lp([q[0]!], q[1]!) + lp(p, w);
        all.push({ text: tableVocab.decode(q), score: sum / Math.pow(3, 0.7) });
      }
    }
    all.sort((x, y) => y.score - x.score);
    expect(all).toHaveLength(39);
    const [beams] = beamSearch(model, tableVocab, noFeatures(1), 1, { beamWidth: 39, maxLength: 3, bannedTokens: [D] });
    expect(beams!.map((c) => c.text)).toEqual(all.map((c) => c.text));
    beams!.forEach((c, i) => expect(c.score).toBeCloseTo(all[i]!.score, 5));
  });

  it('steps all images and beams in one call per step, dropping finished ones', () => {
    const model = new TableModel(8, myopic);
    beamSearch(model, tableVocab, noFeatures(3), 3, { beamWidth: 2 });
    // step 1: one row per image; step 2: two beams each; step 3: only "b c" is still live.
    expect(model.calls).toEqual([3, 6, 3]);
  });

  it('never emits <unk>, <pad> or <start>, even when the model prefers them', () => {
    const table = { '': { [UNK]: 0.5, [PAD]: 0.2, [START]: 0.2, [C]: 0.05 } };
    const model = new TableModel(8, table, { [UNK]: 0.6, [END]: 0.3 });
    const [g] = greedyDecode(model, tableVocab, noFeatures(1), 1);
    expect(g!.tokens).toEqual([C]);
    expect(g!.ended).toBe(true);
    for (const c of beamSearch(model, tableVocab, noFeatures(1), 1, { beamWidth: 4 })[0]!) {
      for (const t of c.tokens) expect([UNK, PAD, START, END]).not.toContain(t);
    }
    const samples = sampleCaptions(model, tableVocab, noFeatures(2), 2, { samples: 100, seed: 3 });
    for (const c of samples.flat()) for (const t of c.tokens) expect([UNK, PAD, START, END]).not.toContain(t);
    // bannedTokens adds to the mask; minLength holds <end> back.
    const [h] = greedyDecode(model, tableVocab, noFeatures(1), 1, { bannedTokens: [C], minLength: 2 });
    expect(h!.tokens.length).toBe(2);
    expect(h!.tokens).not.toContain(C);
  });

  it('honours maxLength when the model never wants to stop', () => {
    const model = new TableModel(8, {}, { [A]: 0.6, [B]: 0.399999 });
    const [g] = greedyDecode(model, tableVocab, noFeatures(1), 1, { maxLength: 5 });
    expect(g!.text).toBe('a a a a a');
    expect(g!.ended).toBe(false);
    expectScored(g!, 0.7);
    const [beams] = beamSearch(model, tableVocab, noFeatures(1), 1, { beamWidth: 3, maxLength: 5 });
    expect(beams!).toHaveLength(3);
    for (const c of beams!) expect(c.tokens.length).toBe(5);
    expect(beams![0]!.text).toBe('a a a a a');
    for (const c of sampleCaptions(model, tableVocab, noFeatures(1), 1, { samples: 20, maxLength: 3 })[0]!) {
      expect(c.tokens.length).toBe(3);
      expect(c.ended).toBe(false);
    }
    expect(() => greedyDecode(model, tableVocab, noFeatures(1), 1, { maxLength: 0 })).toThrow(/maxLength/);
  });

  it('blocks repeated n-grams when asked', () => {
    // The model loves "a b a b a b …".
    const model = new TableModel(8, { '': { [A]: 0.9 } }, { [A]: 0.45, [B]: 0.45, [C]: 0.05, [END]: 0.01 });
    const hasRepeat = (tokens: number[], n: number) => {
      const seen = new Set<string>();
      for (let i = 0; i + n <= tokens.length; i++) {
        const g = tokens.slice(i, i + n).join(',');
        if (seen.has(g)) return true;
        seen.add(g);
      }
      return false;
    };
    const plain = greedyDecode(model, tableVocab, noFeatures(1), 1, { maxLength: 8 })[0]!;
    expect(hasRepeat(plain.tokens, 2)).toBe(true);
    for (const n of [1, 2, 3]) {
      const o = { maxLength: 8, noRepeatNgram: n };
      const all = [
        greedyDecode(model, tableVocab, noFeatures(1), 1, o)[0]!,
        ...beamSearch(model, tableVocab, noFeatures(1), 1, { ...o, beamWidth: 3 })[0]!,
        ...sampleCaptions(model, tableVocab, noFeatures(1), 1, { ...o, samples: 30, seed: n })[0]!,
      ];
      for (const c of all) expect(hasRepeat(c.tokens, n), `${n}: ${c.text}`).toBe(false);
    }
    // Blocking keeps the best allowed word: after "a a b" the bigrams "a a" and "a b" are spent.
    expect(greedyDecode(model, tableVocab, noFeatures(1), 1, { maxLength: 4, noRepeatNgram: 2 })[0]!.text).toBe('a a b a');
    expect(greedyDecode(model, tableVocab, noFeatures(1), 1, { maxLength: 5, noRepeatNgram: 2 })[0]!.text).toBe('a a b a c');
  });

  it('with repeat blocking, never puts the same word on both sides of "and"', () => {
    // words white and black dog = ids 4 5 6 7; the model wants "white and white …".
    const vocab = Vocabulary.fromWords(['white', 'and', 'black', 'dog']);
    // (the table is keyed by the whole prefix)
    const model = new TableModel(8, {
      '': { 4: 0.9 },
      '4': { 5: 0.9 },
      '4,5': { 4: 0.6, 6: 0.35 },
      '4,5,4': { 7: 0.9 },
      '4,5,6': { 7: 0.9 },
      '4,5,4,7': { [END]: 0.9 },
      '4,5,6,7': { [END]: 0.9 },
    });
    expect(greedyDecode(model, vocab, noFeatures(1), 1, { maxLength: 6 })[0]!.text).toBe('white and white dog');
    expect(greedyDecode(model, vocab, noFeatures(1), 1, { maxLength: 6, noRepeatNgram: 3 })[0]!.text).toBe('white and black dog');
    expect(beamSearch(model, vocab, noFeatures(1), 1, { maxLength: 6, noRepeatNgram: 3, beamWidth: 3 })[0]![0]!.text).toBe(
      'white and black dog',
    );
    // Whatever the n-gram order (4: before any 4-gram exists), and when sampling too.
    for (const n of [1, 2, 4])
      expect(greedyDecode(model, vocab, noFeatures(1), 1, { maxLength: 6, noRepeatNgram: n })[0]!.text, `n=${n}`).toBe(
        'white and black dog',
      );
    for (const c of sampleCaptions(model, vocab, noFeatures(1), 1, { maxLength: 6, noRepeatNgram: 3, samples: 20, seed: 3 })[0]!)
      expect(c.text).not.toMatch(/white and white/);
  });

  it('samples words with probability proportional to p^(1/temperature), reproducibly', () => {
    const model = new TableModel(8, { '': { [A]: 0.6, [B]: 0.3, [C]: 0.1, [D]: 0, [END]: 0 } }, { [END]: 1 - 1e-9 });
    const first = (o: { temperature: number; seed: number }) => {
      const counts = new Map<string, number>();
      for (const c of sampleCaptions(model, tableVocab, noFeatures(1), 1, { ...o, samples: 4000 })[0]!) {
        counts.set(c.text, (counts.get(c.text) ?? 0) + 1);
      }
      return counts;
    };
    const t1 = first({ temperature: 1, seed: 1 });
    // binomial standard deviations at n = 4000 are under 0.008
    expect(t1.get('a')! / 4000).toBeCloseTo(0.6, 1);
    expect(t1.get('b')! / 4000).toBeCloseTo(0.3, 1);
    expect(t1.get('c')! / 4000).toBeCloseTo(0.1, 1);
    const t05 = first({ temperature: 0.5, seed: 2 }); // p² normalised: .36/.46, .09/.46, .01/.46
    expect(t05.get('a')! / 4000).toBeCloseTo(0.36 / 0.46, 1);
    expect(t05.get('c')! / 4000).toBeLessThan(0.04);
    const again = sampleCaptions(model, tableVocab, noFeatures(1), 1, { seed: 7, samples: 50 });
    expect(sampleCaptions(model, tableVocab, noFeatures(1), 1, { seed: 7, samples: 50 })).toEqual(again);
    expect(sampleCaptions(model, tableVocab, noFeatures(1), 1, { seed: 8, samples: 50 })).not.toEqual(again);
    for (const c of again[0]!) expect(c.logProb).toBeCloseTo(teacherForced(model, noFeatures(1), c.tokens, c.ended), 5);
  });
});

describe('search on the real decoder', () => {
  const config: DecoderConfig = { featureDim: 10, embedDim: 8, hiddenDim: 12, layers: 2, vocabSize: 24, dropout: 0 };
  const vocab = Vocabulary.fromWords(Array.from({ length: 20 }, (_, i) => `w${i}`));
  const params = initParams(config, 11);
  // Sharpen the random model a little so captions end within a few words.
  for (let i = 0; i < params.W_vocab!.length; i++) params.W_vocab![i] *= 3;
  params.b_vocab![END] = 1.5;
  const model = new DecoderStepModel(params);
  const rng = new Rng(5);
  const N = 6;
  const features = Float32Array.from({ length: N * config.featureDim }, () => rng.normal());

  it('beam search of width 1 equals greedy search', () => {
    const greedy = greedyDecode(model, vocab, features, N, { maxLength: 12 });
    const beam1 = beamSearch(model, vocab, features, N, { beamWidth: 1, maxLength: 12 });
    expect(beam1.map((l) => l[0])).toEqual(greedy);
    expect(new Set(greedy.map((c) => c.text)).size).toBeGreaterThan(1);
  });

  it('returns the k best per image, each scored exactly as the model scores it, batched as alone', () => {
    const k = 4;
    const all = beamSearch(model, vocab, features, N, { beamWidth: k, maxLength: 12, alpha: 1 });
    all.forEach((list, i) => {
      expect(list).toHaveLength(k);
      expect(new Set(list.map((c) => c.tokens.join(','))).size).toBe(k);
      for (let j = 1; j < k; j++) expect(list[j - 1]!.score).toBeGreaterThanOrEqual(list[j]!.score);
      const f = features.subarray(i * config.featureDim, (i + 1) * config.featureDim);
      for (const c of list) {
        expectScored(c, 1);
        expect(c.logProb).toBeCloseTo(teacherForced(model, f, c.tokens, c.ended), 4);
        expect(c.text).toBe(vocab.decode(c.tokens));
      }
      const alone = beamSearch(model, vocab, f, 1, { beamWidth: k, maxLength: 12, alpha: 1 })[0]!;
      expect(alone.map((c) => c.tokens)).toEqual(list.map((c) => c.tokens));
      // The best beam is at least as probable (per token) as the greedy caption.
      const [g] = greedyDecode(model, vocab, f, 1, { maxLength: 12, alpha: 1 });
      expect(list[0]!.score).toBeGreaterThanOrEqual(g!.score - 1e-9);
    });
  });

  it('captionFeatures gives each image its best caption and the distinct alternatives', () => {
    const results = captionFeatures(model, vocab, features, N);
    expect(results).toHaveLength(N);
    for (const r of results) {
      expect(r.alternatives[0]).toEqual({ text: r.text, score: r.score });
      expect(r.alternatives.length).toBeGreaterThan(1);
      expect(r.alternatives.length).toBeLessThanOrEqual(3);
      expect(new Set(r.alternatives.map((a) => a.text)).size).toBe(r.alternatives.length);
      expect(r.text).not.toContain('<unk>');
    }
    const greedy = captionFeatures(model, vocab, features, N, { method: 'greedy' });
    expect(greedy.map((r) => r.alternatives.length)).toEqual(Array(N).fill(1));
    const sampled = captionFeatures(model, vocab, features, N, { method: 'sample', seed: 1, temperature: 0.7 });
    expect(sampled).toHaveLength(N);
    expect(captionFeatures(model, vocab, features, 0)).toEqual([]);
    expect(() => captionFeatures(model, Vocabulary.fromWords(['x']), features, N)).toThrow(
      /vocabulary has 5 words but the model predicts 24/,
    );
  });

  it('captionFeatures isolates an image with a non-finite feature and refuses features of the wrong width', () => {
    const bad = features.slice();
    bad[2 * config.featureDim + 3] = NaN;
    const results = captionFeatures(model, vocab, bad, N);
    const clean = captionFeatures(model, vocab, features, N);
    expect(results[2]).toMatchObject({ text: '', score: -Infinity, alternatives: [], error: expect.stringMatching(/NaN or Infinity/) });
    for (const i of [0, 1, 3, 4, 5]) expect(results[i]).toEqual(clean[i]);
    expect(() => captionFeatures(model, vocab, features.subarray(0, N * 8), N)).toThrow(/8 values per image but the decoder reads 10/);
  });

  it('a briefly trained decoder reproduces the captions it learned, greedy and beam', () => {
    const captions = [
      'a dog runs on the grass',
      'two children play in the water',
      'a man rides a red bike',
      'the cat sleeps',
      'a girl in a pink dress jumps',
    ];
    const v = Vocabulary.build(captions, { minCount: 1 });
    const cfg: DecoderConfig = { featureDim: 16, embedDim: 16, hiddenDim: 32, layers: 1, vocabSize: v.size, dropout: 0 };
    const r = new Rng(3);
    const n = captions.length;
    const feats = Float32Array.from({ length: n * cfg.featureDim }, () => r.normal());
    const T = 9;
    const ids = new Int32Array(n * T).fill(PAD);
    captions.forEach((c, i) => ids.set(v.encode(c), i * T));
    const p = initParams(cfg, 4);
    const adam = createAdamState();
    let loss = Infinity;
    for (let it = 0; it < 300 && loss > 0.01; it++) {
      const res = lossAndGrads(p, { features: feats, captions: ids, n, t: T });
      loss = res.loss;
      adamStep(p, res.grads, adam, 0.02);
    }
    expect(loss).toBeLessThan(0.05);
    const m = new DecoderStepModel(p);
    expect(greedyDecode(m, v, feats, n).map((c) => c.text)).toEqual(captions);
    expect(captionFeatures(m, v, feats, n, { beamWidth: 3 }).map((c) => c.text)).toEqual(captions);
    for (const c of captionFeatures(m, v, feats, n)) expect(Math.exp(c.score)).toBeGreaterThan(0.9);
  });
});
