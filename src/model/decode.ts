/**
 * Turning image features into word sequences with a trained decoder: greedy search, beam
 * search and temperature sampling over any `StepModel` (src/model/types.ts).
 *
 * Common rules for all three:
 *  - The search starts every image from <start> and its own initial state (from its feature, and
 *    for a decoder with concept input, from its concept scores `concepts`, n×K; absent: all 0).
 *  - <pad>, <start> and <unk> are never emitted (their log-probabilities are masked to −∞),
 *    nor any `bannedTokens`; <end> is masked until `minLength` words have been produced;
 *    with `noRepeatNgram` = n, no n-gram occurs twice in a caption, and no word stands on both
 *    sides of "and"/"or" ("a white and white dog").
 *  - A caption stops at <end> (`ended: true`) or after `maxLength` words (`ended: false`).
 *  - `logProb` is the sum of the model's log-probabilities of every emitted token, <end>
 *    included when emitted (the masked distribution is not renormalised: it is the model's).
 *  - `score` is the length-normalised log-probability
 *
 *        score = logProb / len^alpha,    len = words + (ended ? 1 : 0),   alpha default 0.7
 *
 *    (alpha 0 ranks by total log-probability, which favours short captions; alpha 1 by the
 *    mean per token, so exp(score) is the geometric-mean probability per token). Higher is
 *    better.
 *  - All images are decoded together: every step is ONE `model.step()` call over the live
 *    rows of every image (N·k rows for beam search), so the matrix products stay batched.
 *    Images that have finished drop out of the batch.
 *
 * Beam search keeps, per image, the `beamWidth` = k most probable partial captions. At each
 * step it extends every live one by every allowed word and keeps the k − f best extensions
 * overall, where f is the number of captions of that image already finished; an extension
 * that is <end> finishes (and takes its slot for good). So exactly k captions come out per
 * image, and width 1 is exactly greedy search. The k finished captions are returned sorted
 * by `score`.
 */
import { guidanceFromConcepts, type GuidanceSettings } from './concepts/concept-guidance.js';
import { withoutUnfamiliarFeatures } from './unfamiliar.js';
import { Rng } from './rng.js';
import { perVocabulary } from './vocab.js';
import { END, PAD, START, UNK, type RecurrentState, type StepModel } from './types.js';

/** Anything that turns ids into text (the Vocabulary does). */
export interface TokenDecoder {
  decode(ids: ArrayLike<number>): string;
  readonly size: number;
}

export interface DecodeOptions {
  /** Most words in a caption (<end> not counted). Default 20. */
  maxLength?: number;
  /** Fewest words before <end> may be emitted. Default 1 (no empty captions). */
  minLength?: number;
  /** Length-normalisation exponent for `score` (see above). Default 0.7. */
  alpha?: number;
  /** Further token ids never to emit. */
  bannedTokens?: readonly number[];
  /**
   * Block repeats: a word that would make an n-gram of this order appear twice in the caption
   * is not emitted (3 stops "a man in a red shirt and a red shirt"), nor the word just before
   * "and"/"or" right after it (stops "a white and white dog"). Default 0 (off).
   */
  noRepeatNgram?: number;
  /**
   * Concept scores of the n images (n×K, image i is row i) for a decoder that reads K > 0
   * concepts (`StepModel.conceptDim`); absent: no concept detected (all scores 0).
   */
  concepts?: Float32Array;
  /**
   * The n images' spatial grids (n×G×Dg, the encoder's grid output) for a decoder that attends
   * over them (`StepModel.gridDim` Dg > 0); required by such a decoder.
   */
  grid?: Float32Array;
  /**
   * Guided decoding, per image (image i is entry i): `vetoed` token ids this image's captions may
   * not contain, and `required` constraints, each a list of token ids or two-word phrases
   * ([first, second] ids: "stop sign") met by any one of them (at most MAX_CONSTRAINTS). Beam
   * search honours both; greedy search and sampling only the vetoes.
   * `softVetoed` (optional): token ids and a log-weight (<= 0) added to their log-probability at
   * every step, for words the encoders doubt without ruling out; every search honours them, and a
   * beam caption's logProb includes them. src/model/concepts/concept-guidance.ts makes all three
   * from concept scores.
   */
  guidance?: ReadonlyArray<{
    readonly required: ReadonlyArray<ReadonlyArray<number | readonly [first: number, second: number]>>;
    readonly vetoed: readonly number[];
    readonly softVetoed?: ReadonlyArray<readonly [id: number, logWeight: number]>;
  }>;
}

export interface BeamOptions extends DecodeOptions {
  /** Beam width k (>= 1). Default 3. */
  beamWidth?: number;
}

export interface SampleOptions extends DecodeOptions {
  /** Softmax temperature: 1 samples the model's distribution, < 1 sharpens it, 0 is greedy. Default 1. */
  temperature?: number;
  /** Seed of the random generator; the same seed gives the same captions. Default 0. */
  seed?: number;
  /** Captions drawn per image. Default 1. */
  samples?: number;
}

