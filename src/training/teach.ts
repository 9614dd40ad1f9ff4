/**
 * Teach Lenscribe: fine-tune a trained caption decoder on the user's own captioned photos.
 *
 *   labeled photos (feature + the user's caption)
 *     -> labels that cannot teach anything end the run here (too few, nearly one sentence, nearly
 *        what the base model already says of those photos: teach-labels.ts)
 *     -> deterministic split: validation = the photos whose path hashes lowest (at least 3)
 *     -> vocabulary growth: words the model lacks get new ids (old ids never change), function
 *        words never (function-words.ts: "our" is not a name, and would be learned as a noun). Each new
 *        word starts as the words the base model expects where the user wrote it: the base
 *        model's next-word distribution at every occurrence (function words left out) gives
 *        anchor words; the new embedding row and output column are their weighted mean, the
 *        output bias theirs minus NEW_WORD_BIAS_OFFSET (so a new word starts ~e^-2 as likely as
 *        its anchors: neither absurdly likely nor impossible). No anchors: mean embedding,
 *        zero column, the lowest bias. A rename (see renamedWords) starts as an exact copy of the
 *        word it replaces.
 *     -> training set per epoch: the user's train captions repeated (oversampled) plus replayed
 *        base-training captions (the model's replay set, replay.safetensors), minus replayed
 *        captions that use a word the user renamed (a strong anchor: "dog" when the user
 *        writes "rexo" where the model says "dog", in at least MIN_RENAME_PHOTOS photos) — replaying
 *        those would teach the old name back
 *     -> the project's trainer from the base weights: small learning rate, early stopping on
 *        the CIDEr-D of the user's validation photos, the whole training state saved atomically
 *        after every epoch (weights, best epoch and its weights, early-stopping count, Adam's
 *        moments, random streams, the curve), so a run resumed after a kill continues as if never
 *        stopped: the new version keeps the best epoch's weights, not the last's, also when the
 *        best came before an interruption
 *     -> metrics before/after: user-validation loss, BLEU-4, CIDEr-D; base-validation CIDEr-D
 *        (forgetting) from the replay set's validation photos; the verdict from them (teach-verdict.ts)
 *     -> a new model directory, written as `<out>.partial` and renamed into place complete.
 *        Nothing of the base model is ever written; a NaN, a crash or a cancel leaves no model.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OnnxStepModel } from '../model/onnx-step-model.js';
import { splitHash } from './datasets.js';
import { loadTrainingState, readTrainingStateSummary, writeFileAtomic, type TrainingState } from './checkpoint.js';
import { decoderCaptioner } from './metrics/evaluate.js';
import { ciderD, scoreCaptions } from './metrics/index.js';
import { captionFeatures } from '../model/decode.js';
import { withoutUnfamiliarFeatures } from '../model/unfamiliar.js';
import { cloneParams, conceptDimOf, configFromParams, DecoderStepModel } from '../model/decoder.js';
import {
  MANIFEST_FILE,
  encoderFileRef,
  loadModel,
  loadModelDir,
  resolveEncoderPath,
  storedRowInputs,
  writeModelDir,
  type ManifestInput,
  type ModelManifest,
  type StoredInputs,
} from '../model/model-dir.js';
import { CONFIG_FILE, saveDecoder } from '../model/decoder-io.js';
import { Rng } from '../model/rng.js';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors.js';
import {
  meanLoss,
  train,
  type TokenCaption,
  type CaptionData,
  type TrainProgress,
  type TrainResult,
  type ValidationScorer,
} from './trainer.js';
import { END, UNK, type Params } from '../model/types.js';
import { tokenize, Vocabulary } from '../model/vocab.js';
import type { EpochPoint, LearnedWord, TeachMetrics, TeachProgress, TeachScores, TeachVerdict } from './teach-types.js';
import { isFunctionWord } from './function-words.js';
import { nothingNewProblem, tooAlikeProblem } from './teach-labels.js';
import { GENERAL_TOLERANCE, teachVerdict } from './teach-verdict.js';

export const REPLAY_FILE = 'replay.safetensors';
export const TEACH_FILE = 'teach.json';
/** New words start this much (in logits) below their anchors. */
export const NEW_WORD_BIAS_OFFSET = 2;
/** Base-validation photos the forgetting guard captions after every epoch (greedy, ~4 ms each). */
const GUARD_PHOTOS = 400;
/** Fewest labeled photos a fine-tune accepts (3 validation + 3 training). */
export const MIN_LABELED = 6;

export class TeachError extends Error {
  constructor(
    message: string,
    readonly kind: 'input' | 'non-finite' | 'cancelled' | 'model',
  ) {
    super(message);
    this.name = 'TeachError';
  }
}

// ---------------------------------------------------------------------------------------------
// Replay set: a compact sample of the base model's own training (and validation) data

export interface ReplaySet {
  dim: number;
  /** Base-training photos (rows × dim) and captions of them, as text (survive vocabulary growth). */
  train: { features: Float32Array; captions: Array<{ image: number; text: string }> };
  /** Base-validation photos and all their reference captions (forgetting is measured here). */
  validation: { features: Float32Array; references: string[][] };
  /** Where the data came from (dataset name, split). */
  source: string;
}

