/**
 * The trained decoder's step compiled into ONNX graphs, for fast captioning.
 *
 * Why: decoding multiplies only a few rows (k beams per image) by the full weight matrices at
 * every word. A general product with the weights as an *input* makes onnxruntime repack the
 * whole weight matrix on every call, which costs more than the arithmetic (measured here:
 * ~90 ms per beam-3 caption through decoder.ts's DecoderStepModel). With the weights as graph
 * *constants*, onnxruntime packs them once when the session is built, and one native call per
 * step runs the whole step. The maths is exactly decoder.ts's (same parameter names, the same
 * gate order i, f, o, g, the same standardisation of the features), and the tests check the
 * two agree to float32 rounding.
 *
 *   init graph:  features (N×D) -> (f − feature_mean) / feature_std -> ·W_proj + b_proj -> tanh
 *                -> h0 (N×L·H; layer l is columns l·H … (l+1)·H), c0 = 0
 *                with concepts (K > 0): a second input concepts (N×K), and ·W_concept is added
 *                before the tanh: h0 = tanh(f·W_proj + s·W_concept + b_proj)
 *   step graph:  tokens (N, int32), h_l, c_l (N×H each)
 *                x = W_embed[tokens]
 *                per layer: a = x·Wx_l + h_l·Wh_l + b_l   (layer 0: x·Wx_0 + b_0 is a row of the
 *                           precomputed table W_embed·Wx_0 + b_0, so Wx_0 is not read per step);  i, f, o, g = σ, σ, σ, tanh of the four
 *                           H-wide slices of a;  c'_l = f⊙c_l + i⊙g;  h'_l = o⊙tanh(c'_l);  x = h'_l
 *                with attention: inputs memory_values (N×G×P) and memory_keys (N×G×A), each row's grid
 *                memory (decoder.ts's gridMemoryOf, made in initState), and before the vocabulary
 *                x = x + (softmax(x·W_query · keysᵀ / √A) · values)·W_context   (layers/attention.ts)
 *                logp = log_softmax(x·W_vocab + b_vocab)   (N×V)
 *
 * Runs synchronously through onnxruntime-node's native session (the public `run()` only wraps
 * the same call in a Promise), so it is a plain `StepModel`.
 */
import { addRowVector } from './layers/tensor.js';
import { gemm } from './matmul.js';
import {
  checkConcepts,
  conceptDimOf,
  configFromParams,
  gridMemoryOf,
  gridWeightsOf,
  selectStateRows,
  type GridWeights,
} from './decoder.js';
import { DataType, OnnxGraph } from './onnx-graph.js';
import { nativeRuntime, nativeSessionOptions, type NativeRuntime, type NativeSession } from './onnx-runtime.js';
import type { DecoderConfig, Params, RecurrentState, StepModel } from './types.js';
import type { FeatureStats } from './unfamiliar.js';

export interface OnnxStepOptions {
  /** onnxruntime intra-op threads; 0 = its default (all cores). Default: LENSCRIBE_THREADS or 0. */
  threads?: number;
  /** Precompute layer 0's input term per word (see inputTable); default: when it is <= 64 MB. */
  inputTable?: boolean;
}

const { FLOAT, INT32 } = DataType;

function encode(g: OnnxGraph, graphName: string): Uint8Array {
  return g.encode({ producer: 'lenscribe-decoder', graphName });
}

/** features (and concepts, when K > 0) -> initial hidden state of every layer, concatenated (N×L·H). */
export function buildInitGraph(params: Params<Float32Array>, c: DecoderConfig): Uint8Array {
  const LH = c.layers * c.hiddenDim;
  const K = conceptDimOf(c);
  const g = new OnnxGraph();
  const features = g.input('features', FLOAT, ['n', c.featureDim]);
  const centred = g.node('Sub', [features, g.constant('feature_mean', params.feature_mean!, [c.featureDim])], 'centred');
  const standardised = g.node('Div', [centred, g.constant('feature_std', params.feature_std!, [c.featureDim])], 'standardised');
  let projected = g.node('MatMul', [standardised, g.constant('W_proj', params.W_proj!, [c.featureDim, LH])], 'proj_mm');
  if (K > 0) {
    const concepts = g.input('concepts', FLOAT, ['n', K]);
    const fromConcepts = g.node('MatMul', [concepts, g.constant('W_concept', params.W_concept!, [K, LH])], 'concept_mm');
    projected = g.node('Add', [projected, fromConcepts], 'proj_both');
  }
  const proj = g.node('Add', [projected, g.constant('b_proj', params.b_proj!, [LH])], 'proj');
  g.output(g.node('Tanh', [proj], 'h0'), 'h0', ['n', LH]);
  return encode(g, 'decoder_init');
}