export interface DecodedCaption {
  /** Word ids, without <start> and <end>. */
  tokens: number[];
  text: string;
  /** Sum of the emitted tokens' log-probabilities (<end> included when emitted); in beam search, with their soft vetoes' log-weights. */
  logProb: number;
  /** Length-normalised log-probability, logProb / len^alpha. */
  score: number;
  /** True if the caption ended with <end>, false if cut at maxLength. */
  ended: boolean;
  /** With constraints (guided beam search): how many of the image's constraints the caption meets. */
  met?: number;
}

export const DEFAULT_MAX_LENGTH = 20;
export const DEFAULT_ALPHA = 0.7;
export const DEFAULT_BEAM_WIDTH = 3;
/** Most constraints per image: beam search keeps 2^C groups of beams. */
export const MAX_CONSTRAINTS = 3;

/** An image's constraints when some are met by two-word phrases. */
interface Phrases {
  /** Bit c of entry w: the one word w meets constraint c. */
  named: Uint8Array;
  /** First word -> the constraints a phrase beginning with it meets. */
  opens: Map<number, number>;
  /** First word -> second word -> the constraints that phrase meets. */
  second: Map<number, Map<number, number>>;
}

interface Resolved {
  maxLength: number;
  minLength: number;
  alpha: number;
  /** 1 for every id that may never be emitted. */
  banned: Uint8Array;
  noRepeatNgram: number;
  /** Ids of "and"/"or", whose two sides may not be the same word (with repeat blocking on). */
  conjunctions: ReadonlySet<number>;
  /** Per image, when guided: its vetoed ids (1 = may not be emitted), or null. */
  vetoed: Array<Uint8Array | null>;
  /** Per image, when guided: the log-weight added to each id's log-probability (soft vetoes), or null. */
  logWeight: Array<Float32Array | null>;
  /**
   * Per image, when guided: bit c of entry w is set when token w meets constraint c or begins a
   * two-word phrase meeting it (the group an extension by w enters); null without constraints.
   */
  meets: Array<Uint8Array | null>;
  /** Per image, when some constraint is met by a phrase: how words meet constraints; null without phrases. */
  phrases: Array<Phrases | null>;
  /**
   * Per image with constraints: the ids that can meet, begin or complete a constraint (its one-word
   * names, its phrases' first and second words), ascending. Every other word's extension keeps
   * the constraints its beam has met, less a phrase the beam has begun. Null without constraints.
   */
  constraintWords: Array<Int32Array | null>;
  /** Per image: its number of constraints. */
  constraints: number[];
}

function resolve(model: StepModel, vocab: TokenDecoder, o: DecodeOptions): Resolved {
  const V = model.vocabSize;
  if (vocab.size !== V) throw new RangeError(`decode: the vocabulary has ${vocab.size} words but the model predicts ${V}`);
  const maxLength = o.maxLength ?? DEFAULT_MAX_LENGTH;
  const minLength = o.minLength ?? 1;
  const alpha = o.alpha ?? DEFAULT_ALPHA;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`decode: maxLength must be a positive integer, got ${maxLength}`);
  if (!Number.isInteger(minLength) || minLength < 0 || minLength > maxLength) {
    throw new RangeError(`decode: minLength must be an integer in [0, maxLength], got ${minLength}`);
  }
  if (!(alpha >= 0)) throw new RangeError(`decode: alpha must be >= 0, got ${alpha}`);
  const noRepeatNgram = o.noRepeatNgram ?? 0;
  if (!Number.isInteger(noRepeatNgram) || noRepeatNgram < 0)
    throw new RangeError(`decode: noRepeatNgram must be a non-negative integer, got ${noRepeatNgram}`);
  const banned = new Uint8Array(V);
  for (const id of [PAD, START, UNK, ...(o.bannedTokens ?? [])]) if (id >= 0 && id < V) banned[id] = 1;
  const conjunctions = noRepeatNgram > 0 ? conjunctionIds(vocab) : NO_IDS;
  return { maxLength, minLength, alpha, banned, noRepeatNgram, conjunctions, ...resolveGuidance(o, V) };
}