export function saveReplaySet(path: string, set: ReplaySet): void {
  const nTrain = set.train.features.length / set.dim;
  const nVal = set.validation.features.length / set.dim;
  const bytes = encodeSafetensors(
    {
      train_features: { shape: [nTrain, set.dim], data: set.train.features },
      validation_features: { shape: [nVal, set.dim], data: set.validation.features },
    },
    {
      kind: 'lenscribe-replay',
      version: '1',
      source: set.source,
      train_captions: JSON.stringify(set.train.captions.map((c) => [c.image, c.text])),
      validation_references: JSON.stringify(set.validation.references),
    },
  );
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export function loadReplaySet(path: string): ReplaySet {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  if (metadata.kind !== 'lenscribe-replay') throw new TeachError(`${path}: not a Lenscribe replay set`, 'model');
  const tf = tensors.get('train_features');
  const vf = tensors.get('validation_features');
  if (!tf || !vf || tf.shape.length !== 2 || vf.shape.length !== 2) throw new TeachError(`${path}: replay features missing`, 'model');
  const dim = tf.shape[1];
  const captions = (JSON.parse(metadata.train_captions ?? '[]') as Array<[number, string]>).map(([image, text]) => ({ image, text }));
  const references = JSON.parse(metadata.validation_references ?? '[]') as string[][];
  if (references.length !== vf.shape[0])
    throw new TeachError(`${path}: ${references.length} reference lists for ${vf.shape[0]} validation photos`, 'model');
  return {
    dim,
    train: { features: Float32Array.from(tf.data), captions },
    validation: { features: Float32Array.from(vf.data), references },
    source: metadata.source ?? '',
  };
}

/**
 * A replay set from captioned photos with features: up to `trainImages` training photos (every
 * caption of each) and up to `validationImages` validation photos, chosen by the seed.
 */
export function buildReplaySet(
  train: { features: Float32Array; captions: string[][] },
  validation: { features: Float32Array; captions: string[][] },
  dim: number,
  { trainImages = 1500, validationImages = 400, seed = 7, source = '' } = {},
): ReplaySet {
  const pick = (n: number, k: number, rng: Rng) => {
    const idx = Array.from({ length: n }, (_, i) => i);
    rng.shuffle(idx);
    return idx.slice(0, Math.min(k, n)).sort((a, b) => a - b);
  };
  const rng = new Rng(seed);
  const tIdx = pick(train.captions.length, trainImages, rng);
  const vIdx = pick(validation.captions.length, validationImages, rng);
  const gather = (f: Float32Array, rows: number[]) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => out.set(f.subarray(r * dim, (r + 1) * dim), i * dim));
    return out;
  };
  return {
    dim,
    train: {
      features: gather(train.features, tIdx),
      captions: tIdx.flatMap((r, i) => train.captions[r].map((text) => ({ image: i, text }))),
    },
    validation: { features: gather(validation.features, vIdx), references: vIdx.map((r) => validation.captions[r]) },
    source,
  };
}

// ---------------------------------------------------------------------------------------------
// The labeled set and its split

export interface LabeledExample {
  /** Caller's key (a photo id), echoed in results. */
  id: number;
  /** Photo path: the split hashes it, so a photo stays on its side. */
  path: string;
  caption: string;
  /**
   * The photo's stored vector, as the library keeps it: the encoder feature (the model's featureDim
   * values), then for a decoder with concept input its K concept scores.
   */
  feature: Float32Array;
}

/** Examples' stored vectors side by side (n×(D+K)). */
function rowsOf(items: ReadonlyArray<{ feature: Float32Array }>, width: number): Float32Array {
  const rows = new Float32Array(items.length * width);
  items.forEach((e, i) => rows.set(e.feature, i * width));
  return rows;
}

/**
 * Deterministic validation hold-back: the photos whose path hashes lowest, `fraction` of them
 * but at least `minValidation` (none when there are fewer than 2·minValidation photos).
 */
