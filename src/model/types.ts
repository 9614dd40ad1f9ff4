/**
 * Shapes and contracts shared by the decoder's layers, model, trainer, decoding and I/O.
 * Every tensor is a flat row-major typed array; shapes are documented where used.
 */
import type { FloatArray } from './matmul.js';
import type { FeatureStats } from './unfamiliar.js';
export type { FloatArray } from './matmul.js';

/** Architecture of the Show-and-Tell caption decoder. */
export interface DecoderConfig {
  /** D: length of the image feature vector the encoder gives. */
  featureDim: number;
  /** W: word-embedding size. */
  embedDim: number;
  /** H: LSTM hidden size (every layer). */
  hiddenDim: number;
  /** L: stacked LSTM layers. */
  layers: number;
  /** V: vocabulary size, special tokens included. */
  vocabSize: number;
  /** Dropout probability used in training (0 disables). */
  dropout: number;
  /**
   * K: length of the concept-score vector that conditions the initial state with the image
   * (src/model/decoder.ts). 0 or absent: no concept input, the plain Show-and-Tell model.
   */
  conceptDim?: number;
  /**
   * Soft attention over the photo's spatial grid (src/model/layers/attention.ts); absent: none.
   * gridDim Dg: channels of a grid cell as the encoder gives it; memoryDim P: what the decoder's
   * fixed basis reduces a cell to; attentionDim A: the size of keys and queries.
   */
  attention?: AttentionConfig;
}

export interface AttentionConfig {
  gridDim: number;
  memoryDim: number;
  attentionDim: number;
}

/**
 * Named parameter tensors, e.g. `W_proj` (D×H), `b_proj` (H), `W_embed` (V×W),
 * `Wx_0` (W×4H), `Wh_0` (H×4H), `b_0` (4H), …, `W_vocab` (H×V), `b_vocab` (V).
 * The exact names and shapes are fixed by src/model/decoder.ts and saved as-is.
 */
export type Params<T extends FloatArray = FloatArray> = Record<string, T>;
export type Shapes = Record<string, number[]>;

/** Special tokens; ids are fixed so every saved vocabulary agrees. */
export const PAD = 0;
export const START = 1;
export const END = 2;
export const UNK = 3;
export const SPECIAL_TOKENS = ['<pad>', '<start>', '<end>', '<unk>'] as const;

/**
 * The per-step view of a trained decoder that decoding (greedy, beam, sampling) needs.
 * State is opaque to the decoder search: it only copies rows of it.
 */
export interface StepModel {
  readonly vocabSize: number;
  /** K, the concept scores per image the initial state reads (0 or absent: none). */
  readonly conceptDim?: number;
  /**
   * Initial recurrent state for N images; features is N×D, concepts N×K (only for a model
   * with conceptDim K > 0; absent means no concept detected, all scores 0); grid N×G×Dg, the
   * encoder's spatial grid (required by, and only allowed for, a model with gridDim Dg > 0).
   */
  initState(features: Float32Array, n: number, concepts?: Float32Array, grid?: Float32Array): RecurrentState;
  /** Dg, the channels per grid cell an attending decoder reads (0 or absent: it reads no grid). */
  readonly gridDim?: number;
  /** The training statistics initState standardises features with (unfamiliar.ts measures distance by them). */
  readonly featureStats?: FeatureStats;
  /**
   * Feed one token per row (tokens: N ids) and return log-probabilities N×V,
   * advancing `state` in place.
   */
  step(state: RecurrentState, tokens: Int32Array): Float32Array;
  /** A new state holding rows `rows` of `state` (for beam reordering). */
  selectRows(state: RecurrentState, rows: Int32Array): RecurrentState;
}

/** Hidden and cell states per layer, each N×H; for an attending decoder, each row's grid memory too. */
export interface RecurrentState {
  n: number;
  h: Float32Array[];
  c: Float32Array[];
  memory?: GridMemory;
}

/** Per row: G cells of P values (N×G×P) and their attention keys (N×G×A). */
export interface GridMemory {
  values: Float32Array;
  keys: Float32Array;
  cells: number;
}