function resolveGuidance(
  o: DecodeOptions,
  V: number,
): Pick<Resolved, 'vetoed' | 'logWeight' | 'meets' | 'phrases' | 'constraintWords' | 'constraints'> {
  const guidance = o.guidance ?? [];
  const checkId = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new RangeError(`decode: guidance token id ${id} is not in the vocabulary (0..${V - 1})`);
  };
  const vetoed = guidance.map((g) => {
    if (g.vetoed.length === 0) return null;
    const v = new Uint8Array(V);
    for (const id of g.vetoed) {
      checkId(id);
      v[id] = 1;
    }
    return v;
  });
  const logWeight = guidance.map((g) => {
    if (!g.softVetoed || g.softVetoed.length === 0) return null;
    const lw = new Float32Array(V);
    for (const [id, weight] of g.softVetoed) {
      checkId(id);
      if (!(weight <= 0) || !Number.isFinite(weight))
        throw new RangeError(`decode: soft veto of token ${id} has log-weight ${weight}; it must be finite and <= 0`);
      lw[id] = weight;
    }
    return lw;
  });
  const phrases: Resolved['phrases'] = guidance.map(() => null);
  const meets = guidance.map((g, i) => {
    if (g.required.length > MAX_CONSTRAINTS)
      throw new RangeError(`decode: ${g.required.length} constraints for one image; at most ${MAX_CONSTRAINTS}`);
    if (g.required.length === 0) return null;
    const m = new Uint8Array(V);
    const named = new Uint8Array(V);
    const opens = new Map<number, number>();
    const second = new Map<number, Map<number, number>>();
    g.required.forEach((names, c) => {
      if (names.length === 0) throw new RangeError('decode: a constraint lists no token');
      for (const name of names) {
        if (typeof name === 'number') {
          checkId(name);
          named[name] |= 1 << c;
          m[name] |= 1 << c;
          continue;
        }
        if (!Array.isArray(name) || name.length !== 2) throw new RangeError('decode: a constraint phrase must be two token ids');
        const [a, b] = name;
        checkId(a);
        checkId(b);
        if (SPECIAL.has(a) || SPECIAL.has(b))
          throw new RangeError('decode: a constraint phrase must be two words, not <start>, <end>, <pad> or <unk>');
        m[a] |= 1 << c;
        opens.set(a, (opens.get(a) ?? 0) | (1 << c));
        const after = second.get(a) ?? new Map<number, number>();
        after.set(b, (after.get(b) ?? 0) | (1 << c));
        second.set(a, after);
      }
    });
    if (opens.size > 0) phrases[i] = { named, opens, second };
    return m;
  });
  const constraintWords = meets.map((m, i) => {
    if (m === null) return null;
    const ids = new Set<number>();
    for (let w = 0; w < V; w++) if (m[w] !== 0) ids.add(w);
    for (const after of phrases[i]?.second.values() ?? []) for (const w of after.keys()) ids.add(w);
    return Int32Array.from(ids).sort();
  });
  return { vetoed, logWeight, meets, phrases, constraintWords, constraints: guidance.map((g) => g.required.length) };
}
/** Token ids that are no words. */
const SPECIAL: ReadonlySet<number> = new Set([PAD, START, END, UNK]);
const CONJUNCTIONS = new Set(['and', 'or']);
const NO_IDS: ReadonlySet<number> = new Set();
/** The ids of "and"/"or", read once per vocabulary, not per caption: a caption takes ~10 ms and the scan ~0.4. */
const conjunctionIds = perVocabulary((vocab: TokenDecoder): ReadonlySet<number> => {
  const ids = new Set<number>();
  for (let id = 0; id < vocab.size; id++) if (CONJUNCTIONS.has(vocab.decode([id]))) ids.add(id);
  return ids;
});

function normalise(logProb: number, words: number, ended: boolean, alpha: number): number {
  const len = words + (ended ? 1 : 0);
  return len === 0 ? logProb : logProb / Math.pow(len, alpha);
}

function caption(vocab: TokenDecoder, tokens: number[], logProb: number, ended: boolean, alpha: number): DecodedCaption {
  return { tokens, text: vocab.decode(tokens), logProb, score: normalise(logProb, tokens.length, ended, alpha), ended };
}

/** A caption cut short because no word could be emitted: it ranks below every real one. */
function stuck(vocab: TokenDecoder, tokens: number[]): DecodedCaption {
  return { tokens, text: vocab.decode(tokens), logProb: -Infinity, score: -Infinity, ended: false };
}

/** May token w be emitted after `words` words, given the words `blocked` by repeat blocking and the image's `vetoed` ids? */
function allowed(r: Resolved, w: number, words: number, blocked: readonly number[] = NONE, vetoed: Uint8Array | null = null): boolean {
  return (
    r.banned[w] === 0 &&
    (vetoed === null || vetoed[w] === 0) &&
    (w !== END || words >= r.minLength) &&
    (blocked.length === 0 || !blocked.includes(w))
  );
}
const NONE: readonly number[] = [];

/** Words that would complete an n-gram already present in `tokens` (n = r.noRepeatNgram), or echo the word before a trailing "and"/"or". */
function repeatBlocked(r: Resolved, tokens: readonly number[]): readonly number[] {
  const n = r.noRepeatNgram;
  if (n === 0) return NONE;
  const last = tokens.length - 1;
  // "x and x": the word before the conjunction may not follow it.
  const echo = last >= 1 && r.conjunctions.has(tokens[last]) ? [tokens[last - 1]] : NONE;
  if (tokens.length < n - 1) return echo;
  if (n === 1) return tokens;
  const start = tokens.length - (n - 1); // the last n−1 words
  const out: number[] = [];
  for (let i = 0; i + n - 1 < tokens.length; i++) {
    let same = true;
    for (let j = 0; j < n - 1 && same; j++) same = tokens[i + j] === tokens[start + j];
    if (same) out.push(tokens[i + n - 1]);
  }
  return echo.length ? [...out, ...echo] : out;
}

/**
 * The model's initial state, passing concept scores and the grid only when there are some (a
 * StepModel without concept input or attention takes two arguments).
 */
function initialState(model: StepModel, features: Float32Array, n: number, options: DecodeOptions): RecurrentState {
  const { concepts, grid } = options;
  if (concepts) conceptWidth(model, concepts, n);
  if (grid) return model.initState(features, n, concepts, grid);
  if (!concepts) return model.initState(features, n);
  return model.initState(features, n, concepts);
}

