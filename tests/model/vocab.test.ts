import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveVocabulary } from '../../src/model/decoder-io.js';
import { END, PAD, SPECIAL_TOKENS, START, UNK } from '../../src/model/types.js';
import { countWords, tokenize, Vocabulary, VOCAB_FORMAT_VERSION } from '../../src/model/vocab.js';
import { datasetPath } from '../../src/shared/paths.js';

const FLICKR = datasetPath('flickr8k', 'captions.jsonl');
const tmp = mkdtempSync(join(tmpdir(), 'lenscribe-vocab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tokenize', () => {
  it('lowercases, drops punctuation and keeps apostrophes and hyphens inside words', () => {
    expect(tokenize('A Dog, running!  On the beach.')).toEqual(['a', 'dog', 'running', 'on', 'the', 'beach']);
    expect(tokenize("The dog's ball; don't \u2018stop\u2019 \u2014 dogs' toys")).toEqual([
      'the',
      "dog's",
      'ball',
      "don't",
      'stop',
      'dogs',
      'toys',
    ]);
    expect(tokenize('a t-shirt on a 3-year-old, -dash- and rock\u2019n\u2019roll')).toEqual([
      'a',
      't-shirt',
      'on',
      'a',
      '3-year-old',
      'dash',
      'and',
      "rock'n'roll",
    ]);
    expect(tokenize('2 dogs at 12:30 (in 1999)')).toEqual(['2', 'dogs', 'at', '12', '30', 'in', '1999']);
    expect(tokenize('Café CRÈME <unk>')).toEqual(['café', 'crème', 'unk']);
    expect(tokenize(' ... !!! ')).toEqual([]);
  });
});

describe('Vocabulary', () => {
  const captions = ['A dog runs.', 'a dog jumps', 'A cat sits', 'the dog', 'a cat runs', 'zebra'];

  it('gives special tokens their fixed ids and keeps words above the min count, most frequent first', () => {
    const v = Vocabulary.build(captions, { minCount: 2 });
    expect(v.words.slice(0, 4)).toEqual([...SPECIAL_TOKENS]);
    expect([v.id('<pad>'), v.id('<start>'), v.id('<end>'), v.id('<unk>')]).toEqual([PAD, START, END, UNK]);
    // a:4, dog:3, cat:2, runs:2 (ties alphabetical); the, jumps, sits, zebra dropped
    expect(v.words.slice(4)).toEqual(['a', 'dog', 'cat', 'runs']);
    expect(v.size).toBe(8);
    expect(v.id('zebra')).toBe(UNK);
    expect(Vocabulary.build(captions, { minCount: 1, maxWords: 2 }).words.slice(4)).toEqual(['a', 'dog']);
    expect(() => Vocabulary.build(captions, { minCount: 0 })).toThrow(/minCount/);
  });

  it('encodes with <start>/<end> and <unk>, honours maxLength, and decodes back', () => {
    const v = Vocabulary.build(captions, { minCount: 2 });
    const ids = v.encode('A zebra dog runs!');
    expect(Array.from(ids)).toEqual([START, v.id('a'), UNK, v.id('dog'), v.id('runs'), END]);
    expect(v.decode(ids)).toBe('a <unk> dog runs');
    const cut = v.encode('a dog runs a cat', { maxLength: 4 });
    expect(Array.from(cut)).toEqual([START, v.id('a'), v.id('dog'), END]);
    expect(Array.from(v.encode('', { maxLength: 2 }))).toEqual([START, END]);
    expect(() => v.encode('a', { maxLength: 1 })).toThrow(/maxLength/);
    // decode stops at <end> and skips <pad>/<start>
    expect(v.decode([START, v.id('cat'), PAD, v.id('runs'), END, v.id('dog')])).toBe('cat runs');
    expect(() => v.decode([99])).toThrow(/outside the vocabulary/);
  });

  it('grows without changing existing ids', () => {
    const v = Vocabulary.build(captions, { minCount: 2 });
    const before = v.words;
    const added = v.addWords(['Labrador', 'dog', 'Border-Collie!', 'red setter', 'labrador']);
    expect(added).toEqual([8, 9, 10, 11]);
    expect(v.words.slice(0, before.length)).toEqual(before);
    expect(v.words.slice(8)).toEqual(['labrador', 'border-collie', 'red', 'setter']);
    expect(v.id('labrador')).toBe(8);
    expect(v.addWords(['dog', 'a'])).toEqual([]);
    expect(Vocabulary.fromWords(['x', 'y']).words).toEqual([...SPECIAL_TOKENS, 'x', 'y']);
  });

  it('saves and loads as versioned JSON, identically', () => {
    const v = Vocabulary.build(captions, { minCount: 1 });
    v.addWords(['newword']);
    const path = join(tmp, 'vocab.json');
    saveVocabulary(path, v);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json.version).toBe(VOCAB_FORMAT_VERSION);
    expect(json.format).toBe('lenscribe-vocab');
    const w = Vocabulary.load(path);
    expect(w.words).toEqual(v.words);
    expect(w.minCount).toBe(1);
    expect(readdirNoTemps()).toBe(true);
  });

  it('refuses malformed, newer or inconsistent vocabulary files with a specific message', () => {
    const good = Vocabulary.build(captions, { minCount: 2 }).toJSON();
    const write = (name: string, content: unknown) => {
      const p = join(tmp, name);
      writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
      return p;
    };
    expect(() => Vocabulary.load(join(tmp, 'missing.json'))).toThrow(/missing\.json: cannot read vocabulary \(ENOENT\)/);
    expect(() => Vocabulary.load(write('trunc.json', JSON.stringify(good).slice(0, 30)))).toThrow(
      /trunc\.json: vocabulary is not valid JSON/,
    );
    expect(() => Vocabulary.load(write('newer.json', { ...good, version: VOCAB_FORMAT_VERSION + 1 }))).toThrow(
      /newer\.json: .*version 2 is newer/,
    );
    expect(() => Vocabulary.load(write('specials.json', { ...good, words: ['<start>', '<pad>', ...good.words.slice(2)] }))).toThrow(
      /id 0 must be <pad>/,
    );
    expect(() => Vocabulary.load(write('dup.json', { ...good, words: [...good.words, 'dog'] }))).toThrow(/"dog" appears twice/);
    expect(() => Vocabulary.load(write('bad.json', { ...good, words: [...good.words, 'Two Words'] }))).toThrow(
      /not a single normalised token/,
    );
    expect(() => Vocabulary.load(write('other.json', { words: good.words }))).toThrow(/not a Lenscribe vocabulary/);
  });

  it.skipIf(!existsSync(FLICKR))('builds a sensible vocabulary from the real Flickr8k captions', () => {
    const all = readFileSync(FLICKR, 'utf8')
      .trim()
      .split('\n')
      .flatMap((l) => (JSON.parse(l) as { captions: string[] }).captions);
    expect(all.length).toBeGreaterThan(30_000);
    const v = Vocabulary.build(all, { minCount: 5 });
    // Flickr8k with min-count 5 has a few thousand words (cs231n-style preprocessing gives ~2,500–3,000).
    expect(v.size).toBeGreaterThan(2000);
    expect(v.size).toBeLessThan(4000);
    expect(v.words.slice(4, 6)).toEqual(['a', 'in']);
    const counts = countWords(all);
    for (const w of v.words.slice(4)) expect(counts.get(w)!).toBeGreaterThanOrEqual(5);
    let unk = 0,
      total = 0;
    for (const c of all.slice(0, 2000)) {
      const ids = v.encode(c);
      total += ids.length - 2;
      for (const id of ids) if (id === UNK) unk++;
      const text = v.decode(ids);
      if (!text.includes('<unk>')) expect(text).toBe(tokenize(c).join(' '));
    }
    // min-count 5 leaves about 2.5% of running words as <unk> on Flickr8k.
    expect(unk / total).toBeLessThan(0.03);
  });
});

function readdirNoTemps(): boolean {
  return !readdirSync(tmp).some((f) => f.includes('.tmp'));
}
