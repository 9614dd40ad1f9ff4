/**
 * The Show-and-Tell caption model (cs231n's CaptioningRNN with an LSTM), built from the layers.
 *
 *   image feature f (D)
 *     -> standardised per dimension: (f − feature_mean) / feature_std   (training statistics,
 *        stored with the weights but never trained)
 *     -> h0 = tanh(f·W_proj + b_proj)          (L·H: layer l's initial hidden state is columns
 *                                               l·H … (l+1)·H; every layer starts from the image)
 *     c0 = 0 for every layer
 *
 *   with concepts (conceptDim K > 0; Yao et al. 2017, "Boosting Image Captioning with
 *   Attributes", here image and attributes initialise the LSTM together, summed in one projection):
 *     h0 = tanh(m·f·W_proj + s·W_concept + b_proj)
 *       s (K): concept scores in [0, 1] (a detector's for a photo, or read from a caption's words)
 *       m ∈ {0, 1}: 1 for a photo, 0 for a text-only caption (`CaptionBatch.hasImage`): the
 *         standardised feature of a missing image is zero, so such a row reaches h0 only through
 *         its concepts, and W_proj gets no gradient from it. That is what lets captions without
 *         photos train the concept path.
 *     Feeding s only into h0 (not at every step) is the simplest variant that works and keeps the
 *     step unchanged; K = 0 is exactly the model without concepts (same parameters, same file).
 *
 *   with attention (`attention` set; layers/attention.ts): the photo's 7×7 grid g (G cells of Dg)
 *     -> memory v = (g − grid_mean)·grid_basis (G×P; grid-basis.ts, fitted on training photos,
 *        never trained), and after the top LSTM layer the output is h_t + c_t·W_context, where
 *        c_t is the soft-attention average of v chosen by h_t. A text-only row has no grid and
 *        reads h_t alone.
 *   caption tokens w_0 … w_{T−1} = <start> words <end> <pad>…
 *     -> embedding (W) -> dropout -> L LSTM layers (dropout between layers) -> dropout
 *     -> scores = h·W_vocab + b_vocab (V) -> softmax cross-entropy against w_1 … w_{T−1}
 *        (padding masked out; loss is the mean over real target tokens)
 *
 * Parameters (all row-major, names are what the weights file stores):
 *   feature_mean (D), feature_std (D)          non-trainable
 *   W_proj (D×L·H), b_proj (L·H)
 *   W_concept (K×L·H)                          only when K > 0
 *   W_embed (V×W)
 *   Wx_l (In_l×4H), Wh_l (H×4H), b_l (4H)      In_0 = W, In_l = H; gates i,f,o,g; forget bias 1
 *   W_vocab (H×V), b_vocab (V)
 *   grid_mean (Dg), grid_basis (Dg×P)          non-trainable; only with attention
 *   W_query (H×A), W_key (P×A), W_context (P×H) only with attention
 *
 * Truncated BPTT: `tbpttWindow` = k splits the T−1 prediction steps into windows of k. Each
 * window runs forward from the state the previous window ended in (values carried over) and
 * backward with no gradient entering its end state, so gradients stop at window edges; the
 * image projection only receives gradient from the first window. All windows' gradients add
 * up into one gradient for the batch (one optimizer update per batch), and the loss is
 * normalised by the whole batch's token count, so with k >= T−1 the computation is exactly
 * full BPTT. Shorter windows also bound memory to one window's activations. (With dropout,
 * masks are drawn window by window, so the same seed gives different masks for different k.)
 */
import { freezeMatrix, gemm, gemmFrozen, type FloatArray, type FrozenMatrix } from './matmul.js';
import type { DecoderConfig, Params, RecurrentState, Shapes, StepModel } from './types.js';
import { PAD } from './types.js';
import { Rng } from './rng.js';
import type { FeatureStats } from './unfamiliar.js';
import { affineBackward, affineForward, type AffineCache, type AffineGrads } from './layers/affine.js';
import { wordEmbeddingBackward, wordEmbeddingForward } from './layers/embedding.js';
import { dropoutBackward, dropoutForward } from './layers/dropout.js';
import { gatesForward, stackedLstmBackward, stackedLstmFinalState, stackedLstmForward, type LstmParams } from './layers/lstm.js';
import { temporalAffineBackward, temporalAffineForward } from './layers/temporal-affine.js';
import { temporalSoftmaxLoss } from './layers/temporal-softmax.js';
import { zerosLike } from './layers/tensor.js';
import {
  attend,
  attentionBackward,
  attentionForward,
  attentionKeys,
  type AttentionCache,
  type AttentionMemory,
  type AttentionParams,
} from './layers/attention.js';
import { reduceGrid } from './grid-basis.js';
import type { AttentionConfig, GridMemory } from './types.js';

/** Tensors saved with the weights that the optimizer must not touch. */
export const NON_TRAINABLE: ReadonlySet<string> = new Set(['feature_mean', 'feature_std', 'grid_mean', 'grid_basis']);
export function isTrainable(name: string): boolean {
  return !NON_TRAINABLE.has(name);
}