/** K, after checking that `concepts` holds n×K scores for the model's K > 0 concept inputs. */
function conceptWidth(model: StepModel, concepts: Float32Array, n: number): number {
  const K = model.conceptDim ?? 0;
  if (K === 0) throw new RangeError('decode: concept scores given, but the decoder has no concept input');
  if (concepts.length !== n * K) throw new RangeError(`decode: ${concepts.length} concept scores for ${n} images × ${K} concepts`);
  return K;
}

function checkFeatures(features: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`decode: n must be a non-negative integer, got ${n}`);
  if (n > 0 && features.length % n !== 0) throw new RangeError(`decode: ${features.length} feature values do not split into ${n} images`);
}

// ---------------------------------------------------------------------------
// Greedy

/** The single most probable next word at every step, for each of the n images (features n×D). */
export function greedyDecode(
  model: StepModel,
  vocab: TokenDecoder,
  features: Float32Array,
  n: number,
  options: DecodeOptions = {},
): DecodedCaption[] {
  checkFeatures(features, n);
  const r = resolve(model, vocab, options);
  const V = model.vocabSize;
  if (n === 0) return new Array<DecodedCaption>(0);
  return decodeRows(model, vocab, r, initialState(model, features, n, options), n, (logp, off, t, blocked, vetoed) =>
    argmaxAllowed(logp, off, V, r, t, blocked, vetoed),
  );
}

/** Picks row `off / V`'s next word from its log-probabilities at step t, or −1 when none may be emitted. */
type ChooseWord = (logp: Float32Array, off: number, t: number, blocked: readonly number[], vetoed: Uint8Array | null) => number;

/**
 * One word per row and step, chosen by `choose`, for `total` rows starting from `state`;
 * a row ends at <end>, at maxLength, or when no word may be emitted. Row j captions image
 * `imageOf(j)` (whose vetoes apply). Returns each row's caption.
 */
function decodeRows(
  model: StepModel,
  vocab: TokenDecoder,
  r: Resolved,
  state: RecurrentState,
  total: number,
  choose: ChooseWord,
  imageOf: (row: number) => number = (j) => j,
): DecodedCaption[] {
  const V = model.vocabSize;
  const done: DecodedCaption[] = new Array(total);
  const weighted = new Float32Array(V);
  const words: number[][] = Array.from({ length: total }, () => []);
  const logProbs = new Float64Array(total);
  let rows = Array.from({ length: total }, (_, j) => j); // the caption each live row writes
  let input = new Int32Array(total).fill(START);
  for (let t = 0; rows.length > 0; t++) {
    if (t === r.maxLength) {
      for (const j of rows) done[j] = caption(vocab, words[j], logProbs[j], false, r.alpha);
      break;
    }
    const logp = model.step(state, input);
    const keep: number[] = [];
    const next: number[] = [];
    rows.forEach((j, row) => {
      const off = row * V;
      const image = imageOf(j);
      const lw = r.logWeight[image] ?? null;
      // Soft vetoes change the choice, not the caption's log-probability.
      const w = lw
        ? choose(weightedRow(logp, off, lw, weighted), 0, t, repeatBlocked(r, words[j]), r.vetoed[image] ?? null)
        : choose(logp, off, t, repeatBlocked(r, words[j]), r.vetoed[image] ?? null);
      if (w < 0) {
        // Nothing may be emitted (non-finite log-probabilities, or everything masked).
        done[j] = stuck(vocab, words[j]);
        return;
      }
      logProbs[j] += logp[off + w];
      if (w === END) {
        done[j] = caption(vocab, words[j], logProbs[j], true, r.alpha);
      } else {
        words[j].push(w);
        keep.push(row);
        next.push(w);
      }
    });
    if (keep.length < rows.length) {
      if (keep.length === 0) break;
      state = model.selectRows(state, Int32Array.from(keep));
      rows = keep.map((row) => rows[row]);
    }
    input = Int32Array.from(next);
  }
  return done;
}

// ---------------------------------------------------------------------------
// Beam search

interface Beam {
  tokens: number[];
  logProb: number;
  /** Row of this beam's state in the current batch. */
  row: number;
  /**
   * Bit c set: the caption meets constraint c (always 0 without constraints), or has just begun
   * a phrase meeting it (then bit c of `pending` is set too).
   */
  met: number;
  /** The constraints whose phrase the last word began: met only if the next word completes it. */
  pending: number;
}

/**
 * The constraints a beam's extension by word w meets: the beam's own, less a begun phrase w does
 * not complete, and w's one-word names. A phrase w only begins is not met (begunBy).
 */
function metAfter(beam: Beam, w: number, meets: Uint8Array, phrases: Phrases | null): number {
  if (phrases === null) return beam.met | meets[w]!;
  let met = (beam.met & ~beam.pending) | phrases.named[w]!;
  if (beam.pending !== 0) met |= (phrases.second.get(beam.tokens[beam.tokens.length - 1]!)?.get(w) ?? 0) & beam.pending;
  return met;
}

/** The constraints not in `met` whose phrase word w begins. */
function begunBy(w: number, met: number, phrases: Phrases | null): number {
  return phrases === null ? 0 : (phrases.opens.get(w) ?? 0) & ~met;
}

/** Number of bits set (constraints met). */
function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

/**
 * The top-`slots` candidate extensions of one image per group of beams (group = set of
 * constraints met), sorted by logProb, best first. Scratch reused across images and steps.
 */