/**
 * Layer 0's input term for every word, W_embed·Wx_0 + b_0 (V×4H): with it, a step reads
 * k rows of this table instead of the whole Wx_0 (the embedding feeds nothing else).
 */
export function inputTable(params: Params<Float32Array>, c: DecoderConfig): Float32Array {
  const { embedDim: W, hiddenDim: H, vocabSize: V } = c;
  const table = new Float32Array(V * 4 * H);
  gemm(params.W_embed!, params.Wx_0!, table, V, W, 4 * H);
  addRowVector(table, params.b_0!, V, 4 * H);
  return table;
}

/** Largest input table built (bytes); above it the step multiplies by Wx_0 instead. */
const MAX_INPUT_TABLE_BYTES = 64 * 1024 * 1024;

/** One decoding step for every layer and the output distribution. */
export function buildStepGraph(params: Params<Float32Array>, c: DecoderConfig, useTable?: boolean): Uint8Array {
  useTable ??= c.vocabSize * 4 * c.hiddenDim * 4 <= MAX_INPUT_TABLE_BYTES;
  const { embedDim: W, hiddenDim: H, layers: L, vocabSize: V } = c;
  const g = new OnnxGraph();
  const tokens = g.input('tokens', INT32, ['n']);
  const gateSizes = g.int64Constant('gate_sizes', [H, H, H, H]);
  // Layer 0's input term: a row of the precomputed table, or the embedding times Wx_0 below.
  const table = useTable ? g.constant('input_table', inputTable(params, c), [V, 4 * H]) : '';
  let x = useTable ? '' : g.node('Gather', [g.constant('W_embed', params.W_embed!, [V, W]), tokens], 'x_0', { axis: 0 });
  for (let l = 0; l < L; l++) {
    const h = g.input(`h_${l}`, FLOAT, ['n', H]);
    const cell = g.input(`c_${l}`, FLOAT, ['n', H]);
    const ah = g.node('MatMul', [h, g.constant(`Wh_${l}`, params[`Wh_${l}`], [H, 4 * H])], `ah_${l}`);
    let a: string;
    if (useTable && l === 0) {
      a = g.node('Add', [g.node('Gather', [table, tokens], 'ax_0', { axis: 0 }), ah], 'a_0');
    } else {
      const ax = g.node('MatMul', [x, g.constant(`Wx_${l}`, params[`Wx_${l}`], [l === 0 ? W : H, 4 * H])], `ax_${l}`);
      const axh = g.node('Add', [ax, ah], `axh_${l}`);
      a = g.node('Add', [axh, g.constant(`b_${l}`, params[`b_${l}`], [4 * H])], `a_${l}`);
    }
    const [hNext, cNext] = lstmGates(g, a, cell, gateSizes, l);
    g.output(hNext, hNext, ['n', H]);
    g.output(cNext, cNext, ['n', H]);
    x = hNext;
  }
  if (c.attention) x = attendGraph(g, params, c, x);
  const scores = g.node('MatMul', [x, g.constant('W_vocab', params.W_vocab!, [H, V])], 'scores_mm');
  const biased = g.node('Add', [scores, g.constant('b_vocab', params.b_vocab!, [V])], 'scores');
  g.output(g.node('LogSoftmax', [biased], 'logp', { axis: 1 }), 'logp', ['n', V]);
  return encode(g, 'decoder_step');
}

