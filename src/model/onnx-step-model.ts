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
 *   step graph:  tokens (N, int32), h_l, c_l (N×H each)
 *                x = W_embed[tokens]
 *                per layer: a = x·Wx_l + h_l·Wh_l + b_l   (layer 0: x·Wx_0 + b_0 is a row of the
 *                           precomputed table W_embed·Wx_0 + b_0, so Wx_0 is not read per step);  i, f, o, g = σ, σ, σ, tanh of the four
 *                           H-wide slices of a;  c'_l = f⊙c_l + i⊙g;  h'_l = o⊙tanh(c'_l);  x = h'_l
 *                logp = log_softmax(x·W_vocab + b_vocab)   (N×V)
 *
 * Runs synchronously through onnxruntime-node's native session (the public `run()` only wraps
 * the same call in a Promise), so it is a plain `StepModel`.
 */
import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';
import { addRowVector } from './layers/tensor.js';
import { gemm } from './matmul.js';
import { configFromParams } from './decoder.js';
import type { DecoderConfig, Params, RecurrentState, StepModel } from './types.js';

export interface OnnxStepOptions {
  /** onnxruntime intra-op threads; 0 = its default (all cores). Default: LENSCRIBE_THREADS or 0. */
  threads?: number;
  /** Precompute layer 0's input term per word (see inputTable); default: when it is <= 64 MB. */
  inputTable?: boolean;
}

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: object, fetches: object, options: object): Record<string, { data: Float32Array }>;
  dispose(): void;
}
interface OrtModule {
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: number[]) => object;
}

// onnx-proto is CommonJS; its default export works under Node's ESM loader, tsx and esbuild alike.
const { onnx } = onnxProto;
const require = createRequire(import.meta.url);
let ort: OrtModule | undefined;
let binding: { InferenceSession: new () => NativeSession } | undefined;