class Candidates {
  lp: Float64Array;
  beam: Int32Array;
  word: Int32Array;
  count: Int32Array;
  constructor(
    readonly groups: number,
    readonly k: number,
  ) {
    this.lp = new Float64Array(groups * k);
    this.beam = new Int32Array(groups * k);
    this.word = new Int32Array(groups * k);
    this.count = new Int32Array(groups);
  }

  /**
   * The log-probability an extension must exceed to enter group g holding `slots` (> 0) at most:
   * -Infinity while the group has room (so -Infinity and NaN never enter), else its last entry's.
   */
  entry(g: number, slots: number): number {
    const m = this.count[g];
    return m < slots ? -Infinity : this.lp[g * this.k + m - 1];
  }

  /** Whether an extension with log-probability lp could enter group g holding `slots` at most. */
  wants(g: number, slots: number, lp: number): boolean {
    return slots > 0 && lp > this.entry(g, slots);
  }

  /** Insert keeping the group sorted (ties keep the earlier beam and word first). */
  insert(g: number, slots: number, lp: number, b: number, w: number): void {
    const base = g * this.k;
    const m = this.count[g];
    let j = m < slots ? (this.count[g] = m + 1) - 1 : m - 1;
    while (j > 0 && this.lp[base + j - 1] < lp) {
      this.lp[base + j] = this.lp[base + j - 1];
      this.beam[base + j] = this.beam[base + j - 1];
      this.word[base + j] = this.word[base + j - 1];
      j--;
    }
    this.lp[base + j] = lp;
    this.beam[base + j] = b;
    this.word[base + j] = w;
  }
}

/** Row `off / V` of logp with the log-weights lw added, written into (and returning) out. */
function weightedRow(logp: Float32Array, off: number, lw: Float32Array, out: Float32Array): Float32Array {
  for (let w = 0; w < lw.length; w++) out[w] = logp[off + w] + lw[w];
  return out;
}

/**
 * The beamWidth best captions of each of the n images (features n×D), best first.
 * Returns n arrays of exactly beamWidth captions (fewer only if fewer words may be emitted).
 *
 * With constraints (options.guidance, C per image), this is constrained beam search (Anderson
 * et al. 2017): an image's beams are kept in 2^C groups, one per set of constraints met, each
 * group its own beam of width k (an extension goes to the group of the constraints it meets
 * then; a phrase's first word enters the group of its constraint, which the beam leaves again
 * unless the next word completes the phrase). The captions of the group meeting the most
 * constraints come first (then the next groups as alternatives, as many as had finished when k
 * captions met every constraint: the image stops there), each group by `score`. Without
 * constraints there is one group, and this is plain beam search.
 */
export function beamSearch(
  model: StepModel,
  vocab: TokenDecoder,
  features: Float32Array,
  n: number,
  options: BeamOptions = {},
): DecodedCaption[][] {
  checkFeatures(features, n);
  const r = resolve(model, vocab, options);
  const k = options.beamWidth ?? DEFAULT_BEAM_WIDTH;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`beamSearch: beamWidth must be a positive integer, got ${k}`);
  const V = model.vocabSize;
  const finished: DecodedCaption[][] = Array.from({ length: n }, () => []);
  if (n === 0) return finished;
  // Finished captions per image and group (they take their group's slots for good).
  const finishedIn: Int32Array[] = Array.from({ length: n }, (_, i) => new Int32Array(1 << (r.constraints[i] ?? 0)));
  const scratch = new Map<number, Candidates>();

  // Live beams per image; images with none left are done. The first step has one beam each.
  let live: Beam[][] = Array.from({ length: n }, (_, i) => [{ tokens: [], logProb: 0, row: i, met: 0, pending: 0 }]);
  let state = initialState(model, features, n, options);
  let input = new Int32Array(n).fill(START);

  for (let t = 0; ; t++) {
    const logp = model.step(state, input);
    const nextLive: Beam[][] = [];
    const rows: number[] = [];
    const words: number[] = [];
    for (let i = 0; i < n; i++) {
      const beams = live[i];
      const groups = finishedIn[i].length;
      // Once k captions meet every constraint, the image's best k are known: they rank above any
      // caption the other groups could still finish.
      if (beams.length === 0 || finishedIn[i][groups - 1] >= k) {
        nextLive.push([]);
        continue;
      }
      let cand = scratch.get(groups);
      if (!cand) scratch.set(groups, (cand = new Candidates(groups, k)));
      cand.count.fill(0);
      const slots = Array.from(finishedIn[i], (f) => k - f);
      const meets = r.meets[i] ?? null;
      const phrases = r.phrases[i] ?? null;
      const vetoed = r.vetoed[i] ?? null;
      collectCandidates(cand, beams, logp, V, r, t, slots, vetoed, r.logWeight[i] ?? null, meets, phrases, r.constraintWords[i] ?? null);
      const kept: Beam[] = [];
      let any = false;
      for (let g = 0; g < groups; g++) {
        for (let j = 0; j < cand.count[g]; j++) {
          any = true;
          const parent = beams[cand.beam[g * k + j]];
          const w = cand.word[g * k + j];
          const lp = cand.lp[g * k + j];
          const met = meets === null ? 0 : metAfter(parent, w, meets, phrases);
          if (w === END || t + 1 === r.maxLength) {
            const c = caption(vocab, w === END ? parent.tokens : [...parent.tokens, w], lp, w === END, r.alpha);
            if (meets !== null) c.met = popcount(met);
            finished[i].push(c);
            finishedIn[i][g]++;
          } else {
            const pending = begunBy(w, met, phrases);
            kept.push({ tokens: [...parent.tokens, w], logProb: lp, row: rows.length, met: met | pending, pending });
            rows.push(parent.row);
            words.push(w);
          }
        }
      }
      // Nothing may be emitted (non-finite log-probabilities, or everything masked): the beams are
      // stuck. A beam that has left a phrase unfinished may also find the groups below full; it ends.
      // (Soft vetoes are finite: they change which word is best, not whether one may be emitted.)
      if (!any && beams.every((beam) => argmaxAllowed(logp, beam.row * V, V, r, t, repeatBlocked(r, beam.tokens), vetoed) < 0))
        for (const beam of beams) finished[i].push(stuck(vocab, beam.tokens));
      nextLive.push(kept);
    }
    live = nextLive;
    if (rows.length === 0) break;
    state = model.selectRows(state, Int32Array.from(rows));
    input = Int32Array.from(words);
  }
  for (const list of finished) list.sort(byConstraintsThenScore);
  return finished;
}