/** K, the number of concept scores the model reads (0 when the config has none). */
export function conceptDimOf(config: DecoderConfig): number {
  return config.conceptDim ?? 0;
}

/** The attention's sizes, or null for a decoder that reads no grid. */
export function attentionOf(config: DecoderConfig): AttentionConfig | null {
  return config.attention ?? null;
}

/**
 * The config as saved: `conceptDim` only when K > 0 and `attention` only when set, so a model
 * without them is written exactly as before.
 */
export function canonicalConfig(config: DecoderConfig): DecoderConfig {
  const { conceptDim, attention, ...rest } = config;
  return { ...rest, ...(conceptDim ? { conceptDim } : {}), ...(attention ? { attention } : {}) };
}

/** Every tensor's shape, in the canonical order the weights are written. */
export function paramShapes(config: DecoderConfig): Shapes {
  const { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = config;
  const K = conceptDimOf(config);
  const shapes: Shapes = {
    feature_mean: [D],
    feature_std: [D],
    W_proj: [D, L * H],
    b_proj: [L * H],
    ...(K > 0 ? { W_concept: [K, L * H] } : {}),
    W_embed: [V, W],
  };
  for (let l = 0; l < L; l++) {
    shapes[`Wx_${l}`] = [l === 0 ? W : H, 4 * H];
    shapes[`Wh_${l}`] = [H, 4 * H];
    shapes[`b_${l}`] = [4 * H];
  }
  shapes.W_vocab = [H, V];
  shapes.b_vocab = [V];
  const att = attentionOf(config);
  if (att) {
    const { gridDim: Dg, memoryDim: P, attentionDim: A } = att;
    Object.assign(shapes, { grid_mean: [Dg], grid_basis: [Dg, P], W_query: [H, A], W_key: [P, A], W_context: [P, H] });
  }
  return shapes;
}

export function validateConfig(config: DecoderConfig): void {
  const ints = ['featureDim', 'embedDim', 'hiddenDim', 'layers', 'vocabSize'] as const;
  for (const k of ints) {
    const v = config[k];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`decoder config: ${k} must be a positive integer, got ${v}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1))
    throw new RangeError(`decoder config: dropout must be in [0, 1), got ${config.dropout}`);
  const K = config.conceptDim;
  if (K !== undefined && !(Number.isInteger(K) && K >= 0))
    throw new RangeError(`decoder config: conceptDim must be a non-negative integer, got ${K}`);
  const att = config.attention;
  if (att !== undefined) {
    for (const k of ['gridDim', 'memoryDim', 'attentionDim'] as const) {
      if (!Number.isInteger(att[k]) || att[k] < 1)
        throw new RangeError(`decoder config: attention.${k} must be a positive integer, got ${att[k]}`);
    }
    if (att.memoryDim > att.gridDim)
      throw new RangeError(`decoder config: attention.memoryDim (${att.memoryDim}) exceeds gridDim (${att.gridDim})`);
  }
}

/** Per-dimension mean and standard deviation of n feature vectors (n×D). */
export function featureStats(features: FloatArray, n: number, D: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(D);
  const sq = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const off = i * D;
    for (let j = 0; j < D; j++) mean[j] += features[off + j];
  }
  for (let j = 0; j < D; j++) mean[j] /= Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    const off = i * D;
    for (let j = 0; j < D; j++) sq[j] += (features[off + j] - mean[j]) ** 2;
  }
  const std = new Float32Array(D);
  let typical = 0;
  for (let j = 0; j < D; j++) {
    std[j] = Math.sqrt(sq[j] / Math.max(n, 1));
    typical += std[j] / D;
  }
  // A dimension that never varied in training (e.g. a dead ReLU) must not blow up later.
  const floor = Math.max(1e-3 * typical, 1e-8);
  for (let j = 0; j < D; j++) if (!(std[j] >= floor)) std[j] = floor;
  return { mean: Float32Array.from(mean), std };
}

export interface InitOptions {
  /** Training-set feature statistics (default: mean 0, std 1). */
  featureMean?: Float32Array;
  featureStd?: Float32Array;
  /** An attending decoder's grid basis (grid-basis.ts; default: mean 0 and the first P channels). */
  gridMean?: Float32Array;
  gridBasis?: Float32Array;
}

/** Fresh float32 parameters from a seed: scaled normal weights, zero biases, forget bias 1. */
export function initParams(config: DecoderConfig, seed: number, options: InitOptions = {}): Params<Float32Array> {
  validateConfig(config);
  const { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = config;
  const rng = new Rng(seed);
  const normal = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
    return a;
  };
  const mean = options.featureMean ?? new Float32Array(D);
  const std = options.featureStd ?? new Float32Array(D).fill(1);
  if (mean.length !== D || std.length !== D) throw new RangeError(`feature statistics must have ${D} dimensions`);
  for (let j = 0; j < D; j++) {
    if (!Number.isFinite(mean[j]) || !(std[j] > 0) || !Number.isFinite(std[j])) {
      throw new RangeError(`feature statistics: dimension ${j} has mean ${mean[j]} and std ${std[j]}`);
    }
  }
  const p: Params<Float32Array> = {
    feature_mean: Float32Array.from(mean),
    feature_std: Float32Array.from(std),
    W_proj: normal(D * L * H, 1 / Math.sqrt(D)),
    b_proj: new Float32Array(L * H),
    W_embed: normal(V * W, 0.1),
  };
  for (let l = 0; l < L; l++) {
    const In = l === 0 ? W : H;
    p[`Wx_${l}`] = normal(In * 4 * H, 1 / Math.sqrt(In));
    p[`Wh_${l}`] = normal(H * 4 * H, 1 / Math.sqrt(H));
    const b = new Float32Array(4 * H);
    b.fill(1, H, 2 * H); // forget gate: remember by default
    p[`b_${l}`] = b;
  }
  p.W_vocab = normal(H * V, 1 / Math.sqrt(H));
  p.b_vocab = new Float32Array(V);
  // Drawn last, so the other weights are the same for any K with the same seed.
  const K = conceptDimOf(config);
  if (K > 0) p.W_concept = normal(K * L * H, 1 / Math.sqrt(K));
  const att = attentionOf(config);
  if (att) {
    const { gridDim: Dg, memoryDim: P, attentionDim: A } = att;
    p.grid_mean = options.gridMean ? Float32Array.from(options.gridMean) : new Float32Array(Dg);
    if (options.gridBasis) p.grid_basis = Float32Array.from(options.gridBasis);
    else {
      p.grid_basis = new Float32Array(Dg * P);
      for (let j = 0; j < P; j++) p.grid_basis[j * P + j] = 1;
    }
    if (p.grid_mean.length !== Dg || p.grid_basis.length !== Dg * P) throw new RangeError(`grid basis must be ${Dg}×${P}`);
    p.W_query = normal(H * A, 1 / Math.sqrt(H));
    p.W_key = normal(P * A, 1 / Math.sqrt(P));
    // Small at first: the model starts as plain Show and Tell and learns how much to look.
    p.W_context = normal(P * H, 0.1 / Math.sqrt(P));
  }
  return p;
}

/** The dimensions a parameter set implies (so the loss needs no separate config). */
export function configFromParams(params: Params, dropout = 0): DecoderConfig {
  const need = (k: string) => {
    const t = params[k];
    if (!t) throw new Error(`decoder parameters: missing ${k}`);
    return t;
  };
  const D = need('feature_mean').length;
  const V = need('b_vocab').length;
  const H = need('b_0').length / 4;
  const W = need('W_embed').length / V;
  let L = 0;
  while (params[`b_${L}`]) L++;
  const config: DecoderConfig = { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V, dropout };
  if (params.W_concept) {
    const K = params.W_concept.length / (L * H);
    if (!(Number.isInteger(K) && K >= 1))
      throw new Error(`decoder parameters: W_concept has ${params.W_concept.length} elements, not a multiple of ${L * H}`);
    config.conceptDim = K;
  }
  if (params.W_key) {
    const A = need('W_query').length / H;
    const P = params.W_key.length / A;
    const gridDim = need('grid_mean').length;
    if (!(Number.isInteger(A) && Number.isInteger(P) && A >= 1 && P >= 1))
      throw new Error(
        `decoder parameters: W_query (${params.W_query.length}) and W_key (${params.W_key.length}) do not fit hidden size ${H}`,
      );
    config.attention = { gridDim, memoryDim: P, attentionDim: A };
  }
  const shapes = paramShapes(config);
  for (const [k, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (need(k).length !== n) throw new Error(`decoder parameters: ${k} has ${params[k].length} elements, expected ${shape.join('×')}`);
  }
  return config;
}

export function castParams(params: Params, to: 'float32'): Params<Float32Array>;
export function castParams(params: Params, to: 'float64'): Params<Float64Array>;
export function castParams(params: Params, to: 'float32' | 'float64'): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(params)) out[k] = to === 'float64' ? Float64Array.from(v) : Float32Array.from(v);
  return out;
}

export function cloneParams<T extends FloatArray>(params: Params<T>): Params<T> {
  const out: Params<T> = {};
  for (const [k, v] of Object.entries(params)) out[k] = v.slice() as T;
  return out;
}

// ---------------------------------------------------------------------------
// Training loss and gradients

/** N captions of T tokens each (<start> … <end> then PAD), with their images' features. */
export interface CaptionBatch<T extends FloatArray = FloatArray> {
  /** N×D image features (raw; the model standardises them). A text-only row's values are ignored. */
  features: T;
  /** N×K concept scores; required by (and only allowed for) a model with conceptDim K > 0. */
  concepts?: T;
  /** Per row: 1 for a photo, 0 for a text-only caption whose feature is masked out (absent: all photos). */
  hasImage?: Uint8Array;
  /**
   * N×G×P grid memory (`gridMemoryOf`'s values of the photo's grid): required by (and only allowed
   * for) an attending decoder; a text-only row's values are ignored (it has no grid).
   */
  memory?: T;
  /** G, the grid cells per row of `memory`. */
  cells?: number;
  /** N×T token ids, row-major, padded with PAD. */
  captions: Int32Array;
  n: number;
  t: number;
}

export interface LossOptions {
  /** Training mode enables dropout (default false). */
  train?: boolean;
  /** Dropout probability in training (default 0). */
  dropout?: number;
  /** Source of dropout masks; required when training with dropout. */
  rng?: Rng;
  /** Truncated-BPTT window in steps (default: the whole caption, i.e. full BPTT). */
  tbpttWindow?: number;
}

export interface LossResult<T extends FloatArray> {
  /** Mean cross-entropy per real target token. */
  loss: number;
  /** Gradient for every trainable parameter (non-trainable names are absent). */
  grads: Params<T>;
  /** Number of real (non-padding) target tokens. */
  tokens: number;
}

interface Prepared<T extends FloatArray> {
  D: number;
  W: number;
  H: number;
  L: number;
  V: number;
  N: number;
  S: number;
  /** Concept scores per row (N×K), or null when the model has no concept input. */
  concepts: T | null;
  K: number;
  ids: Int32Array;
  targets: Int32Array;
  mask: Uint8Array;
  tokens: number;
  standardized: T;
  layers: LstmParams<T>[];
  /** The attention's memory and weights, or null for a decoder without attention. */
  attention: { memory: AttentionMemory<T>; params: AttentionParams<T>; A: number } | null;
}

function prepare<T extends FloatArray>(params: Params<T>, batch: CaptionBatch<T>): Prepared<T> {
  const config = configFromParams(params);
  const { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = config;
  const K = conceptDimOf(config);
  const { n: N, t: Tcap, captions, features } = batch;
  if (captions.length < N * Tcap) throw new RangeError(`caption batch: ${captions.length} ids for ${N}×${Tcap}`);
  if (features.length < N * D) throw new RangeError(`caption batch: ${features.length} feature values for ${N}×${D}`);
  checkBatchConditioning(batch, N, K);
  const S = Math.max(Tcap - 1, 0);
  // Time-major inputs and targets: row s·N + n is caption n at step s.
  const ids = new Int32Array(S * N);
  const targets = new Int32Array(S * N);
  const mask = new Uint8Array(S * N);
  let tokens = 0;
  for (let s = 0; s < S; s++) {
    for (let n = 0; n < N; n++) {
      const r = s * N + n;
      const input = captions[n * Tcap + s];
      const target = captions[n * Tcap + s + 1];
      ids[r] = target === PAD ? PAD : input;
      targets[r] = target;
      if (target !== PAD) {
        mask[r] = 1;
        tokens++;
      }
    }
  }
  const mean = params.feature_mean,
    std = params.feature_std;
  const standardized = zerosLike(params.W_proj, N * D);
  for (let n = 0; n < N; n++) {
    if (batch.hasImage && batch.hasImage[n] === 0) continue; // a missing image standardises to zero
    const off = n * D;
    for (let j = 0; j < D; j++) standardized[off + j] = (features[off + j] - mean[j]) / std[j];
  }
  const layers: LstmParams<T>[] = [];
  for (let l = 0; l < L; l++) layers.push({ Wx: params[`Wx_${l}`], Wh: params[`Wh_${l}`], b: params[`b_${l}`] });
  const concepts = K > 0 ? (batch.concepts!.subarray(0, N * K) as T) : null;
  const attention = attentionInput(config, params, batch, N);
  return { D, W, H, L, V, N, S, concepts, K, ids, targets, mask, tokens, standardized, layers, attention };
}

function attentionInput<T extends FloatArray>(
  config: DecoderConfig,
  params: Params<T>,
  batch: CaptionBatch<T>,
  N: number,
): Prepared<T>['attention'] {
  const att = attentionOf(config);
  if (!att) {
    if (batch.memory && batch.memory.length > 0) throw new RangeError('caption batch: grid memory given, but the decoder has no attention');
    return null;
  }
  const G = batch.cells ?? 0;
  const P = att.memoryDim;
  if (!batch.memory || !(Number.isInteger(G) && G >= 1) || batch.memory.length !== N * G * P) {
    throw new RangeError(
      `caption batch: the decoder attends over grid memory of ${P} values per cell; got ${batch.memory?.length ?? 0} values for ${N} rows of ${G} cells`,
    );
  }
  const hasGrid = batch.hasImage ? batch.hasImage.subarray(0, N) : new Uint8Array(N).fill(1);
  return {
    memory: { values: batch.memory.subarray(0, N * G * P) as T, hasGrid, N, G, P },
    params: { W_query: params.W_query, W_key: params.W_key, W_context: params.W_context },
    A: att.attentionDim,
  };
}

function checkBatchConditioning(batch: CaptionBatch, N: number, K: number): void {
  const { concepts, hasImage } = batch;
  if (hasImage && hasImage.length < N) throw new RangeError(`caption batch: hasImage has ${hasImage.length} entries for ${N} rows`);
  if (K === 0) {
    if (concepts && concepts.length > 0) throw new RangeError('caption batch: concept scores given, but the decoder has no concept input');
    return;
  }
  if (!concepts || concepts.length < N * K) {
    throw new RangeError(`caption batch: the decoder reads ${K} concept scores per row; got ${concepts?.length ?? 0} values for ${N} rows`);
  }
}

/**
 * Loss and gradients of one batch (float64 parameters give float64 gradients, for checks).
 * With `train` and `dropout`, masks come from `rng` in a fixed order, so a seed reproduces them.
 */
export function lossAndGrads<T extends FloatArray>(params: Params<T>, batch: CaptionBatch<T>, options: LossOptions = {}): LossResult<T> {
  return run(params, batch, options, true) as LossResult<T>;
}

/** Loss only (evaluation mode unless told otherwise), without the backward pass. */
export function evaluateLoss<T extends FloatArray>(
  params: Params<T>,
  batch: CaptionBatch<T>,
  options: LossOptions = {},
): { loss: number; tokens: number } {
  const r = run(params, batch, options, false);
  return { loss: r.loss, tokens: r.tokens };
}

function run<T extends FloatArray>(
  params: Params<T>,
  batch: CaptionBatch<T>,
  options: LossOptions,
  wantGrads: boolean,
): { loss: number; tokens: number; grads: Params<T> | null } {
  const P = prepare(params, batch);
  const { D, W, H, L, V, N, S } = P;
  const train = options.train ?? false;
  const p = train ? (options.dropout ?? 0) : 0;
  const rng = options.rng ?? null;
  if (p > 0 && !rng) throw new Error('lossAndGrads: training with dropout needs options.rng');
  const window = Math.max(1, Math.floor(options.tbpttWindow ?? S) || S || 1);
  const drop = { p, rng, train };

  const grads: Params<T> | null = wantGrads ? {} : null;
  const add = (name: string, g: T) => addGradient(grads!, name, g);
  if (P.tokens === 0) return { loss: 0, tokens: 0, grads: grads && withZeroGradients(grads, params) };

  const [initial, initCache] = initialStateForward(P.standardized, params.W_proj, params.b_proj, N, D, L, H, conceptInput(P, params));
  let hs = initial.h;
  let cs = initial.c;
  let dh0s: T[] | null = null;

  let loss = 0;
  for (let s0 = 0; s0 < S; s0 += window) {
    const s1 = Math.min(S, s0 + window);
    const Tw = s1 - s0;
    const ids = P.ids.subarray(s0 * N, s1 * N);
    const [emb, embCache] = wordEmbeddingForward(ids, params.W_embed, V, W);
    const [embDropped, embDrop] = dropoutForward(emb, p, rng, train);
    const [hTop, lstmCache] = stackedLstmForward(embDropped, hs, cs, P.layers, Tw, N, W, H, drop);
    const [hOut, attCache] = attendForward(P, hTop, Tw);
    const [hDropped, topDrop] = dropoutForward(hOut, p, rng, train);
    const [scores, vocabCache] = temporalAffineForward(hDropped, params.W_vocab, params.b_vocab, Tw, N, H, V);
    // The scores buffer becomes its own gradient in place (it is not needed afterwards).
    const [chunkLoss, dscores] = temporalSoftmaxLoss(
      scores,
      P.targets.subarray(s0 * N, s1 * N),
      P.mask.subarray(s0 * N, s1 * N),
      V,
      P.tokens,
      scores,
    );
    loss += chunkLoss;
    // Carry the state's values into the next window; no gradient flows back across the edge.
    const next = stackedLstmFinalState(lstmCache);
    if (grads) {
      const gv = temporalAffineBackward(dscores, vocabCache);
      add('W_vocab', gv.dw);
      add('b_vocab', gv.db);
      const dhOut = dropoutBackward(gv.dx, topDrop);
      const gl = stackedLstmBackward(attCache ? attendBackward(dhOut, attCache, add) : dhOut, lstmCache);
      for (let l = 0; l < L; l++) {
        add(`Wx_${l}`, gl.grads[l].dWx);
        add(`Wh_${l}`, gl.grads[l].dWh);
        add(`b_${l}`, gl.grads[l].db);
      }
      if (s0 === 0) dh0s = gl.dh0s; // c0 is the constant 0: its gradient goes nowhere
      if (!grads.W_embed) grads.W_embed = zerosLike(params.W_embed, params.W_embed.length);
      wordEmbeddingBackward(dropoutBackward(gl.dx, embDrop), embCache, grads.W_embed);
    }
    hs = next.h;
    cs = next.c;
  }

  if (grads && dh0s) {
    const gp = initialStateBackward(dh0s, initCache);
    add('W_proj', gp.dw);
    add('b_proj', gp.db);
    if (gp.dConcept) add('W_concept', gp.dConcept);
  }
  return { loss, tokens: P.tokens, grads: grads && withZeroGradients(grads, params) };
}

/** A gradient tensor is taken over as-is the first time it appears and summed after that. */
function addGradient<T extends FloatArray>(grads: Params<T>, name: string, g: T): void {
  const into = grads[name];
  if (!into) grads[name] = g;
  else for (let i = 0; i < into.length; i++) into[i] += g[i];
}

/** The gradients with a zero tensor for every trainable parameter nothing reached. */
function withZeroGradients<T extends FloatArray>(grads: Params<T>, params: Params<T>): Params<T> {
  for (const [k, v] of Object.entries(params)) if (isTrainable(k) && !grads[k]) grads[k] = zerosLike(v, v.length);
  return grads;
}

/** The top layer's output for the vocabulary: h + attention's context for an attending decoder, else h itself. */
function attendForward<T extends FloatArray>(P: Prepared<T>, hTop: T, Tw: number): [T, AttentionCache<T> | null] {
  const att = P.attention;
  return att ? attentionForward(hTop, att.memory, att.params, Tw * P.N, P.H, att.A) : [hTop, null];
}

/** Back through the attention: its weights' gradients added, the gradient of the top layer's h returned. */
function attendBackward<T extends FloatArray>(dout: T, cache: AttentionCache<T>, add: (name: string, g: T) => void): T {
  const ga = attentionBackward(dout, cache);
  add('W_query', ga.dW_query);
  add('W_key', ga.dW_key);
  add('W_context', ga.dW_context);
  return ga.dh;
}

/** The concept term of the initial state: scores s (N×K) and W_concept (K×L·H). */
interface ConceptInput<T extends FloatArray> {
  s: T;
  W: T;
  K: number;
}

function conceptInput<T extends FloatArray>(P: Prepared<T>, params: Params<T>): ConceptInput<T> | null {
  return P.concepts ? { s: P.concepts, W: params.W_concept, K: P.K } : null;
}

interface InitialStateCache<T extends FloatArray> {
  /** tanh(features·W_proj + s·W_concept + b_proj), N×L·H: layer l's h0 is columns l·H … (l+1)·H. */
  proj: T;
  projCache: AffineCache<T>;
  concept: ConceptInput<T> | null;
  N: number;
  L: number;
  H: number;
}

/**
 * Image (and concepts) -> initial state of every layer: h0 = tanh(features·W_proj + s·W_concept + b_proj)
 * split into L slices of H, c0 = 0. features: N×D standardized (text-only rows already zero);
 * concept: null for a model without concepts. Returns [{ h, c } (L arrays of N×H each), cache].
 */
function initialStateForward<T extends FloatArray>(
  features: T,
  W_proj: T,
  b_proj: T,
  N: number,
  D: number,
  L: number,
  H: number,
  concept: ConceptInput<T> | null = null,
): [{ h: T[]; c: T[] }, InitialStateCache<T>] {
  const [proj, projCache] = affineForward(features, W_proj, b_proj, N, D, L * H);
  if (concept) gemm(concept.s, concept.W, proj, N, concept.K, L * H, { accumulate: true });
  for (let i = 0; i < proj.length; i++) proj[i] = Math.tanh(proj[i]);
  const h: T[] = [];
  const c: T[] = [];
  for (let l = 0; l < L; l++) {
    const hl = zerosLike(proj, N * H);
    for (let n = 0; n < N; n++) hl.set(proj.subarray(n * L * H + l * H, n * L * H + (l + 1) * H), n * H);
    h.push(hl);
    c.push(zerosLike(proj, N * H));
  }
  return [
    { h, c },
    { proj, projCache, concept, N, L, H },
  ];
}

/**
 * Back through tanh and the projections, from the gradient of every layer's h0 (c0 is the constant 0):
 * the affine layer's gradients, and dConcept = sᵀ·dproj (K×L·H) for W_concept when the model has concepts.
 */
function initialStateBackward<T extends FloatArray>(dh0s: T[], cache: InitialStateCache<T>): AffineGrads<T> & { dConcept?: T } {
  const { proj, N, L, H } = cache;
  const dproj = zerosLike(proj, N * L * H);
  for (let n = 0; n < N; n++) {
    for (let l = 0; l < L; l++) {
      const src = dh0s[l];
      for (let j = 0; j < H; j++) {
        const k = n * L * H + l * H + j;
        dproj[k] = src[n * H + j] * (1 - proj[k] * proj[k]);
      }
    }
  }
  const grads = affineBackward(dproj, cache.projCache);
  const concept = cache.concept;
  if (!concept) return grads;
  const dConcept = zerosLike(proj, concept.K * L * H);
  gemm(concept.s, dproj, dConcept, concept.K, N, L * H, { transA: true });
  return { ...grads, dConcept };
}

// ---------------------------------------------------------------------------
// Decoding: one step at a time

/**
 * The trained decoder as a `StepModel` for greedy, beam and sampling search: the same maths as
 * training (evaluation mode, no dropout) in float32, one token per row per step.
 *
 * Decoding multiplies a few rows at a time by the same weights, so the weights are frozen into
 * the matrix module (packed once, see `freezeMatrix`): the model is a snapshot of `params` at
 * construction; build a new one after further training.
 */
export class DecoderStepModel implements StepModel {
  readonly vocabSize: number;
  readonly conceptDim: number;
  readonly config: DecoderConfig;
  private readonly embed: Float32Array;
  private readonly mean: Float32Array;
  private readonly std: Float32Array;
  readonly featureStats: FeatureStats;
  private readonly proj: FrozenMatrix;
  /** W_concept (K×L·H), when the model reads concepts. */
  private readonly concept: FrozenMatrix | null = null;
  /** Per layer: input weights with the bias, and recurrent weights. */
  private readonly wx: FrozenMatrix[] = [];
  private readonly wh: FrozenMatrix[] = [];
  private readonly vocab: FrozenMatrix;
  /**
   * Layer 0's input term for every word, W_embed·Wx_0 + b_0 (V×4H), when it fits in 64 MB:
   * a row copy then replaces one product per step.
   */
  private readonly inputTable: Float32Array | null = null;
  /** Dg, the channels per grid cell initState reads (0 without attention). */
  readonly gridDim: number;
  private readonly attention: { grid: GridWeights; query: FrozenMatrix; context: FrozenMatrix } | null = null;

  /**
   * `inputTable` (default true): precompute layer 0's input term per word.
   * `int8` (default false): recurrent and output weights as 8-bit integers with per-column
   * scales (see `freezeMatrix`): faster decoding, log-probabilities within about 1%.
   */
  constructor(params: Params<Float32Array>, options: { inputTable?: boolean; int8?: boolean } = {}) {
    this.config = configFromParams(params);
    const { featureDim: D, embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = this.config;
    this.vocabSize = V;
    this.embed = params.W_embed.slice();
    this.mean = params.feature_mean.slice();
    this.std = params.feature_std.slice();
    this.featureStats = { mean: this.mean, std: this.std };
    this.proj = freezeMatrix(params.W_proj, D, L * H, params.b_proj);
    this.conceptDim = conceptDimOf(this.config);
    if (this.conceptDim > 0) this.concept = freezeMatrix(params.W_concept, this.conceptDim, L * H);
    for (let l = 0; l < L; l++) {
      const q = { int8: options.int8 ?? false };
      this.wx.push(freezeMatrix(params[`Wx_${l}`], l === 0 ? W : H, 4 * H, params[`b_${l}`], q));
      this.wh.push(freezeMatrix(params[`Wh_${l}`], H, 4 * H, undefined, q));
    }
    this.vocab = freezeMatrix(params.W_vocab, H, V, params.b_vocab, { int8: options.int8 ?? false });
    if ((options.inputTable ?? true) && V * 4 * H <= 16 * 1024 * 1024) {
      this.inputTable = new Float32Array(V * 4 * H);
      gemm(this.embed, params.Wx_0, this.inputTable, V, W, 4 * H, { bias: params.b_0 });
    }
    const grid = gridWeightsOf(params);
    this.gridDim = grid?.config.gridDim ?? 0;
    if (grid) {
      this.attention = {
        grid,
        query: freezeMatrix(params.W_query, H, grid.config.attentionDim),
        context: freezeMatrix(params.W_context, grid.config.memoryDim, H),
      };
    }
  }

  initState(features: Float32Array, n: number, concepts?: Float32Array, grid?: Float32Array): RecurrentState {
    const { featureDim: D, hiddenDim: H, layers: L } = this.config;
    if (features.length < n * D) throw new RangeError(`initState: ${features.length} feature values for ${n}×${D}`);
    checkConcepts(concepts, n, this.conceptDim);
    const memory = gridMemoryOf(this.attention?.grid ?? null, grid, n);
    const x = new Float32Array(n * D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) x[i * D + j] = (features[i * D + j] - this.mean[j]) / this.std[j];
    const proj = new Float32Array(n * L * H);
    gemmFrozen(x, this.proj, proj, n);
    // No concepts given: all scores 0, so the term is 0 and h0 comes from the image alone.
    if (this.concept && concepts && n > 0) gemmFrozen(concepts, this.concept, proj, n, { accumulate: true });
    const h: Float32Array[] = [];
    const c: Float32Array[] = [];
    for (let l = 0; l < L; l++) {
      const hl = new Float32Array(n * H);
      for (let i = 0; i < n; i++) for (let j = 0; j < H; j++) hl[i * H + j] = Math.tanh(proj[i * L * H + l * H + j]);
      h.push(hl);
      c.push(new Float32Array(n * H));
    }
    return memory ? { n, h, c, memory } : { n, h, c };
  }

  step(state: RecurrentState, tokens: Int32Array): Float32Array {
    const { embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = this.config;
    const n = state.n;
    if (tokens.length !== n) throw new RangeError(`step: ${tokens.length} tokens for ${n} rows`);
    let x: Float32Array = this.inputTable ? this.embed : wordEmbeddingForward(tokens, this.embed, V, W)[0];
    for (let i = 0; i < n; i++)
      if (!(tokens[i] >= 0 && tokens[i] < V)) throw new RangeError(`step: token id ${tokens[i]} outside vocabulary of ${V}`);
    for (let l = 0; l < L; l++) {
      // a = x·Wx + b + h·Wh, then the gates (lstm.ts) give the next c and h.
      const a = new Float32Array(n * 4 * H);
      if (l === 0 && this.inputTable) {
        for (let i = 0; i < n; i++) a.set(this.inputTable.subarray(tokens[i] * 4 * H, (tokens[i] + 1) * 4 * H), i * 4 * H);
      } else gemmFrozen(x, this.wx[l], a, n);
      gemmFrozen(state.h[l], this.wh[l], a, n, { accumulate: true });
      const c = new Float32Array(n * H);
      const tanhC = new Float32Array(n * H);
      const h = new Float32Array(n * H);
      gatesForward(a, 0, state.c[l], 0, c, tanhC, h, 0, n, H);
      state.h[l] = h;
      state.c[l] = c;
      x = h;
    }
    if (this.attention) {
      if (!state.memory) throw new RangeError('step: the decoder attends over a grid, but the state holds no grid memory');
      x = this.attendStep(x, state.memory, n);
    }
    const scores = new Float32Array(n * V);
    gemmFrozen(x, this.vocab, scores, n);
    logSoftmaxRows(scores, n, V);
    return scores;
  }

  /** h + c·W_context for the top layer's h (n×H), c attending over each row's own memory. */
  private attendStep(h: Float32Array, memory: GridMemory, n: number): Float32Array {
    const att = this.attention!;
    const { memoryDim: P, attentionDim: A } = att.grid.config;
    const H = this.config.hiddenDim;
    const G = memory.cells;
    const q = new Float32Array(n * A);
    gemmFrozen(h, att.query, q, n);
    const alpha = new Float32Array(n * G);
    const context = new Float32Array(n * P);
    const all = { values: memory.values, hasGrid: new Uint8Array(n).fill(1), N: n, G, P };
    attend(q, memory.keys, all, n, A, (r) => r, alpha, context);
    const out = h.slice(0, n * H);
    gemmFrozen(context, att.context, out, n, { accumulate: true });
    return out;
  }

  selectRows(state: RecurrentState, rows: Int32Array): RecurrentState {
    return selectStateRows(state, rows, this.config.hiddenDim);
  }
}

/** What a step model turns a grid into memory with: the decoder's basis and W_key. */
export interface GridWeights {
  config: AttentionConfig;
  grid_mean: Float32Array;
  grid_basis: Float32Array;
  W_key: Float32Array;
}

/** A copy of the grid weights of a decoder with attention (a step model is a snapshot of its weights), or null. */
export function gridWeightsOf(params: Params<Float32Array>): GridWeights | null {
  const config = attentionOf(configFromParams(params));
  return config && { config, grid_mean: params.grid_mean.slice(), grid_basis: params.grid_basis.slice(), W_key: params.W_key.slice() };
}

/**
 * A step model's initState: n photos' grid memory and keys from the encoder's grid (n×G×Dg), or
 * null for a decoder without attention (`att` null), which refuses a grid. `values` are the rows
 * a CaptionBatch's `memory` holds.
 */
export function gridMemoryOf(att: GridWeights | null, grid: Float32Array | undefined, n: number): GridMemory | null {
  if (!att) {
    if (grid && grid.length > 0) throw new RangeError('initState: a grid given, but the decoder has no attention');
    return null;
  }
  const { gridDim: Dg, memoryDim: P, attentionDim: A } = att.config;
  const cells = grid && n > 0 ? grid.length / (n * Dg) : 0;
  if (!grid || !(Number.isInteger(cells) && cells >= 1)) {
    throw new RangeError(
      `initState: the decoder attends over the photo's grid (${Dg} values per cell); got ${grid?.length ?? 0} values for ${n} photos`,
    );
  }
  const values = reduceGrid(grid, n * cells, att.grid_mean, att.grid_basis, Dg, P);
  return { values, keys: attentionKeys(values, att.W_key, n * cells, P, A), cells };
}

