/**
 * The one matrix-product module every layer calls.
 *
 *   gemm(a, b, out, M, K, N, { transA, transB, accumulate, bias })
 *     out[M,N] (+)= op(A)[M,K] · op(B)[K,N] (+ bias[N] on every row)
 *   where op(A) is A (row-major M×K) or Aᵀ (A stored K×M), likewise for B.
 *
 * Two backends:
 *  - `reference`: plain TypeScript loops, generic over Float32Array/Float64Array.
 *    Gradient checks run on it in float64.
 *  - `onnx`: an ONNX Runtime `Gemm` node with dynamic shapes, run synchronously
 *    through onnxruntime-node's native session (its public `run()` only wraps the
 *    same synchronous call in a Promise). MLAS reaches 100+ GFLOP/s here, against
 *    1.4–2.8 for JS loops, so float32 products above a small size go there.
 *
 * `auto` (the default) picks `onnx` for float32 when the product is large enough
 * for the native call overhead (~10 µs) to be noise, and `reference` otherwise.
 */
import { DataType, OnnxGraph } from './onnx-graph.js';
import { nativeRuntime, nativeSessionOptions, type NativeRuntime, type NativeSession } from './onnx-runtime.js';

export type FloatArray = Float32Array | Float64Array;
export type GemmBackend = 'reference' | 'onnx' | 'auto';

export interface GemmOptions {
  /** A is stored K×M and used transposed. */
  transA?: boolean;
  /** B is stored N×K and used transposed. */
  transB?: boolean;
  /** Add the product into `out` instead of overwriting it. */
  accumulate?: boolean;
  /** A row vector (length N) added to every row of the result (an affine layer's bias). */
  bias?: FloatArray;
}

/** Below this many multiply-adds the native call costs more than it saves. */
const ONNX_MIN_MACS = 16_384;

let backend: GemmBackend = (process.env.LENSCRIBE_GEMM as GemmBackend | undefined) ?? 'auto';
let threads = Number(process.env.LENSCRIBE_THREADS) || 0; // 0 = onnxruntime's default (all cores)

export function setGemmBackend(b: GemmBackend): void {
  backend = b;
}
export function getGemmBackend(): GemmBackend {
  return backend;
}
/**
 * Whether onnxruntime's worker threads spin-wait for the next product. Spinning saves a few
 * microseconds per call on an idle machine but burns the cores our own JavaScript (gates,
 * softmax) and everything else need in between products, so it is off unless asked for.
 */
const spinning = process.env.LENSCRIBE_ORT_SPIN === '1';

/** Threads for the onnx backend; takes effect for sessions created afterwards. */
export function setGemmThreads(n: number): void {
  if (n !== threads) {
    threads = n;
    sessions.clear();
  }
}

export function gemm(a: FloatArray, b: FloatArray, out: FloatArray, M: number, K: number, N: number, opts: GemmOptions = {}): FloatArray {
  checkSizes(a, b, out, M, K, N);
  if (opts.bias && opts.bias.length < N) throw new RangeError(`gemm: bias has ${opts.bias.length} elements, needs ${N}`);
  if (M === 0 || N === 0) return out;
  if (K === 0) {
    startOutput(out, M, N, opts.accumulate ?? false, opts.bias);
    return out;
  }
  if (useOnnx(a, b, out, M * K * N)) gemmOnnx(a as Float32Array, b as Float32Array, out as Float32Array, M, K, N, opts);
  else gemmReference(a, b, out, M, K, N, opts);
  return out;
}

function checkSizes(a: FloatArray, b: FloatArray, out: FloatArray, M: number, K: number, N: number): void {
  if (a.length < M * K) throw new RangeError(`gemm: A has ${a.length} elements, needs ${M}×${K}`);
  if (b.length < K * N) throw new RangeError(`gemm: B has ${b.length} elements, needs ${K}×${N}`);
  if (out.length < M * N) throw new RangeError(`gemm: out has ${out.length} elements, needs ${M}×${N}`);
}

function useOnnx(a: FloatArray, b: FloatArray, out: FloatArray, macs: number): boolean {
  if (backend === 'reference') return false;
  const f32 = a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array;
  if (!f32) return false;
  return backend === 'onnx' || macs >= ONNX_MIN_MACS;
}

/** Plain loops; i-k-j order keeps the inner loop contiguous for the common cases. */
export function gemmReference(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  M: number,
  K: number,
  N: number,
  { transA = false, transB = false, accumulate = false, bias }: GemmOptions = {},
): void {
  startOutput(out, M, N, accumulate, bias);
  if (!transB) {
    for (let i = 0; i < M; i++) {
      const row = i * N;
      for (let p = 0; p < K; p++) {
        const av = transA ? a[p * M + i] : a[i * K + p];
        if (av === 0) continue;
        const brow = p * N;
        for (let j = 0; j < N; j++) out[row + j] += av * b[brow + j];
      }
    }
  } else {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        const bj = j * K;
        if (transA) for (let p = 0; p < K; p++) s += a[p * M + i] * b[bj + p];
        else {
          const ai = i * K;
          for (let p = 0; p < K; p++) s += a[ai + p] * b[bj + p];
        }
        out[i * N + j] += s;
      }
    }
  }
}