/**
 * Every allowed extension of an image's beams at step t into `cand`, each in the group of the
 * constraints it then meets. Every word but `constraintWords` keeps what its beam has met, less a
 * phrase the beam has begun, so those words all enter one group: they are scanned against its entry
 * threshold alone, which is where the time goes (a vocabulary of thousands per beam and step).
 * Words are visited in id order, so ties resolve as one scan would.
 */
function collectCandidates(
  cand: Candidates,
  beams: readonly Beam[],
  logp: Float32Array,
  V: number,
  r: Resolved,
  t: number,
  slots: readonly number[],
  vetoed: Uint8Array | null,
  logWeight: Float32Array | null,
  meets: Uint8Array | null,
  phrases: Phrases | null,
  constraintWords: Int32Array | null,
): void {
  const last = t + 1 === r.maxLength;
  const lw = logWeight ?? zeros(V);
  for (let b = 0; b < beams.length; b++) {
    const beam = beams[b];
    const off = beam.row * V;
    const blocked = repeatBlocked(r, beam.tokens);
    // Words that meet nothing, begin nothing and complete nothing: the beam keeps what it has met,
    // less a begun phrase they leave unfinished.
    const kept = beam.met & ~beam.pending;
    const scan = { cand, g: kept, slots: slots[kept], base: beam.logProb, logp, off, lw, r, t, blocked, vetoed, beam: b };
    if (constraintWords === null || meets === null) {
      scanWords(scan, 0, V);
      continue;
    }
    // A constraint word's group: the constraints it meets and those whose phrase it begins, except
    // at the last step, where a begun phrase can no longer be completed. Without a phrase pending
    // and before the last step, that is beam.met | meets[w] (metAfter | begunBy).
    const simple = beam.pending === 0 && (phrases === null || !last);
    let from = 0;
    for (const w of constraintWords) {
      scanWords(scan, from, w);
      from = w + 1;
      let g = beam.met | meets[w];
      if (!simple) {
        g = metAfter(beam, w, meets, phrases);
        if (!last) g |= begunBy(w, g, phrases);
      }
      const lp = beam.logProb + logp[off + w] + lw[w];
      if (cand.wants(g, slots[g], lp) && allowed(r, w, t, blocked, vetoed)) cand.insert(g, slots[g], lp, b, w);
    }
    scanWords(scan, from, V);
  }
}

/** What scanWords needs of one beam: its extensions all enter group g, which holds `slots` at most. */
interface Scan {
  cand: Candidates;
  g: number;
  slots: number;
  /** The beam's log-probability. */
  base: number;
  logp: Float32Array;
  /** The beam's row's offset in logp. */
  off: number;
  lw: Float32Array;
  r: Resolved;
  t: number;
  blocked: readonly number[];
  vetoed: Uint8Array | null;
  beam: number;
}

/** The allowed extensions of one beam by words from..to-1 into its group: the hot loop of beam search. */
function scanWords(s: Scan, from: number, to: number): void {
  const { cand, g, slots, base, logp, off, lw } = s;
  if (slots <= 0) return;
  let entry = cand.entry(g, slots);
  for (let w = from; w < to; w++) {
    const lp = base + logp[off + w] + lw[w];
    if (!(lp > entry) || !allowed(s.r, w, s.t, s.blocked, s.vetoed)) continue; // also drops -Infinity and NaN
    cand.insert(g, slots, lp, s.beam, w);
    entry = cand.entry(g, slots);
  }
}

/** A zero log-weight per id (no soft vetoes), shared per vocabulary size. */
const zeros = (() => {
  const bySize = new Map<number, Float32Array>();
  return (V: number): Float32Array => {
    let z = bySize.get(V);
    if (!z) bySize.set(V, (z = new Float32Array(V)));
    return z;
  };
})();