/** h (n×H) -> h + c·W_context, c attending over each row's memory (the inputs memory_values, memory_keys). */
function attendGraph(g: OnnxGraph, params: Params<Float32Array>, c: DecoderConfig, h: string): string {
  const { memoryDim: P, attentionDim: A } = c.attention!;
  const H = c.hiddenDim;
  const values = g.input('memory_values', FLOAT, ['n', 'g', P]);
  const keys = g.input('memory_keys', FLOAT, ['n', 'g', A]);
  const q = g.node('MatMul', [h, g.constant('W_query', params.W_query!, [H, A])], 'att_q');
  const q3 = g.node('Reshape', [q, g.int64Constant('att_q_shape', [-1, 1, A])], 'att_q3');
  const keysT = g.node('Transpose', [keys], 'att_keys_t', { perm: [0, 2, 1] });
  const z = g.node(
    'Mul',
    [g.node('MatMul', [q3, keysT], 'att_z_mm'), g.constant('att_scale', Float32Array.of(1 / Math.sqrt(A)), [])],
    'att_z',
  );
  const alpha = g.node('Softmax', [z], 'att_alpha', { axis: 2 });
  const context = g.node('Reshape', [g.node('MatMul', [alpha, values], 'att_c3'), g.int64Constant('att_c_shape', [-1, P])], 'att_c');
  const fromContext = g.node('MatMul', [context, g.constant('W_context', params.W_context!, [P, H])], 'att_out_mm');
  return g.node('Add', [h, fromContext], 'att_out');
}

/** i, f, o, g = σ, σ, σ, tanh of a's four H-wide slices;  c' = f⊙c + i⊙g;  h' = o⊙tanh(c'). Returns [h', c']. */
function lstmGates(g: OnnxGraph, a: string, c: string, gateSizes: string, l: number): [string, string] {
  const [ai, af, ao, ag] = g.nodeWithOutputs('Split', [a, gateSizes], [`ai_${l}`, `af_${l}`, `ao_${l}`, `ag_${l}`], { axis: 1 });
  const i = g.node('Sigmoid', [ai], `i_${l}`);
  const f = g.node('Sigmoid', [af], `f_${l}`);
  const o = g.node('Sigmoid', [ao], `o_${l}`);
  const gate = g.node('Tanh', [ag], `g_${l}`);
  const cNext = g.node('Add', [g.node('Mul', [f, c], `fc_${l}`), g.node('Mul', [i, gate], `ig_${l}`)], `c_next_${l}`);
  const hNext = g.node('Mul', [o, g.node('Tanh', [cNext], `tc_${l}`)], `h_next_${l}`);
  return [hNext, cNext];
}

/** A `StepModel` running decoder.ts's decoder through two onnxruntime sessions. */
export class OnnxStepModel implements StepModel {
  readonly vocabSize: number;
  readonly conceptDim: number;
  /** Dg, the channels per grid cell initState reads (0 without attention). */
  readonly gridDim: number;
  /** What initState reduces a grid with (null without attention). */
  private readonly gridWeights: GridWeights | null;
  readonly config: DecoderConfig;
  readonly featureStats: FeatureStats;
  private readonly init: NativeSession;
  private readonly stepSession: NativeSession;
  private readonly ort: NativeRuntime;
  private readonly fetchInit = { h0: null };
  private readonly fetchStep: Record<string, null>;

  constructor(params: Params<Float32Array>, options: OnnxStepOptions = {}) {
    this.config = configFromParams(params);
    this.vocabSize = this.config.vocabSize;
    this.featureStats = { mean: params.feature_mean!.slice(), std: params.feature_std!.slice() };
    this.gridWeights = gridWeightsOf(params);
    this.gridDim = this.gridWeights?.config.gridDim ?? 0;
    this.conceptDim = conceptDimOf(this.config);
    this.ort = nativeRuntime();
    const threads = options.threads ?? (Number(process.env.LENSCRIBE_THREADS) || 0);
    const load = (bytes: Uint8Array) => this.ort.createSession(bytes, nativeSessionOptions(threads));
    this.init = load(buildInitGraph(params, this.config));
    this.stepSession = load(buildStepGraph(params, this.config, options.inputTable));
    this.fetchStep = { logp: null };
    for (let l = 0; l < this.config.layers; l++) {
      this.fetchStep[`h_next_${l}`] = null;
      this.fetchStep[`c_next_${l}`] = null;
    }
  }