/** What the product is added to: `out` as it is (accumulating) or zeros, plus the bias rows. */
function startOutput(out: FloatArray, M: number, N: number, accumulate: boolean, bias: FloatArray | undefined): void {
  if (!accumulate) out.fill(0, 0, M * N);
  if (bias) addBias(out, bias, M, N);
}

function addBias(out: FloatArray, bias: FloatArray, M: number, N: number): void {
  for (let i = 0; i < M; i++) {
    const row = i * N;
    for (let j = 0; j < N; j++) out[row + j] += bias[j];
  }
}

// ---------------------------------------------------------------------------
// onnx backend

// Loaded on the first onnx product (see onnx-runtime.ts); kept here so a product pays no lookup.
let ort: NativeRuntime | undefined;
const sessions = new Map<string, NativeSession>();

function loadNative(): NativeRuntime {
  ort ??= nativeRuntime();
  return ort;
}

function createGemmSession(bytes: Uint8Array): NativeSession {
  return loadNative().createSession(bytes, nativeSessionOptions(threads, spinning));
}

/**
 * What the Gemm node's C input is: none; a row vector [n] (bias); or the full [m, n] output
 * itself (accumulate: we bind `out` as both C and the preallocated Y, so the sum happens
 * inside the kernel without a JS pass or a temporary).
 */
type CMode = 'none' | 'row' | 'full';

/** A one-node Gemm graph: Y = op(A)·op(B) (+ C), with every dimension symbolic. */
export function buildGemmModel(transA: boolean, transB: boolean, cMode: CMode = 'none'): Uint8Array {
  const g = new OnnxGraph();
  const inputs = [
    g.input('A', DataType.FLOAT, transA ? ['k', 'm'] : ['m', 'k']),
    g.input('B', DataType.FLOAT, transB ? ['n', 'k'] : ['k', 'n']),
  ];
  if (cMode !== 'none') inputs.push(g.input('C', DataType.FLOAT, cMode === 'row' ? ['n'] : ['m', 'n']));
  const y = g.node('Gemm', inputs, 'Y', { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
  g.output(y, 'Y', ['m', 'n']);
  return g.encode({ producer: 'lenscribe-gemm', graphName: 'gemm' });
}

function session(transA: boolean, transB: boolean, cMode: CMode): NativeSession {
  const key = `${transA ? 1 : 0}${transB ? 1 : 0}${cMode}`;
  let s = sessions.get(key);
  if (!s) {
    s = createGemmSession(buildGemmModel(transA, transB, cMode));
    sessions.set(key, s);
  }
  return s;
}

function gemmOnnx(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  M: number,
  K: number,
  N: number,
  { transA = false, transB = false, accumulate = false, bias }: GemmOptions,
): void {
  const nativeBias = bias instanceof Float32Array && !accumulate;
  const cMode: CMode = accumulate ? 'full' : nativeBias ? 'row' : 'none';
  const s = session(transA, transB, cMode);
  const view = (x: Float32Array, n: number) => (x.length === n ? x : x.subarray(0, n));
  const feeds: Record<string, object> = {
    A: new ort!.Tensor('float32', view(a, M * K), transA ? [K, M] : [M, K]),
    B: new ort!.Tensor('float32', view(b, K * N), transB ? [N, K] : [K, N]),
  };
  const y = view(out, M * N);
  if (cMode === 'full') feeds.C = new ort!.Tensor('float32', y, [M, N]);
  else if (cMode === 'row') feeds.C = new ort!.Tensor('float32', view(bias as Float32Array, N), [N]);
  // The result is written straight into `out` (a preallocated output), no copy.
  s.run(feeds, { Y: new ort!.Tensor('float32', y, [M, N]) }, {});
  if (bias && !nativeBias) addBias(out, bias, M, N);
}

// ---------------------------------------------------------------------------
// Frozen weights: products with a fixed right-hand matrix (decoding)

/**
 * A right-hand matrix B (K×N) and optional bias (N) frozen for many products with small
 * left-hand sides, as in decoding (a few rows per step). Native GEMM normally repacks B on
 * every call, which for a handful of rows costs more than the multiply; here B is a constant
 * of the graph, so onnxruntime packs it once when the session is created. Holds a snapshot:
 * later changes to the source arrays are not seen.
 */
export interface FrozenMatrix {
  readonly K: number;
  readonly N: number;
  /** The matrix the products use (for int8, the dequantised values, so both backends agree). */
  readonly b: Float32Array;
  readonly bias: Float32Array | null;
  /** int8 weights with one scale per column, or null for float32. */
  readonly int8: { q: Int8Array; scale: Float32Array } | null;
  /** Lazily created sessions: with the bias, and accumulating into `out` (no bias). */
  sessions: { withBias?: NativeSession; accumulate?: NativeSession; threads: number };
}

/**
 * With `int8`, B is stored as 8-bit integers with one scale per column (symmetric) and the
 * product runs as onnxruntime's DynamicQuantizeMatMul (the left side is quantised per call):
 * a quarter of the memory traffic, which is what bounds few-row products, for results within
 * about 1% of float32. Opt-in: it changes the numbers. The weights use 7 bits (±63), as the int8
 * encoders do: x86 CPUs without VNNI (AVX2 only) multiply uint8 by int8 with an instruction whose
 * 16-bit pair sums saturate with 8-bit weights (measured here: 3.3 % error instead of < 1 %), so
 * results would differ from machine to machine.
 */
/** Largest int8 weight magnitude: 7 bits (see freezeMatrix). */
const INT8_WEIGHT_MAX = 63;

export function freezeMatrix(b: Float32Array, K: number, N: number, bias?: Float32Array, options: { int8?: boolean } = {}): FrozenMatrix {
  if (b.length < K * N) throw new RangeError(`freezeMatrix: B has ${b.length} elements, needs ${K}×${N}`);
  if (bias && bias.length < N) throw new RangeError(`freezeMatrix: bias has ${bias.length} elements, needs ${N}`);
  const values = b.slice(0, K * N);
  let int8: FrozenMatrix['int8'] = null;
  if (options.int8) {
    const scale = new Float32Array(N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) scale[j] = Math.max(scale[j], Math.abs(values[k * N + j]));
    for (let j = 0; j < N; j++) scale[j] = scale[j] > 0 && Number.isFinite(scale[j]) ? scale[j] / INT8_WEIGHT_MAX : 1;
    const q = new Int8Array(K * N);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < N; j++) {
        q[k * N + j] = Math.max(-INT8_WEIGHT_MAX, Math.min(INT8_WEIGHT_MAX, Math.round(values[k * N + j] / scale[j])));
        values[k * N + j] = q[k * N + j] * scale[j];
      }
    }
    int8 = { q, scale };
  }
  return { K, N, b: values, bias: bias ? bias.slice(0, N) : null, int8, sessions: { threads } };
}