/** Captions meeting more constraints first, then higher score. */
function byConstraintsThenScore(a: DecodedCaption, b: DecodedCaption): number {
  return (b.met ?? 0) - (a.met ?? 0) || b.score - a.score;
}

// ---------------------------------------------------------------------------
// Sampling

/**
 * Random captions: each word is drawn from the allowed words with probability proportional
 * to p^(1/temperature). Returns n arrays of `samples` captions (in the order drawn).
 */
export function sampleCaptions(
  model: StepModel,
  vocab: TokenDecoder,
  features: Float32Array,
  n: number,
  options: SampleOptions = {},
): DecodedCaption[][] {
  checkFeatures(features, n);
  const r = resolve(model, vocab, options);
  const temperature = options.temperature ?? 1;
  const samples = options.samples ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new RangeError(`sampleCaptions: temperature must be >= 0, got ${temperature}`);
  if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`sampleCaptions: samples must be a positive integer, got ${samples}`);
  const V = model.vocabSize;
  const out: DecodedCaption[][] = Array.from({ length: n }, () => []);
  if (n === 0) return out;
  const rng = new Rng(options.seed ?? 0);

  // Row j draws sample (j mod samples) of image floor(j / samples).
  const total = n * samples;
  let state = initialState(model, features, n, options);
  if (samples > 1)
    state = model.selectRows(
      state,
      Int32Array.from({ length: total }, (_, j) => Math.floor(j / samples)),
    );
  const weights = new Float64Array(V);
  const done = decodeRows(
    model,
    vocab,
    r,
    state,
    total,
    (logp, off, t, blocked, vetoed) =>
      temperature === 0
        ? argmaxAllowed(logp, off, V, r, t, blocked, vetoed)
        : drawAllowed(logp, off, V, r, t, blocked, vetoed, temperature, rng, weights),
    (j) => Math.floor(j / samples),
  );
  for (let j = 0; j < total; j++) out[Math.floor(j / samples)].push(done[j]);
  return out;
}

function argmaxAllowed(
  logp: Float32Array,
  off: number,
  V: number,
  r: Resolved,
  t: number,
  blocked: readonly number[],
  vetoed: Uint8Array | null,
): number {
  let best = -1;
  let bestLp = -Infinity;
  for (let w = 0; w < V; w++) {
    const lp = logp[off + w];
    if (lp > bestLp && allowed(r, w, t, blocked, vetoed)) {
      best = w;
      bestLp = lp;
    }
  }
  return best;
}

function drawAllowed(
  logp: Float32Array,
  off: number,
  V: number,
  r: Resolved,
  t: number,
  blocked: readonly number[],
  vetoed: Uint8Array | null,
  temperature: number,
  rng: Rng,
  weights: Float64Array,
): number {
  let max = -Infinity;
  for (let w = 0; w < V; w++) {
    const lp = logp[off + w];
    if (lp > max && allowed(r, w, t, blocked, vetoed)) max = lp;
  }
  if (max === -Infinity) return -1;
  let sum = 0;
  for (let w = 0; w < V; w++) {
    const lp = logp[off + w];
    const x = allowed(r, w, t, blocked, vetoed) && lp > -Infinity ? Math.exp((lp - max) / temperature) : 0;
    weights[w] = x;
    sum += x;
  }
  let u = rng.uniform() * sum;
  let last = -1;
  for (let w = 0; w < V; w++) {
    if (weights[w] === 0) continue;
    last = w;
    u -= weights[w];
    if (u < 0) return w;
  }
  return last; // rounding left u >= 0: the last allowed word
}

// ---------------------------------------------------------------------------
// What the library and the app call

export interface CaptionOptions extends DecodeOptions {
  /** Default 'beam'. */
  method?: 'beam' | 'greedy' | 'sample';
  /**
   * Guided decoding from the concept scores (`concepts`, required with it): the objects the
   * encoders are confident of must be named, the ones they are confident are absent may not be
   * (concept-guidance.ts), and with `unfamiliarAbove` a photo unlike the training photos is
   * described from its concept scores alone (unfamiliar.ts). Replaces `guidance`.
   */
  guideBy?: GuidanceSettings;
  /** Beam width (beam), or captions drawn per image (sample). Default 3. */
  beamWidth?: number;
  /** Sampling only. Default 1. */
  temperature?: number;
  /** Sampling only. Default 0. */
  seed?: number;
}

/** One of an image's distinct candidate captions (what the caption pipeline hands the library). */
export interface CaptionAlternative {
  text: string;
  /** Length-normalised log-probability from the search (higher is better). */
  score: number;
}

export interface CaptionResult {
  /** The best caption. */
  text: string;
  /** As DecodedCaption's: from beam search with soft vetoes' log-weights, from greedy search and sampling without. */
  score: number;
  logProb: number;
  tokens: number[];
  /** Every distinct candidate, best first; the first is the caption itself. */
  alternatives: CaptionAlternative[];
  /** Set when this image could not be captioned (text is then empty, score −∞). */
  error?: string;
  /** True when guidance found the photo unfamiliar and it was described from its concept scores alone (unfamiliar.ts). */
  fromConcepts?: boolean;
}