function native(): { ort: OrtModule; binding: { InferenceSession: new () => NativeSession } } {
  if (!ort || !binding) {
    ort = require('onnxruntime-node') as OrtModule;
    const b = require('onnxruntime-node/dist/binding') as { binding: { InferenceSession: new () => NativeSession }; initOrt: () => void };
    b.initOrt();
    binding = b.binding;
  }
  return { ort, binding };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT32 = onnx.TensorProto.DataType.INT32;
const INT64 = onnx.TensorProto.DataType.INT64;

type Dim = string | number;
function valueInfo(name: string, elemType: number, dims: Dim[]) {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}
function floatConst(name: string, dims: number[], data: Float32Array) {
  // rawData is little-endian float32, which is how every platform we ship on stores it.
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
function node(opType: string, input: string[], output: string[], attribute: object[] = []) {
  return { opType, input, output, attribute };
}
function intAttr(name: string, i: number) {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
function encode(graph: object): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'lenscribe-decoder',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** features -> initial hidden state of every layer, concatenated (N×L·H). */
export function buildInitGraph(params: Params<Float32Array>, c: DecoderConfig): Uint8Array {
  const LH = c.layers * c.hiddenDim;
  return encode({
    name: 'decoder_init',
    node: [
      node('Sub', ['features', 'feature_mean'], ['centred']),
      node('Div', ['centred', 'feature_std'], ['standardised']),
      node('MatMul', ['standardised', 'W_proj'], ['proj_mm']),
      node('Add', ['proj_mm', 'b_proj'], ['proj']),
      node('Tanh', ['proj'], ['h0']),
    ],
    initializer: [
      floatConst('feature_mean', [c.featureDim], params.feature_mean!),
      floatConst('feature_std', [c.featureDim], params.feature_std!),
      floatConst('W_proj', [c.featureDim, LH], params.W_proj!),
      floatConst('b_proj', [LH], params.b_proj!),
    ],
    input: [valueInfo('features', FLOAT, ['n', c.featureDim])],
    output: [valueInfo('h0', FLOAT, ['n', LH])],
  });
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
  const nodes = useTable ? [] : [node('Gather', ['W_embed', 'tokens'], ['x_0'], [intAttr('axis', 0)])];
  const inits = [
    useTable ? floatConst('input_table', [V, 4 * H], inputTable(params, c)) : floatConst('W_embed', [V, W], params.W_embed!),
    floatConst('W_vocab', [H, V], params.W_vocab!),
    floatConst('b_vocab', [V], params.b_vocab!),
    { name: 'gate_sizes', dims: [4], dataType: INT64, int64Data: [H, H, H, H] },
  ];
  const inputs = [valueInfo('tokens', INT32, ['n'])];
  const outputs = [valueInfo('logp', FLOAT, ['n', V])];
  for (let l = 0; l < L; l++) {
    const x = `x_${l}`;
    if (useTable && l === 0) {
      nodes.push(
        node('Gather', ['input_table', 'tokens'], ['ax_0'], [intAttr('axis', 0)]),
        node('MatMul', ['h_0', 'Wh_0'], ['ah_0']),
        node('Add', ['ax_0', 'ah_0'], ['a_0']),
      );
    } else {
      nodes.push(
        node('MatMul', [x, `Wx_${l}`], [`ax_${l}`]),
        node('MatMul', [`h_${l}`, `Wh_${l}`], [`ah_${l}`]),
        node('Add', [`ax_${l}`, `ah_${l}`], [`axh_${l}`]),
        node('Add', [`axh_${l}`, `b_${l}`], [`a_${l}`]),
      );
    }
    nodes.push(
      node('Split', [`a_${l}`, 'gate_sizes'], [`ai_${l}`, `af_${l}`, `ao_${l}`, `ag_${l}`], [intAttr('axis', 1)]),
      node('Sigmoid', [`ai_${l}`], [`i_${l}`]),
      node('Sigmoid', [`af_${l}`], [`f_${l}`]),
      node('Sigmoid', [`ao_${l}`], [`o_${l}`]),
      node('Tanh', [`ag_${l}`], [`g_${l}`]),
      node('Mul', [`f_${l}`, `c_${l}`], [`fc_${l}`]),
      node('Mul', [`i_${l}`, `g_${l}`], [`ig_${l}`]),
      node('Add', [`fc_${l}`, `ig_${l}`], [`c_next_${l}`]),
      node('Tanh', [`c_next_${l}`], [`tc_${l}`]),
      node('Mul', [`o_${l}`, `tc_${l}`], [`h_next_${l}`]),
      node('Identity', [`h_next_${l}`], [`x_${l + 1}`]),
    );
    if (!(useTable && l === 0)) {
      inits.push(floatConst(`Wx_${l}`, [l === 0 ? W : H, 4 * H], params[`Wx_${l}`]), floatConst(`b_${l}`, [4 * H], params[`b_${l}`]));
    }
    inits.push(floatConst(`Wh_${l}`, [H, 4 * H], params[`Wh_${l}`]));
    inputs.push(valueInfo(`h_${l}`, FLOAT, ['n', H]), valueInfo(`c_${l}`, FLOAT, ['n', H]));
    outputs.push(valueInfo(`h_next_${l}`, FLOAT, ['n', H]), valueInfo(`c_next_${l}`, FLOAT, ['n', H]));
  }
  nodes.push(
    node('MatMul', [`x_${L}`, 'W_vocab'], ['scores_mm']),
    node('Add', ['scores_mm', 'b_vocab'], ['scores']),
    node('LogSoftmax', ['scores'], ['logp'], [intAttr('axis', 1)]),
  );
  return encode({ name: 'decoder_step', node: nodes, initializer: inits, input: inputs, output: outputs });
}

/** A `StepModel` running decoder.ts's decoder through two onnxruntime sessions. */
export class OnnxStepModel implements StepModel {
  readonly vocabSize: number;
  readonly config: DecoderConfig;
  private readonly init: NativeSession;
  private readonly stepSession: NativeSession;
  private readonly ort: OrtModule;
  private readonly fetchInit = { h0: null };
  private readonly fetchStep: Record<string, null>;

  constructor(params: Params<Float32Array>, options: OnnxStepOptions = {}) {
    this.config = configFromParams(params);
    this.vocabSize = this.config.vocabSize;
    const { ort: o, binding: b } = native();
    this.ort = o;
    const threads = options.threads ?? (Number(process.env.LENSCRIBE_THREADS) || 0);
    const sessionOptions = {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    };
    const load = (bytes: Uint8Array) => {
      const s = new b.InferenceSession();
      s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions);
      return s;
    };
    this.init = load(buildInitGraph(params, this.config));
    this.stepSession = load(buildStepGraph(params, this.config, options.inputTable));
    this.fetchStep = { logp: null };
    for (let l = 0; l < this.config.layers; l++) {
      this.fetchStep[`h_next_${l}`] = null;
      this.fetchStep[`c_next_${l}`] = null;
    }
  }

  initState(features: Float32Array, n: number): RecurrentState {
    if (this.disposed) throw new Error('OnnxStepModel: used after dispose()');
    const { featureDim: D, hiddenDim: H, layers: L } = this.config;
    if (features.length < n * D) throw new RangeError(`initState: ${features.length} feature values for ${n}×${D}`);
    const h: Float32Array[] = [];
    const c: Float32Array[] = [];
    if (n === 0) {
      for (let l = 0; l < L; l++) (h.push(new Float32Array(0)), c.push(new Float32Array(0)));
      return { n, h, c };
    }
    const x = new this.ort.Tensor('float32', features.length === n * D ? features : features.subarray(0, n * D), [n, D]);
    const h0 = this.init.run({ features: x }, this.fetchInit, {}).h0!.data;
    for (let l = 0; l < L; l++) {
      const hl = new Float32Array(n * H);
      for (let i = 0; i < n; i++) hl.set(h0.subarray(i * L * H + l * H, i * L * H + (l + 1) * H), i * H);
      h.push(hl);
      c.push(new Float32Array(n * H));
    }
    return { n, h, c };
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
    const H = this.config.hiddenDim;
    const pick = (a: Float32Array) => {
      const out = new Float32Array(rows.length * H);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        if (r < 0 || r >= state.n) throw new RangeError(`selectRows: row ${r} outside 0…${state.n - 1}`);
        out.set(a.subarray(r * H, (r + 1) * H), i * H);
      }
      return out;
    };
    return { n: rows.length, h: state.h.map(pick), c: state.c.map(pick) };
  }
}