export function splitLabeled<T extends { path: string }>(
  items: readonly T[],
  { fraction = 0.2, minValidation = 3 } = {},
): { train: T[]; validation: T[] } {
  const order = [...items].sort(
    (a, b) => splitHash(a.path, 'lenscribe-teach') - splitHash(b.path, 'lenscribe-teach') || (a.path < b.path ? -1 : 1),
  );
  const nVal = items.length >= 2 * minValidation ? Math.max(minValidation, Math.round(items.length * fraction)) : 0;
  const held = new Set(order.slice(0, nVal));
  return { train: items.filter((i) => !held.has(i)), validation: items.filter((i) => held.has(i)) };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary growth

export interface GrowResult {
  params: Params<Float32Array>;
  vocab: Vocabulary;
  added: LearnedWord[];
}

/**
 * Adds the words of `captions` the vocabulary lacks. Old ids, rows and columns are kept
 * bit-for-bit; new rows/columns are initialised from anchor words (see the file comment),
 * which the base model picks from the photos' features and the caption's preceding words.
 */
export function growVocabulary(
  params: Params<Float32Array>,
  vocab: Vocabulary,
  examples: ReadonlyArray<{ caption: string; feature: Float32Array; path?: string }>,
  {
    maxAnchors = 5,
    extraCaptions = [] as readonly string[],
    unfamiliarAbove = undefined as number | undefined,
  }: { maxAnchors?: number; extraCaptions?: readonly string[]; unfamiliarAbove?: number } = {},
): GrowResult {
  const { embedDim: W, hiddenDim: H, vocabSize: V } = configFromParams(params);
  const grown = Vocabulary.fromJSON(vocab.toJSON());
  // Words only in `extraCaptions` (e.g. validation captions) get ids too, without anchors.
  // Function words never do ("our dog": "our" is not a name); one the vocabulary lacks stays <unk>.
  const added = grown.addWords(newWordsOf([...examples.map((e) => e.caption), ...extraCaptions], vocab));
  const out = cloneParams(params);
  if (added.length === 0) return { params: out, vocab: grown, added: [] };
  const V2 = grown.size;

  const { mass, hits, photosWith } = newWordContexts(params, vocab, grown, examples, unfamiliarAbove);

  const embed = new Float32Array(V2 * W);
  embed.set(params.W_embed);
  const wv = new Float32Array(H * V2);
  for (let r = 0; r < H; r++) wv.set(params.W_vocab.subarray(r * V, (r + 1) * V), r * V2);
  const bias = new Float32Array(V2);
  bias.set(params.b_vocab);
  let minBias = Infinity;
  for (let j = 0; j < V; j++) minBias = Math.min(minBias, params.b_vocab[j]);
  const meanEmbed = new Float32Array(W);
  for (let j = 4; j < V; j++) for (let k = 0; k < W; k++) meanEmbed[k] += params.W_embed[j * W + k] / (V - 4);

  const learned: LearnedWord[] = [];
  for (const id of added) {
    const acc = mass.get(id);
    const anchors = acc ? anchorsOf(acc, hits.get(id)!, maxAnchors) : [];
    if (anchors.length > 0) {
      let b = 0;
      for (const { j, w } of anchors) {
        for (let k = 0; k < W; k++) embed[id * W + k] += w * params.W_embed[j * W + k];
        for (let r = 0; r < H; r++) wv[r * V2 + id] += w * params.W_vocab[r * V + j];
        b += w * params.b_vocab[j];
      }
      bias[id] = b - NEW_WORD_BIAS_OFFSET;
    } else {
      embed.set(meanEmbed, id * W);
      bias[id] = Number.isFinite(minBias) ? minBias : 0;
    }
    learned.push({
      word: grown.word(id),
      id,
      anchors: anchors.map((a) => ({ word: vocab.word(a.j), weight: round4(a.w) })),
      photos: photosWith.get(id)?.size ?? 0,
    });
  }
  // A rename starts as an exact copy of the word it replaces (no offset): the user's photos and
  // the rewritten replay captions then only have to tip the tie, not climb e^2 first.
  for (const [old, { word }] of renamedWords(learned)) {
    const j = vocab.id(old);
    const id = grown.id(word);
    embed.set(params.W_embed.subarray(j * W, (j + 1) * W), id * W);
    for (let r = 0; r < H; r++) wv[r * V2 + id] = params.W_vocab[r * V + j];
    bias[id] = params.b_vocab[j];
  }
  out.W_embed = embed;
  out.W_vocab = wv;
  out.b_vocab = bias;
  return { params: out, vocab: grown, added: learned };
}

/** The words of `captions` a vocabulary lacks, in order of first use, function words left out. */
export function newWordsOf(captions: readonly string[], vocab: Vocabulary): string[] {
  const words = new Set<string>();
  for (const c of captions) for (const w of tokenize(c)) if (!vocab.has(w) && !isFunctionWord(w)) words.add(w);
  return [...words];
}

/** Where the new words occur: the base model's next-word distributions summed per new word (mass), how often (hits) and in how many photos. */
interface NewWordContexts {
  mass: Map<number, Float64Array>;
  hits: Map<number, number>;
  photosWith: Map<number, Set<string>>;
}

/** Runs the base model over the captions with new words (teacher forcing; new words as <unk> input). */
function newWordContexts(
  params: Params<Float32Array>,
  vocab: Vocabulary,
  grown: Vocabulary,
  examples: ReadonlyArray<{ caption: string; feature: Float32Array; path?: string }>,
  unfamiliarAbove: number | undefined,
): NewWordContexts {
  const config = configFromParams(params);
  const { vocabSize: V, featureDim: D } = config;
  const K = conceptDimOf(config);
  const mass = new Map<number, Float64Array>();
  const hits = new Map<number, number>();
  const photosWith = new Map<number, Set<string>>();
  const withNew = examples.filter((e) => tokenize(e.caption).some((w) => !vocab.has(w)));
  if (withNew.length > 0) {
    const model = new DecoderStepModel(params);
    const seqs = withNew.map((e) => Array.from(grown.encode(e.caption, { maxLength: 22 })));
    const N = seqs.length;
    const x = storedRowInputs(rowsOf(withNew, D + K), N, D, K);
    const features = featuresAsCaptioned(params, x.features, N, unfamiliarAbove);
    const state = model.initState(features, N, x.concepts);
    const T = Math.max(...seqs.map((s) => s.length));
    for (let t = 0; t + 1 < T; t++) {
      const input = Int32Array.from(seqs, (s) => (t < s.length ? (s[t] >= V ? UNK : s[t]) : END));
      const logp = model.step(state, input);
      seqs.forEach((s, n) => {
        const target = s[t + 1];
        if (target === undefined || target < V) return;
        let acc = mass.get(target);
        if (!acc) mass.set(target, (acc = new Float64Array(V)));
        let z = 0;
        for (let j = 4; j < V; j++) if (!isFunctionWord(vocab.word(j))) z += Math.exp(logp[n * V + j]);
        for (let j = 4; j < V; j++) if (!isFunctionWord(vocab.word(j))) acc[j] += Math.exp(logp[n * V + j]) / Math.max(z, 1e-30);
        hits.set(target, (hits.get(target) ?? 0) + 1);
        if (!photosWith.has(target)) photosWith.set(target, new Set());
        photosWith.get(target)!.add(withNew[n].path ?? String(n)); // several captions of one photo count once
      });
    }
  }
  return { mass, hits, photosWith };
}

/** The `maxAnchors` words with the most mass (mean over `count` occurrences), weights normalised to sum 1. */
function anchorsOf(acc: Float64Array, count: number, maxAnchors: number): Array<{ j: number; w: number }> {
  const anchors = Array.from(acc, (m, j) => ({ j, w: m / count }))
    .filter((a) => a.w > 0)
    .sort((a, b) => b.w - a.w)
    .slice(0, maxAnchors);
  const z = anchors.reduce((s, a) => s + a.w, 0);
  return anchors.map((a) => ({ j: a.j, w: a.w / z }));
}

/** Fewest training photos that must use a new word in an anchor's place before it counts as a rename. */
export const MIN_RENAME_PHOTOS = 3;

/**
 * Old word -> the new word the user calls it by: a new word that stands, in at least
 * MIN_RENAME_PHOTOS photos, where the base model mostly expects that old word ("rexo" where it
 * says "dog"). One caption is not a rename: there the base model was merely wrong ("foal" where it
 * says "dog"). When several new words claim one old word, or one new word several old words,
 * the best supported claim wins.
 */
export function renamedWords(added: readonly LearnedWord[]): Map<string, { word: string; weight: number }> {
  const renamed = new Map<string, { word: string; weight: number; support: number }>();
  for (const w of added) {
    if (w.photos < MIN_RENAME_PHOTOS) continue;
    for (const a of w.anchors) {
      const support = a.weight * w.photos;
      if (a.weight >= 0.3 && (renamed.get(a.word)?.support ?? 0) < support)
        renamed.set(a.word, { word: w.word, weight: a.weight, support });
    }
  }
  // A new word replaces one old word: its best supported ("rexo" for "dog", not also "puppy").
  const best = new Map<string, string>();
  for (const [old, claim] of renamed) {
    const held = best.get(claim.word);
    if (held === undefined || renamed.get(held)!.support < claim.support) best.set(claim.word, old);
  }
  return new Map([...best].map(([word, old]) => [old, { word, weight: renamed.get(old)!.weight }]));
}

// ---------------------------------------------------------------------------------------------
// Fine-tuning

export interface TeachModelOptions {
  /** Model directory (model.json) to start from; never written. */
  baseDir: string;
  labeled: LabeledExample[];
  /** The new model directory (must not exist); written as `<outDir>.partial`, then renamed. */
  outDir: string;
  /** Name in model.json (default: the out directory's name). */
  name?: string;
  /** Replay set (default: the base model's replay.safetensors, if any). */
  replay?: ReplaySet | null;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  patience?: number;
  seed?: number;
  /** User training captions per epoch (the labeled ones repeated); default 128. */
  userCaptionsPerEpoch?: number;
  /** Replayed captions per user caption in an epoch (default 3). */
  replayRatio?: number;
  /**
   * Replayed captions that use a word the user renamed (a new word's strong anchor): 'rewrite'
   * (default) says the new word instead ("a black dog" -> "a black rexo"), so every photo of the
   * concept teaches the new name; 'drop' leaves them out.
   */
  renamedReplay?: 'rewrite' | 'drop';
  /**
   * Forgetting budget for choosing the epoch to keep: an epoch whose base-validation CIDEr-D
   * (on up to 400 of the replay set's validation photos, renames read as the words they replace)
   * dropped more than this fraction below the base model's never beats one within the budget
   * (default 0.1; needs a replay set).
   */
  maxForgetting?: number;
  validationFraction?: number;
  /** Continue an interrupted run from `<outDir>.partial` (its checkpoint and grown vocabulary). */
  resume?: boolean;
  /** Extra facts for model.json's training section (base model id, library). */
  provenance?: Record<string, unknown>;
  onProgress?: (p: TeachProgress) => void;
  signal?: AbortSignal;
}

export interface ExampleResult {
  id: number;
  path: string;
  reference: string;
  before: string;
  after: string;
}

export interface TeachModelResult {
  outDir: string;
  manifest: ModelManifest;
  newWords: LearnedWord[];
  trainPhotos: number;
  validationPhotos: number;
  replayCaptions: number;
  skipped: Array<{ id: number; path: string; reason: string }>;
  epochsRun: number;
  bestEpoch: number;
  stopReason: 'completed' | 'early-stopped';
  seconds: number;
  metrics: TeachMetrics;
  /** Better, mixed or worse than the base model, from the metrics (teach-verdict.ts). */
  verdict: TeachVerdict;
  validationCaptions: ExampleResult[];
  curve: EpochPoint[];
}

const PARTIAL = '.partial';
/** The trainer's whole state after the last finished epoch (checkpoint.ts: saveTrainingState), with the run's curve. */
const TRAINING_STATE = 'training-state.safetensors';
/** The grown vocabulary and its new words, written once before training. */
const GROWN = 'grown.json';

export function partialDirOf(outDir: string): string {
  return `${resolve(outDir)}${PARTIAL}`;
}

/** Epochs a partial run finished (from its training state's header), or null when there is nothing to resume. */
export function resumableEpochs(outDir: string): number | null {
  const p = partialDirOf(outDir);
  if (!existsSync(join(p, GROWN))) return null;
  return readTrainingStateSummary(join(p, TRAINING_STATE))?.epochsDone ?? null;
}

function scores(captions: string[], references: string[][], loss: number | null): TeachScores {
  const s = scoreCaptions(captions, references);
  return { images: captions.length, loss, bleu4: round4(s.bleu4), cider: round4(s.cider) };
}

function captionsOf(params: Params<Float32Array>, vocab: Vocabulary, x: StoredInputs, n: number, D: number): string[] {
  if (n === 0) return [];
  const model = new OnnxStepModel(params);
  try {
    return decoderCaptioner(model, vocab, D, { beam: 1 })(x.features, n, x.concepts) as string[];
  } finally {
    model.dispose();
  }
}

function toData(
  items: ReadonlyArray<{ feature: Float32Array; caption: string }>,
  vocab: Vocabulary,
  session: Pick<TeachSession, 'D' | 'K' | 'base'>,
  repeat = 1,
): CaptionData {
  const { D, K } = session;
  const captions: TokenCaption[] = [];
  items.forEach((it, i) => {
    const ids = vocab.encode(it.caption);
    if (ids.length > 2) for (let r = 0; r < repeat; r++) captions.push({ image: i, tokens: ids });
  });
  const inputs = storedRowInputs(rowsOf(items, D + K), items.length, D, K);
  return { ...inputs, features: asCaptioned(session, inputs.features, items.length), captions };
}

/**
 * The features as the model's guidance captions the photos: an unfamiliar photo is described
 * from its concepts alone (unfamiliar.ts), so the user's caption of it is taught that way too,
 * or the words taught would come out only for photos like Flickr8k's.
 */
function asCaptioned({ base }: Pick<TeachSession, 'base'>, features: Float32Array, n: number): Float32Array {
  return featuresAsCaptioned(base.decoder.params, features, n, base.manifest.decoding.guidance?.unfamiliarAbove);
}

/** `features` (n×D) with the photos beyond `unfamiliarAbove` replaced by the training mean (as captionFeatures does). */
function featuresAsCaptioned(
  params: Params<Float32Array>,
  features: Float32Array,
  n: number,
  unfamiliarAbove: number | undefined,
): Float32Array {
  if (unfamiliarAbove === undefined) return features;
  const stats = { mean: params.feature_mean!, std: params.feature_std! };
  return withoutUnfamiliarFeatures(features, n, stats, unfamiliarAbove).features;
}

/** What every step of a fine-tune reads: its options, the base model, and where it writes. */
interface TeachSession {
  options: TeachModelOptions;
  base: ReturnType<typeof loadModel>;
  /** Feature width the model reads. */
  D: number;
  /** Concept scores it reads after them (0: none); examples and replay rows are D + K wide. */
  K: number;
  maxWords: number;
  outDir: string;
  /** `<outDir>.partial`: the checkpoint and grown vocabulary while running, the new model before its rename. */
  partial: string;
  report: (p: Partial<TeachProgress> & Pick<TeachProgress, 'phase'>) => void;
}

type Split = { train: LabeledExample[]; validation: LabeledExample[] };

/** The training data: the user's captions (repeated) and the replayed base captions, photos side by side. */
interface TeachData {
  trainData: CaptionData;
  valData: CaptionData;
  replayCaptions: TokenCaption[];
  userRepeat: number;
}

/** A fixed subset of the base validation photos and the base model's CIDEr-D on them. */
interface ForgettingGuard {
  inputs: StoredInputs;
  n: number;
  refs: string[][];
  before: number;
}

export async function teachModel(options: TeachModelOptions): Promise<TeachModelResult> {
  const t0 = performance.now();
  const outDir = resolve(options.outDir);
  if (existsSync(outDir)) throw new TeachError(`${outDir} already exists`, 'input');
  const report = progressReporter(options.onProgress);
  report({ phase: 'prepare', message: 'loading the base model' });

  const base = loadModel(options.baseDir);
  if (base.decoder.config.attention)
    throw new TeachError(
      `${options.baseDir}: this decoder attends over spatial grids, which the library does not keep; teaching it is not supported`,
      'model',
    );
  const D = base.decoder.config.featureDim;
  const K = conceptDimOf(base.decoder.config);
  const run: TeachSession = {
    options,
    base,
    D,
    K,
    maxWords: base.manifest.decoder.maxLength ?? 20,
    outDir,
    partial: partialDirOf(outDir),
    report,
  };
  const { good, skipped } = usableExamples(options.labeled, D + K);
  checkLabels(run, good);
  const split = splitLabeled(good, { fraction: options.validationFraction ?? 0.2 });
  const start = startingPoint(run, split);
  const { grown, curve } = start;
  const replaySet = replaySetOf(run);
  const renamed = renamedWords(grown.added);
  const data = teachData(run, split, grown.vocab, replaySet, renamed);

  const before = scoreBaseModel(run, split, data.valData, replaySet);
  // New names read as the words they replace, so a rename is not counted as forgetting.
  const back = new Map([...renamed].map(([old, { word }]) => [word, old]));
  const guard = replaySet && before.nBaseVal > 0 ? forgettingGuard(run, replaySet, before.nBaseVal) : null;

  const trained = await trainTaught(run, start, data, split, before.refsUser, guard, back);
  const { result, epochs, totalSteps, bestEpoch } = trained;

  const { metrics, validationCaptions, afterUserScores } = scoreTaught(run, trained, start, split, data, replaySet, back, before);

  // Save: everything into the partial directory, then one rename.
  report({ phase: 'save', epochs, step: totalSteps, totalSteps, curve: [...curve], message: 'saving the new model' });
  const verdict = teachVerdict(metrics);
  const summary = {
    trainPhotos: split.train.length,
    validationPhotos: split.validation.length,
    replayCaptions: data.replayCaptions.length,
    newWords: grown.added,
    metrics,
    verdict,
    validationCaptions,
    curve,
    skipped,
  };
  const { manifest, seconds } = saveTaught(run, trained, { vocab: grown.vocab, replaySet, data, summary, bestEpoch, t0, afterUserScores });
  // The training state stays until the model is complete: a kill while saving resumes from it.
  renameSync(run.partial, outDir);
  rmSync(join(outDir, TRAINING_STATE), { force: true });
  rmSync(join(outDir, GROWN), { force: true });
  return {
    outDir,
    manifest,
    newWords: grown.added,
    trainPhotos: split.train.length,
    validationPhotos: split.validation.length,
    replayCaptions: data.replayCaptions.length,
    skipped,
    epochsRun: result.epochsRun,
    bestEpoch,
    stopReason: result.stopReason,
    seconds,
    metrics,
    verdict,
    validationCaptions,
    curve,
  };
}

/**
 * Ends the run before training when the labels cannot teach anything: too few, (nearly) one
 * sentence, or (nearly) what the model already says of those photos (teach-labels.ts).
 */
function checkLabels({ base, D, K, report }: TeachSession, good: readonly LabeledExample[]): void {
  if (good.length < MIN_LABELED)
    throw new TeachError(
      `Your ${good.length} usable label${good.length === 1 ? ' is' : 's are'} too few: teaching needs at least ${MIN_LABELED} photos with your own captions.`,
      'input',
    );
  const captions = good.map((e) => e.caption);
  const alike = tooAlikeProblem(captions);
  if (alike) throw new TeachError(alike, 'input');
  report({ phase: 'prepare', message: "comparing your captions with the model's" });
  const rows = storedRowInputs(rowsOf(good, D + K), good.length, D, K);
  const inputs = { ...rows, features: asCaptioned({ base }, rows.features, good.length) };
  const echo = nothingNewProblem(captions, captionsOf(base.decoder.params, base.decoder.vocab, inputs, good.length, D));
  if (echo) throw new TeachError(echo, 'input');
}

/** A progress report with every figure not yet known left empty: what the run says before training starts. */
export function progressAt(p: Partial<TeachProgress> & Pick<TeachProgress, 'phase'>): TeachProgress {
  return {
    epoch: 0,
    epochs: 0,
    step: 0,
    totalSteps: 0,
    loss: null,
    epochLoss: null,
    validationLoss: null,
    etaSeconds: null,
    curve: [],
    message: null,
    ...p,
  };
}

function progressReporter(onProgress: TeachModelOptions['onProgress']): TeachSession['report'] {
  return (p) => onProgress?.(progressAt(p));
}

/** The base model's captions and scores before teaching: the user's validation photos, and the base validation photos. */
interface BaseScores {
  refsUser: string[][];
  userCaptions: string[];
  user: TeachScores;
  base: TeachScores | null;
  /** Base validation photos in the replay set (0 without one). */
  nBaseVal: number;
}

function scoreBaseModel(
  { base, D, K, maxWords, report }: TeachSession,
  split: Split,
  valData: CaptionData,
  replaySet: ReplaySet | null,
): BaseScores {
  report({ phase: 'evaluate', message: 'scoring the base model' });
  const baseParams = base.decoder.params;
  const refsUser = split.validation.map((e) => [e.caption]);
  const userCaptions = captionsOf(baseParams, base.decoder.vocab, valData, split.validation.length, D);
  const baseValData = toData(split.validation, base.decoder.vocab, { base, D, K });
  const user = scores(userCaptions, refsUser, round4(meanLoss(baseParams, baseValData, 64, maxWords, D)));
  const nBaseVal = replaySet ? replaySet.validation.references.length : 0;
  const baseScores = replaySet
    ? scores(
        captionsOf(baseParams, base.decoder.vocab, storedRowInputs(replaySet.validation.features, nBaseVal, D, K), nBaseVal, D),
        replaySet.validation.references,
        null,
      )
    : null;
  return { refsUser, userCaptions, user, base: baseScores, nBaseVal };
}

/** The taught model's captions and scores, against the base model's (`before`). */
function scoreTaught(
  run: TeachSession,
  { result, params, epochs, totalSteps }: Trained,
  { grown, curve }: StartingPoint,
  split: Split,
  data: TeachData,
  replaySet: ReplaySet | null,
  back: Map<string, string>,
  before: BaseScores,
): { metrics: TeachMetrics; validationCaptions: ExampleResult[]; afterUserScores: TeachScores } {
  const { D, maxWords } = run;
  const { vocab } = grown;
  const epoch = result.epochsRun - 1;
  run.report({ phase: 'evaluate', epoch, epochs, step: totalSteps, totalSteps, curve: [...curve], message: 'scoring the new model' });
  const afterUser = captionsOf(params, vocab, data.valData, split.validation.length, D);
  const afterUserScores = scores(afterUser, before.refsUser, round4(meanLoss(params, data.valData, 64, maxWords, D)));
  const metrics = teachMetrics(run, params, vocab, replaySet, before.nBaseVal, back, before.user, afterUserScores, before.base);
  const validationCaptions = split.validation.map((e, i) => ({
    id: e.id,
    path: e.path,
    reference: e.caption,
    before: before.userCaptions[i],
    after: afterUser[i],
  }));
  return { metrics, validationCaptions, afterUserScores };
}

/** The labeled examples a fine-tune can use; bad features or empty captions are that photo's problem, not the run's. */
function usableExamples(labeled: LabeledExample[], width: number): { good: LabeledExample[]; skipped: TeachModelResult['skipped'] } {
  const skipped: TeachModelResult['skipped'] = [];
  const good = labeled.filter((e) => {
    const bad =
      e.feature.length !== width
        ? `feature has ${e.feature.length} values, the model reads ${width}`
        : e.feature.some((v) => !Number.isFinite(v))
          ? 'feature holds a non-finite value'
          : tokenize(e.caption).length === 0
            ? 'caption has no words'
            : null;
    if (bad) skipped.push({ id: e.id, path: e.path, reason: bad });
    return !bad;
  });
  return { good, skipped };
}

/** Where training starts: the grown vocabulary and its weights, or, resuming, the grown vocabulary and the saved training state. */
interface StartingPoint {
  grown: GrowResult;
  params: Params<Float32Array>;
  /** The saved state a resumed run continues (null: a new run). */
  state: TrainingState | null;
  epochsDone: number;
  curve: EpochPoint[];
}

function startingPoint({ options, base, outDir, partial }: TeachSession, split: Split): StartingPoint {
  const resumeEpochs = options.resume ? resumableEpochs(outDir) : null;
  if (resumeEpochs !== null) {
    const g = JSON.parse(readFileSync(join(partial, GROWN), 'utf8')) as { vocab: unknown; added: LearnedWord[] };
    const state = loadTrainingState(join(partial, TRAINING_STATE));
    // A run saved before words counted their photos: count them again (the split is deterministic).
    const photosUsing = (word: string) => new Set(split.train.filter((e) => tokenize(e.caption).includes(word)).map((e) => e.path)).size;
    const added = g.added.map((w) => ({ ...w, photos: w.photos ?? photosUsing(w.word) }));
    const grown = { params: base.decoder.params, vocab: Vocabulary.fromJSON(g.vocab), added };
    const curve = Array.isArray(state.extra.curve) ? (state.extra.curve as EpochPoint[]).slice(0, state.epochsDone) : [];
    return { grown, params: state.params, state, epochsDone: state.epochsDone, curve };
  }
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // Anchors come from the training photos only; words only validation captions use still get
  // ids (mean-initialised), so they are not <unk> there.
  const grown = growVocabulary(base.decoder.params, base.decoder.vocab, split.train, {
    unfamiliarAbove: base.manifest.decoding.guidance?.unfamiliarAbove,
    extraCaptions: split.validation.map((e) => e.caption),
  });
  writeFileAtomic(join(partial, GROWN), new TextEncoder().encode(JSON.stringify({ vocab: grown.vocab.toJSON(), added: grown.added })));
  return { grown, params: grown.params, state: null, epochsDone: 0, curve: [] };
}

/** The replay set: the one given, else the base model's own, else none. */
function replaySetOf({ options, base, D, K }: TeachSession): ReplaySet | null {
  const replaySet =
    options.replay !== undefined
      ? options.replay
      : existsSync(join(base.dir, REPLAY_FILE))
        ? loadReplaySet(join(base.dir, REPLAY_FILE))
        : null;
  if (replaySet && replaySet.dim !== D + K)
    throw new TeachError(`replay set has ${replaySet.dim}-d features, the model reads ${D}${K ? ` and ${K} concept scores` : ''}`, 'model');
  return replaySet;
}

/** The user's captions repeated to userCaptionsPerEpoch, plus replayed base captions, minus (or rewriting) those naming what the user renamed. */
function teachData(
  session: TeachSession,
  split: Split,
  vocab: Vocabulary,
  replaySet: ReplaySet | null,
  renamed: ReturnType<typeof renamedWords>,
): TeachData {
  const { options, D, K } = session;
  const rewrite = (options.renamedReplay ?? 'rewrite') === 'rewrite';
  const userRepeat = Math.max(1, Math.round((options.userCaptionsPerEpoch ?? 128) / Math.max(1, split.train.length)));
  const userTrain = toData(split.train, vocab, session, userRepeat);
  const rng = new Rng(options.seed ?? 1);
  let replayCaptions: TokenCaption[] = [];
  if (replaySet) {
    const ok = replaySet.train.captions.flatMap((c) => {
      const words = tokenize(c.text);
      if (!words.some((w) => renamed.has(w))) return [c];
      return rewrite ? [{ image: c.image, text: words.map((w) => renamed.get(w)?.word ?? w).join(' ') }] : [];
    });
    rng.shuffle(ok);
    const want = Math.round(userTrain.captions.length * (options.replayRatio ?? 3));
    replayCaptions = ok
      .slice(0, want)
      .map((c) => ({ image: c.image + split.train.length, tokens: vocab.encode(c.text) }))
      .filter((c) => c.tokens.length > 2);
  }
  const replayed = replaySet ? storedRowInputs(replaySet.train.features, replaySet.train.features.length / (D + K), D, K) : null;
  const trainData: CaptionData = {
    features: concat(userTrain.features, replayed?.features),
    ...(K > 0 ? { concepts: concat(userTrain.concepts!, replayed?.concepts) } : {}),
    captions: [...userTrain.captions, ...replayCaptions],
  };
  return { trainData, valData: toData(split.validation, vocab, session), replayCaptions, userRepeat };
}

function concat(a: Float32Array, b: Float32Array | undefined): Float32Array {
  if (!b) return a;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The forgetting guard: up to GUARD_PHOTOS base validation photos, scored by the base model; null if it scores 0 there. */
function forgettingGuard({ base, D, K, maxWords }: TeachSession, replaySet: ReplaySet, nBaseVal: number): ForgettingGuard | null {
  const n = Math.min(GUARD_PHOTOS, nBaseVal);
  const inputs = storedRowInputs(replaySet.validation.features, n, D, K);
  const refs = replaySet.validation.references.slice(0, n);
  const model = new DecoderStepModel(base.decoder.params);
  const before = ciderD(
    captionFeatures(model, base.decoder.vocab, inputs.features, n, {
      method: 'greedy',
      maxLength: maxWords,
      concepts: inputs.concepts,
    }).map((c) => c.text),
    refs,
  );
  return before > 0 ? { inputs, n, refs, before } : null;
}

/**
 * Early stopping on what the user will see: CIDEr-D of greedy captions of their held-back
 * photos (their loss alone rises as soon as the style shifts, before the new words win).
 * Within the forgetting budget, an epoch scores its user CIDEr-D (>= 0); beyond it, minus its
 * forgetting (< 0), so the least-forgetting epoch wins only when none is within budget.
 */
function teachScorer(
  { options, maxWords }: TeachSession,
  vocab: Vocabulary,
  valData: CaptionData,
  split: Split,
  refsUser: string[][],
  guard: ForgettingGuard | null,
  back: Map<string, string>,
  heldBackCider: Map<number, number>,
): ValidationScorer {
  const maxForgetting = options.maxForgetting ?? GENERAL_TOLERANCE;
  return ({ model, epoch }) => {
    const caps = captionFeatures(model, vocab, valData.features, split.validation.length, {
      method: 'greedy',
      maxLength: maxWords,
      concepts: valData.concepts,
    }).map((c) => c.text);
    const user = ciderD(caps, refsUser);
    heldBackCider.set(epoch, user);
    if (!guard) return user;
    const said = captionFeatures(model, vocab, guard.inputs.features, guard.n, {
      method: 'greedy',
      maxLength: maxWords,
      concepts: guard.inputs.concepts,
    }).map((c) =>
      tokenize(c.text)
        .map((w) => back.get(w) ?? w)
        .join(' '),
    );
    const drop = (guard.before - ciderD(said, guard.refs)) / guard.before;
    return drop <= maxForgetting ? user : -drop;
  };
}

interface Trained {
  /** Finished: diverged and cancelled runs throw. Epochs and steps count the whole run (before a resume too). */
  result: TrainResult & { stopReason: 'completed' | 'early-stopped' };
  /** The kept weights: the best held-back score's epoch over the whole run (before a resume too), not the last epoch. */
  params: Params<Float32Array>;
  /** 0-based epoch of `params`. */
  bestEpoch: number;
  epochs: number;
  batchSize: number;
  totalSteps: number;
}

/** The trainer's progress as the run's (each finished epoch is on the curve already: onEpochRecorded). */
function epochReporter(run: TeachSession, start: StartingPoint, epochs: number, stepsPerEpoch: number): (p: TrainProgress) => void {
  const { curve, epochsDone } = start;
  const totalSteps = stepsPerEpoch * epochs;
  const stepsBefore = start.state?.step ?? 0;
  const tTrain = performance.now();
  let lastValLoss: number | null = curve.length ? curve[curve.length - 1].validationLoss : null;
  return (p) => {
    const elapsed = (performance.now() - tTrain) / 1000;
    const stepsNow = p.step - stepsBefore;
    const eta = stepsNow > 0 ? (elapsed / stepsNow) * (Math.max(0, epochs - epochsDone) * stepsPerEpoch - stepsNow) : null;
    if (p.phase === 'epoch') lastValLoss = p.validationLoss ?? null;
    run.report({
      phase: p.phase === 'validate' ? 'validate' : 'train',
      epoch: p.epoch,
      epochs,
      step: p.step,
      totalSteps,
      loss: p.loss,
      epochLoss: p.epochLoss,
      validationLoss: lastValLoss,
      etaSeconds: eta,
      curve: [...curve],
    });
  };
}

/** Runs the trainer from the starting point (a resumed run from its saved state), saving the training state into the partial directory. */
async function trainTaught(
  run: TeachSession,
  start: StartingPoint,
  data: TeachData,
  split: Split,
  refsUser: string[][],
  guard: ForgettingGuard | null,
  back: Map<string, string>,
): Promise<Trained> {
  const { options, base, partial } = run;
  const { grown } = start;
  const epochs = options.epochs ?? 8;
  const batchSize = options.batchSize ?? 64;
  const stepsPerEpoch = Math.ceil(data.trainData.captions.length / batchSize);
  const heldBackCider = new Map<number, number>();
  const result = await train({
    config: { ...configFromParams(start.params), dropout: base.decoder.config.dropout },
    initialParams: start.params,
    train: data.trainData,
    validation: data.valData,
    epochs,
    batchSize,
    maxWords: run.maxWords,
    learningRate: options.learningRate ?? 1e-3,
    patience: options.patience ?? 3,
    validationScorer: teachScorer(run, grown.vocab, data.valData, split, refsUser, guard, back, heldBackCider),
    seed: options.seed ?? 1,
    statePath: join(partial, TRAINING_STATE),
    stateExtra: () => ({ curve: start.curve }),
    resumeFrom: start.state ?? undefined,
    onEpochRecorded: (p) => {
      const cider = heldBackCider.get(p.epoch);
      start.curve.push({
        epoch: p.epoch,
        step: p.step,
        trainLoss: round4(p.loss),
        validationLoss: p.validationLoss !== undefined ? round4(p.validationLoss) : null,
        heldBackCider: cider !== undefined ? round4(cider) : null,
        score: p.validationScore !== undefined ? round4(p.validationScore) : null,
      });
    },
    onProgress: epochReporter(run, start, epochs, stepsPerEpoch),
    signal: options.signal,
  });
  if (result.stopReason === 'non-finite') {
    rmSync(partial, { recursive: true, force: true });
    throw new TeachError(`fine-tuning diverged: ${result.message}; no model was written, the active model is unchanged`, 'non-finite');
  }
  if (result.stopReason === 'cancelled') throw new TeachError('fine-tuning was cancelled; no model was written', 'cancelled');
  return {
    result: { ...result, stopReason: result.stopReason },
    params: result.params,
    bestEpoch: result.bestEpoch,
    epochs,
    batchSize,
    totalSteps: stepsPerEpoch * epochs,
  };
}

/**
 * The base model's decoding; with guided decoding, the words the user taught meet its constraints,
 * and a rename (renamedWords) is vetoed with the word it renames (concept-guidance.ts: "rexo"
 * stays off photos the encoders doubt show a dog).
 */
function taughtDecoding(decoding: ModelManifest['decoding'], newWords: readonly LearnedWord[]): ModelManifest['decoding'] {
  const g = decoding.guidance;
  if (!g || newWords.length === 0) return decoding;
  const taughtWords = [...new Set([...(g.taughtWords ?? []), ...newWords.map((w) => w.word)])];
  const renames = [...renamedWords(newWords)].map(([old, { word }]) => [word, old] as const);
  const taughtAs = { ...g.taughtAs, ...Object.fromEntries(renames) };
  return { ...decoding, guidance: { ...g, taughtWords, ...(Object.keys(taughtAs).length > 0 ? { taughtAs } : {}) } };
}

/** Before and after on the user's photos, and on the base validation photos (also with renames read as the words they replace). */
function teachMetrics(
  { D, K }: TeachSession,
  params: Params<Float32Array>,
  vocab: Vocabulary,
  replaySet: ReplaySet | null,
  nBaseVal: number,
  back: Map<string, string>,
  beforeUser: TeachScores,
  afterUser: TeachScores,
  beforeBase: TeachScores | null,
): TeachMetrics {
  const afterBaseCaptions = replaySet
    ? captionsOf(params, vocab, storedRowInputs(replaySet.validation.features, nBaseVal, D, K), nBaseVal, D)
    : [];
  const afterBase = replaySet ? scores(afterBaseCaptions, replaySet.validation.references, null) : null;
  const afterBaseRenamed = replaySet
    ? scores(
        afterBaseCaptions.map((c) =>
          tokenize(c)
            .map((w) => back.get(w) ?? w)
            .join(' '),
        ),
        replaySet.validation.references,
        null,
      )
    : null;
  return {
    user: { before: beforeUser, after: afterUser },
    base: beforeBase && afterBase ? { before: beforeBase, after: afterBase } : null,
    baseCiderChange:
      beforeBase && afterBase && beforeBase.cider > 0 ? round4((afterBase.cider - beforeBase.cider) / beforeBase.cider) : null,
    baseCiderChangeRenamed:
      beforeBase && afterBaseRenamed && beforeBase.cider > 0
        ? round4((afterBaseRenamed.cider - beforeBase.cider) / beforeBase.cider)
        : null,
  };
}

/** What saveTaught writes besides the run's own facts. */
interface Taught {
  vocab: Vocabulary;
  replaySet: ReplaySet | null;
  data: TeachData;
  /** teach.json's facts after its format, version and base. */
  summary: Pick<
    TeachModelResult,
    'trainPhotos' | 'validationPhotos' | 'replayCaptions' | 'newWords' | 'metrics' | 'verdict' | 'validationCaptions' | 'curve' | 'skipped'
  >;
  bestEpoch: number;
  /** When the run started (performance.now()). */
  t0: number;
  afterUserScores: TeachScores;
}

/** Writes the new model into the partial directory (decoder, teach.json, replay set, model.json); returns its manifest and the run's seconds. */
function saveTaught(run: TeachSession, trained: Trained, t: Taught): { manifest: ModelManifest; seconds: number } {
  const { options, base, partial } = run;
  const { params } = trained;
  const config = { ...configFromParams(params), dropout: base.decoder.config.dropout };
  saveDecoder(partial, {
    config,
    params,
    vocab: t.vocab,
    feature: base.decoder.feature,
    training: { finetunedFrom: base.manifest.name, epochs: trained.result.epochsRun },
  });
  const seconds = round1((performance.now() - t.t0) / 1000);
  const teach = {
    format: 'lenscribe-teach',
    version: 1,
    base: { name: base.manifest.name, dir: base.dir, ...(options.provenance ?? {}) },
    ...t.summary,
  };
  writeFileSync(join(partial, TEACH_FILE), `${JSON.stringify(teach, null, 1)}\n`);
  const extra = [CONFIG_FILE, TEACH_FILE];
  if (t.replaySet && existsSync(join(base.dir, REPLAY_FILE)) && options.replay === undefined) {
    copyFileSync(join(base.dir, REPLAY_FILE), join(partial, REPLAY_FILE));
    extra.push(REPLAY_FILE);
  } else if (t.replaySet) {
    saveReplaySet(join(partial, REPLAY_FILE), t.replaySet);
    extra.push(REPLAY_FILE);
  }
  return { manifest: writeModelDir(partial, taughtManifest(run, trained, t, config, seconds), extra), seconds };
}

/** model.json of the taught model: the base model's, with the new decoder, how it was taught and its scores on the user's photos. */
function taughtManifest(
  run: TeachSession,
  trained: Trained,
  t: Taught,
  config: ManifestInput['decoder']['config'],
  seconds: number,
): ManifestInput {
  const { options, base, outDir } = run;
  const { result, epochs, batchSize } = trained;
  const m = base.manifest;
  const { trainPhotos, validationPhotos, metrics, curve, newWords } = t.summary;
  return {
    name: options.name ?? basename(outDir),
    description: `${m.name} taught ${trainPhotos} of the user's own captioned photos (lenscribe finetune)`,
    encoder: { ...m.encoder, file: encoderFileRef(outDir, resolveEncoderPath(base.dir, m.encoder.file)) },
    features: m.features,
    decoder: { ...m.decoder, config },
    decoding: taughtDecoding(m.decoding, newWords),
    training: {
      data: m.training.data,
      command: 'lenscribe finetune',
      options: {
        finetunedFrom: m.name,
        epochs,
        learningRate: options.learningRate ?? 1e-3,
        batchSize,
        userRepeat: t.data.userRepeat,
        replayRatio: options.replayRatio ?? 3,
        newWords: newWords.map((w) => w.word),
        ...(options.provenance ?? {}),
      },
      epochs: result.epochsRun,
      bestEpoch: t.bestEpoch + 1,
      history: curve.map((c) => ({
        epoch: c.epoch + 1,
        trainLoss: c.trainLoss,
        ...(c.validationLoss !== null ? { valLoss: c.validationLoss } : {}),
      })),
      seconds: { total: seconds },
    },
    metrics: {
      split: `the user's held-back photos (${validationPhotos})`,
      images: validationPhotos,
      bleu4: t.afterUserScores.bleu4,
      cider: t.afterUserScores.cider,
      ...(t.afterUserScores.loss !== null ? { loss: t.afterUserScores.loss } : {}),
      beam: 1,
      ...(metrics.base ? { baseCider: metrics.base.after.cider, baseCiderBefore: metrics.base.before.cider } : {}),
    } as ModelManifest['metrics'],
  };
}

/**
 * The result of a run that was killed after its model directory was complete (renamed into
 * place) but before the library registered it, read back from its model.json and teach.json;
 * null when `outDir` holds no complete taught model.
 */
export function finishedRunOf(outDir: string): TeachModelResult | null {
  if (!existsSync(join(outDir, MANIFEST_FILE)) || !existsSync(join(outDir, TEACH_FILE))) return null;
  try {
    const { manifest } = loadModelDir(outDir);
    const teach = JSON.parse(readFileSync(join(outDir, TEACH_FILE), 'utf8')) as Omit<
      TeachModelResult,
      'outDir' | 'manifest' | 'epochsRun' | 'bestEpoch' | 'stopReason' | 'seconds'
    >;
    const epochsRun = manifest.training.epochs ?? teach.curve.length;
    const maxEpochs = Number(manifest.training.options?.epochs ?? epochsRun);
    return {
      ...teach,
      skipped: teach.skipped ?? [],
      outDir: resolve(outDir),
      manifest,
      epochsRun,
      bestEpoch: (manifest.training.bestEpoch ?? epochsRun) - 1,
      stopReason: epochsRun < maxEpochs ? 'early-stopped' : 'completed',
      seconds: manifest.training.seconds?.total ?? 0,
    };
  } catch {
    return null;
  }
}

/** Removes what an interrupted run left (`<outDir>.partial`). */
export function discardPartial(outDir: string): void {
  rmSync(partialDirOf(outDir), { recursive: true, force: true });
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const round1 = (x: number) => Math.round(x * 10) / 10;