/** out[M,N] (+)= A[M,K]·B (+ bias unless accumulating — then the bias is added separately). */
export function gemmFrozen(
  a: Float32Array,
  w: FrozenMatrix,
  out: Float32Array,
  M: number,
  opts: { accumulate?: boolean } = {},
): Float32Array {
  const { K, N } = w;
  const accumulate = opts.accumulate ?? false;
  if (a.length < M * K) throw new RangeError(`gemm: A has ${a.length} elements, needs ${M}×${K}`);
  if (out.length < M * N) throw new RangeError(`gemm: out has ${out.length} elements, needs ${M}×${N}`);
  if (M === 0) return out;
  if (backend === 'reference' || (backend === 'auto' && M * K * N < ONNX_MIN_MACS)) {
    gemmReference(a, w.b, out, M, K, N, { accumulate, bias: w.bias ?? undefined });
    return out;
  }
  if (w.sessions.threads !== threads) w.sessions = { threads };
  const kind = accumulate ? 'accumulate' : 'withBias';
  let s = w.sessions[kind];
  if (!s) {
    s = createGemmSession(buildFrozenModel(w, accumulate));
    w.sessions[kind] = s;
  }
  const y = out.length === M * N ? out : out.subarray(0, M * N);
  const feeds: Record<string, object> = { A: new ort!.Tensor('float32', a.length === M * K ? a : a.subarray(0, M * K), [M, K]) };
  if (accumulate) feeds.C = new ort!.Tensor('float32', y, [M, N]);
  s.run(feeds, { Y: new ort!.Tensor('float32', y, [M, N]) }, {});
  if (accumulate && w.bias) addBias(out, w.bias, M, N);
  return out;
}

function buildFrozenModel(w: FrozenMatrix, accumulate: boolean): Uint8Array {
  const { K, N } = w;
  const g = new OnnxGraph();
  const a = g.input('A', DataType.FLOAT, ['m', K]);
  const c = accumulate ? g.input('C', DataType.FLOAT, ['m', N]) : '';
  const bias = !accumulate && w.bias !== null ? g.constant('bias', w.bias, [N]) : '';
  let y: string;
  if (w.int8) {
    // Y = A·B (+ bias), or P = A·B and Y = P + C when accumulating.
    const b = g.constant('B', w.int8.q, [K, N]);
    const scale = g.constant('S', w.int8.scale, [N]);
    y = g.node('DynamicQuantizeMatMul', [a, b, scale, '', bias], accumulate ? 'P' : 'Y', {}, 'com.microsoft');
    if (accumulate) y = g.node('Add', [y, c], 'Y');
  } else {
    // Y = A·B + (bias | C | nothing), one Gemm node; C is `out` itself when accumulating.
    const b = g.constant('B', w.b, [K, N]);
    y = g.node('Gemm', bias ? [a, b, bias] : accumulate ? [a, b, c] : [a, b], 'Y');
  }
  g.output(y, 'Y', ['m', N]);
  return g.encode({
    producer: 'lenscribe-gemm',
    graphName: 'gemm_frozen',
    extraOpsets: w.int8 ? [{ domain: 'com.microsoft', version: 1 }] : [],
  });
}