  initState(features: Float32Array, n: number, concepts?: Float32Array, grid?: Float32Array): RecurrentState {
    if (this.disposed) throw new Error('OnnxStepModel: used after dispose()');
    const memory = n > 0 ? gridMemoryOf(this.gridWeights, grid, n) : null;
    const { featureDim: D, hiddenDim: H, layers: L } = this.config;
    if (features.length < n * D) throw new RangeError(`initState: ${features.length} feature values for ${n}×${D}`);
    checkConcepts(concepts, n, this.conceptDim);
    const h: Float32Array[] = [];
    const c: Float32Array[] = [];
    if (n === 0) {
      for (let l = 0; l < L; l++) {
        h.push(new Float32Array(0));
        c.push(new Float32Array(0));
      }
      return { n, h, c };
    }
    const x = new this.ort.Tensor('float32', features.length === n * D ? features : features.subarray(0, n * D), [n, D]);
    const feeds: Record<string, object> = { features: x };
    const K = this.conceptDim;
    // No concepts given: all scores 0 (h0 from the image alone), as in decoder.ts.
    if (K > 0)
      feeds.concepts = new this.ort.Tensor(
        'float32',
        !concepts ? new Float32Array(n * K) : concepts.length === n * K ? concepts : concepts.subarray(0, n * K),
        [n, K],
      );
    const h0 = this.init.run(feeds, this.fetchInit, {}).h0!.data;
    for (let l = 0; l < L; l++) {
      const hl = new Float32Array(n * H);
      for (let i = 0; i < n; i++) hl.set(h0.subarray(i * L * H + l * H, i * L * H + (l + 1) * H), i * H);
      h.push(hl);
      c.push(new Float32Array(n * H));
    }
    return memory ? { n, h, c, memory } : { n, h, c };
  }

  step(state: RecurrentState, tokens: Int32Array): Float32Array {
    if (this.disposed) throw new Error('OnnxStepModel: used after dispose()');
    const { hiddenDim: H, layers: L, vocabSize: V } = this.config;
    const n = state.n;
    if (tokens.length !== n) throw new RangeError(`step: ${tokens.length} tokens for ${n} rows`);
    if (n === 0) return new Float32Array(0);
    for (let i = 0; i < n; i++) {
      if (!(tokens[i] >= 0 && tokens[i] < V)) throw new RangeError(`step: token id ${tokens[i]} outside the vocabulary (size ${V})`);
    }
    const feeds: Record<string, object> = { tokens: new this.ort.Tensor('int32', tokens, [n]) };
    for (let l = 0; l < L; l++) {
      feeds[`h_${l}`] = new this.ort.Tensor('float32', state.h[l], [n, H]);
      feeds[`c_${l}`] = new this.ort.Tensor('float32', state.c[l], [n, H]);
    }
    if (this.gridWeights) {
      const m = state.memory;
      if (!m) throw new RangeError('step: the decoder attends over a grid, but the state holds no grid memory');
      const { memoryDim: P, attentionDim: A } = this.gridWeights.config;
      feeds.memory_values = new this.ort.Tensor('float32', m.values, [n, m.cells, P]);
      feeds.memory_keys = new this.ort.Tensor('float32', m.keys, [n, m.cells, A]);
    }
    const out = this.stepSession.run(feeds, this.fetchStep, {});
    for (let l = 0; l < L; l++) {
      state.h[l] = out[`h_next_${l}`].data;
      state.c[l] = out[`c_next_${l}`].data;
    }
    return out.logp!.data;
  }

  /** Frees the native sessions now (otherwise when garbage-collected); the model is unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.init.dispose();
    this.stepSession.dispose();
  }
  private disposed = false;

  selectRows(state: RecurrentState, rows: Int32Array): RecurrentState {
    return selectStateRows(state, rows, this.config.hiddenDim);
  }
}
