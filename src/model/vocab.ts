/**
 * The decoder's vocabulary: how caption text becomes word ids and back.
 *
 * Tokenising: text is Unicode-normalised (NFKC) and lowercased; a word is a run of letters
 * and digits, which may contain single apostrophes or hyphens between such runs ("dog's",
 * "don't", "t-shirt", "3-year-old"). Everything else — punctuation, apostrophes or hyphens
 * at a word's edge, symbols — only separates words. Curly apostrophes count as "'".
 *
 * Ids: the special tokens have the fixed ids of types.ts (<pad> 0, <start> 1, <end> 2,
 * <unk> 3); words follow. Ids never change once given: `addWords` only appends, so a
 * decoder fine-tuned on a grown vocabulary keeps every row it learned.
 */
import { readFileSync } from 'node:fs';
import { END, PAD, SPECIAL_TOKENS, START, UNK } from './types.js';

/** Version of the vocab.json layout this code writes; newer files are refused. */
export const VOCAB_FORMAT_VERSION = 1;
const VOCAB_FORMAT = 'lenscribe-vocab';

const WORD = /[\p{L}\p{M}\p{N}]+(?:['-][\p{L}\p{M}\p{N}]+)*/gu;

/**
 * `build(vocab)`, computed once per vocabulary object and again only when it has grown (ids
 * never change, so a vocabulary of the same size has the same words).
 */
export function perVocabulary<V extends { readonly size: number }, T>(build: (vocab: V) => T): (vocab: V) => T {
  const cache = new WeakMap<V, { size: number; value: T }>();
  return (vocab) => {
    const cached = cache.get(vocab);
    if (cached && cached.size === vocab.size) return cached.value;
    const value = build(vocab);
    cache.set(vocab, { size: vocab.size, value });
    return value;
  };
}

/** Caption text -> lowercase word tokens (punctuation dropped). */
export function tokenize(text: string): string[] {
  const normalised = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'");
  return normalised.match(WORD) ?? [];
}

/** How often each token occurs in the captions. */
export function countWords(captions: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const caption of captions) {
    for (const w of tokenize(caption)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

export interface BuildOptions {
  /** Words seen fewer times than this become <unk>. Default 5. */
  minCount?: number;
  /** Keep at most this many words (most frequent first), special tokens not counted. */
  maxWords?: number;
}

export interface EncodeOptions {
  /**
   * Longest sequence returned, <start> and <end> included (so at most maxLength − 2 words).
   * Longer captions are cut and still end with <end>. Default: no limit.
   */
  maxLength?: number;
}

/** The JSON layout of vocab.json. */
export interface VocabJson {
  format: typeof VOCAB_FORMAT;
  version: number;
  /** Word of each id, special tokens first. */
  words: string[];
  /** The min-count the vocabulary was built with (informational). */
  minCount?: number;
}

export class Vocabulary {
  private readonly idToWord: string[];
  private readonly wordToId = new Map<string, number>();

  private constructor(
    words: readonly string[],
    /** The min-count threshold used to build it, if known. */
    readonly minCount?: number,
  ) {
    this.idToWord = [];
    for (const w of words) this.append(w);
  }

  /**
   * A vocabulary of every word occurring at least `minCount` times in the captions,
   * most frequent first (ties alphabetical, so the result is deterministic).
   */
  static build(captions: Iterable<string>, { minCount = 5, maxWords }: BuildOptions = {}): Vocabulary {
    if (!Number.isInteger(minCount) || minCount < 1) throw new RangeError(`minCount must be a positive integer, got ${minCount}`);
    const counts = countWords(captions);
    let kept = [...counts].filter(([, c]) => c >= minCount);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (maxWords !== undefined) kept = kept.slice(0, maxWords);
    return new Vocabulary([...SPECIAL_TOKENS, ...kept.map(([w]) => w)], minCount);
  }

  /** A vocabulary from an explicit word list (special tokens are prepended). */
  static fromWords(words: Iterable<string>): Vocabulary {
    const v = new Vocabulary(SPECIAL_TOKENS);
    v.addWords(words);
    return v;
  }

  /** Number of ids, special tokens included (the decoder's V). */
  get size(): number {
    return this.idToWord.length;
  }

  /** Every word by id (a copy). */
  get words(): string[] {
    return this.idToWord.slice();
  }

  has(word: string): boolean {
    return this.wordToId.has(word);
  }

  /** The id of a word, or <unk>'s id if it is not in the vocabulary. */
  id(word: string): number {
    return this.wordToId.get(word) ?? UNK;
  }

  /** The word of an id; throws for ids outside the vocabulary. */
  word(id: number): string {
    const w = this.idToWord[id];
    if (w === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.size})`);
    return w;
  }

  /** Caption text -> [<start>, word ids…, <end>], unknown words as <unk>. */
  encode(caption: string, { maxLength }: EncodeOptions = {}): Int32Array {
    const tokens = tokenize(caption);
    let n = tokens.length;
    if (maxLength !== undefined) {
      if (!Number.isInteger(maxLength) || maxLength < 2) throw new RangeError(`maxLength must be an integer >= 2, got ${maxLength}`);
      n = Math.min(n, maxLength - 2);
    }
    const ids = new Int32Array(n + 2);
    ids[0] = START;
    for (let i = 0; i < n; i++) ids[i + 1] = this.id(tokens[i]);
    ids[n + 1] = END;
    return ids;
  }

  /**
   * Ids -> text: words joined by single spaces. <start> and <pad> are skipped, decoding
   * stops at the first <end>, and <unk> shows as "<unk>".
   */
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === END) break;
      if (id === START || id === PAD) continue;
      out.push(this.word(id));
    }
    return out.join(' ');
  }

  /**
   * Grows the vocabulary: every word not already present is appended with the next id.
   * Words are tokenised first, so "Border-Collie!" adds "border-collie"; text holding
   * several words adds each. Returns the ids of the words added, in order (empty if none).
   */
  addWords(words: Iterable<string>): number[] {
    const added: number[] = [];
    for (const text of words) {
      for (const w of tokenize(text)) {
        if (!this.wordToId.has(w)) added.push(this.append(w));
      }
    }
    return added;
  }

  toJSON(): VocabJson {
    const json: VocabJson = { format: VOCAB_FORMAT, version: VOCAB_FORMAT_VERSION, words: this.words };
    if (this.minCount !== undefined) json.minCount = this.minCount;
    return json;
  }

  /** Serialised vocab.json text; model-io's `saveVocabulary(path, vocab)` writes it atomically. */
  serialize(): string {
    return JSON.stringify(this.toJSON(), null, 1) + '\n';
  }

  /** Validates and rebuilds a vocabulary; `source` names the file in error messages. */
  static fromJSON(json: unknown, source = 'vocabulary'): Vocabulary {
    const fail = (problem: string): never => {
      throw new Error(`${source}: ${problem}`);
    };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object');
    const o = json as Record<string, unknown>;
    if (o.format !== VOCAB_FORMAT) fail(`not a Lenscribe vocabulary (format is ${JSON.stringify(o.format)}, expected "${VOCAB_FORMAT}")`);
    if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1)
      fail(`invalid version ${JSON.stringify(o.version)}`);
    if ((o.version as number) > VOCAB_FORMAT_VERSION) {
      fail(`vocabulary format version ${o.version} is newer than this Lenscribe supports (${VOCAB_FORMAT_VERSION}); update Lenscribe`);
    }
    if (!Array.isArray(o.words)) fail('"words" is missing or not an array');
    const words = o.words as unknown[];
    SPECIAL_TOKENS.forEach((tok, i) => {
      if (words[i] !== tok) fail(`id ${i} must be ${tok}, found ${JSON.stringify(words[i])}`);
    });
    const seen = new Set<string>();
    words.forEach((w, i) => {
      if (typeof w !== 'string') fail(`word at id ${i} is not a string`);
      if (seen.has(w as string)) fail(`word ${JSON.stringify(w)} appears twice (second at id ${i})`);
      seen.add(w as string);
      if (i >= SPECIAL_TOKENS.length) {
        const t = tokenize(w as string);
        if (t.length !== 1 || t[0] !== w) fail(`word at id ${i} (${JSON.stringify(w)}) is not a single normalised token`);
      }
    });
    const minCount = typeof o.minCount === 'number' ? o.minCount : undefined;
    return new Vocabulary(words as string[], minCount);
  }

  /** Reads and validates a vocab.json file. */
  static load(path: string): Vocabulary {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${path}: cannot read vocabulary (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${path}: vocabulary is not valid JSON (${(e as Error).message})`);
    }
    return Vocabulary.fromJSON(json, path);
  }

  private append(word: string): number {
    const id = this.idToWord.length;
    this.idToWord.push(word);
    this.wordToId.set(word, id);
    return id;
  }
}