/**
 * A StepModel's check of the concept scores given to initState: n×K values for a model with
 * K > 0 concept inputs (or none at all: all scores 0), and none for a model without.
 */
export function checkConcepts(concepts: Float32Array | undefined, n: number, K: number): void {
  if (!concepts) return;
  if (K === 0) {
    if (concepts.length > 0) throw new RangeError('initState: concept scores given, but the decoder has no concept input');
    return;
  }
  if (concepts.length < n * K) throw new RangeError(`initState: ${concepts.length} concept scores for ${n}×${K}`);
}

/** A StepModel's selectRows: the state of rows `rows` (in that order; a row may repeat), H values per row and layer. */
export function selectStateRows(state: RecurrentState, rows: Int32Array, H: number): RecurrentState {
  // Every per-row array holds the same number of values per row: H for h and c, G·P and G·A for the memory.
  const pick = (a: Float32Array, width = H) => {
    const out = new Float32Array(rows.length * width);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r < 0 || r >= state.n) throw new RangeError(`selectRows: row ${r} outside 0…${state.n - 1}`);
      out.set(a.subarray(r * width, (r + 1) * width), i * width);
    }
    return out;
  };
  const selected: RecurrentState = { n: rows.length, h: state.h.map((a) => pick(a)), c: state.c.map((a) => pick(a)) };
  const m = state.memory;
  if (m)
    selected.memory = { values: pick(m.values, m.values.length / state.n), keys: pick(m.keys, m.keys.length / state.n), cells: m.cells };
  return selected;
}

function logSoftmaxRows(x: Float32Array, n: number, V: number): void {
  for (let i = 0; i < n; i++) {
    const off = i * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (x[off + j] > max) max = x[off + j];
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(x[off + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < V; j++) x[off + j] -= lse;
  }
}

export function createStepModel(params: Params<Float32Array>, options: { int8?: boolean } = {}): StepModel {
  return new DecoderStepModel(params, options);
}