/**
 * Captions for n images (features n×D, the decoder's feature): beam search (width 3) by
 * default, greedy or sampling on request. One result per image, in order. An image whose
 * feature is not finite gets `error` (and no caption); the rest of the batch is unaffected.
 * Throws if the features' width is not the decoder's featureDim.
 */
export function captionFeatures(
  model: StepModel,
  vocab: TokenDecoder,
  features: Float32Array,
  n: number,
  options: CaptionOptions = {},
): CaptionResult[] {
  checkFeatures(features, n);
  if (n === 0) return [];
  const D = features.length / n;
  const expected = (model as { config?: { featureDim?: number } }).config?.featureDim;
  if (expected !== undefined && expected !== D) {
    throw new RangeError(
      `captionFeatures: features have ${D} values per image but the decoder reads ${expected} (features from a different encoder?)`,
    );
  }
  const concepts = options.concepts;
  const K = concepts ? conceptWidth(model, concepts, n) : 0;
  const gridWidth = options.grid ? options.grid.length / n : 0;
  // An image whose feature (or concept scores, or grid) holds NaN/Infinity gets its own error; the others are captioned.
  const errors: Array<string | undefined> = Array.from({ length: n }, (_, i) =>
    !finiteRow(features, i, D)
      ? 'the image feature contains NaN or Infinity'
      : concepts && !finiteRow(concepts, i, K)
        ? 'the concept scores contain NaN or Infinity'
        : options.grid && !finiteRow(options.grid, i, gridWidth)
          ? 'the spatial grid contains NaN or Infinity'
          : undefined,
  );
  const good: number[] = [];
  for (let i = 0; i < n; i++) if (errors[i] === undefined) good.push(i);
  const batch = good.length === n ? features : pickRows(features, good, D);
  const batchConcepts = !concepts || good.length === n ? concepts : pickRows(concepts, good, K);
  const grid = options.grid;
  const batchGrid = !grid || good.length === n ? grid : pickRows(grid, good, gridWidth);
  if (options.guideBy && !concepts) throw new RangeError('captionFeatures: guided decoding (guideBy) needs the concept scores');
  const guidance =
    options.guideBy && batchConcepts ? guidanceFromConcepts(vocab, batchConcepts, good.length, options.guideBy) : options.guidance;
  const unfamiliarAbove = options.guideBy?.unfamiliarAbove;
  if (unfamiliarAbove !== undefined && !model.featureStats)
    throw new RangeError('captionFeatures: guidance with unfamiliarAbove needs a decoder with feature statistics');
  // A text-only caption trained no attention: an attending decoder has no concepts-alone path.
  if (unfamiliarAbove !== undefined && (grid || (model.gridDim ?? 0) > 0))
    throw new RangeError('captionFeatures: guidance with unfamiliarAbove is not for an attending decoder');
  const familiar =
    unfamiliarAbove !== undefined ? withoutUnfamiliarFeatures(batch, good.length, model.featureStats!, unfamiliarAbove) : undefined;
  const decoded = decodeLists(model, vocab, familiar?.features ?? batch, good.length, {
    ...options,
    concepts: batchConcepts,
    grid: batchGrid,
    guidance,
  });
  if (familiar) decoded.forEach((d, row) => (d.fromConcepts = familiar.unfamiliar[row]));
  const results: CaptionResult[] = errors.map((error) => ({
    text: '',
    score: -Infinity,
    logProb: -Infinity,
    tokens: [],
    alternatives: [],
    error,
  }));
  good.forEach((i, row) => (results[i] = decoded[row]));
  return results;
}

function finiteRow(x: Float32Array, i: number, width: number): boolean {
  for (let j = i * width; j < (i + 1) * width; j++) if (!Number.isFinite(x[j])) return false;
  return true;
}

function pickRows(x: Float32Array, rows: number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((i, row) => out.set(x.subarray(i * width, (i + 1) * width), row * width));
  return out;
}

function decodeLists(model: StepModel, vocab: TokenDecoder, features: Float32Array, n: number, options: CaptionOptions): CaptionResult[] {
  const method = options.method ?? 'beam';
  let lists: DecodedCaption[][];
  if (method === 'beam') {
    lists = beamSearch(model, vocab, features, n, options);
  } else if (method === 'greedy') {
    lists = greedyDecode(model, vocab, features, n, options).map((c) => [c]);
  } else if (method === 'sample') {
    lists = sampleCaptions(model, vocab, features, n, { ...options, samples: options.beamWidth ?? DEFAULT_BEAM_WIDTH });
  } else {
    throw new RangeError(`captionFeatures: unknown method ${JSON.stringify(method)}`);
  }
  return lists.map((list) => {
    const sorted = [...list].sort(byConstraintsThenScore);
    const seen = new Set<string>();
    const alternatives: CaptionAlternative[] = [];
    for (const c of sorted) {
      if (seen.has(c.text) || c.score === -Infinity) continue;
      seen.add(c.text);
      alternatives.push({ text: c.text, score: c.score });
    }
    const best = sorted[0];
    if (!best || best.score === -Infinity) {
      return {
        text: '',
        score: -Infinity,
        logProb: -Infinity,
        tokens: [],
        alternatives,
        error: 'the decoder produced no word (non-finite output)',
      };
    }
    return { text: best.text, score: best.score, logProb: best.logProb, tokens: best.tokens, alternatives };
  });
}
