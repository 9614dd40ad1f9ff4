/**
 * Soft attention over each photo's spatial grid (Show, Attend and Tell, Xu et al. 2015), in the
 * form of Lu et al. 2017 ("Knowing When to Look"): the LSTM's top hidden state h_t chooses where
 * to look *after* its step, so the recurrence is unchanged and all T steps attend at once.
 *
 *   memory v_{n,i} (P): cell i of photo n's grid, i = 0 … G−1 (7×7 = 49 cells of ResNet-50's last
 *     block, reduced to P dimensions by the decoder's fixed basis; src/model/decoder.ts)
 *   k_{n,i} = v_{n,i}·W_key                        (A)   keys, once per photo
 *   q_t     = h_t·W_query                          (A)   query, per step
 *   z_{t,i} = q_t·k_{n,i} / √A                           scaled dot-product score (Luong et al. 2015,
 *                                                          "general"; Vaswani et al. 2017's scaling)
 *   α_t     = softmax_i(z_t)                              where to look, sums to 1 over the G cells
 *   c_t     = Σ_i α_{t,i} v_{n,i}                  (P)   what is seen there
 *   out_t   = h_t + c_t·W_context                  (H)   what the vocabulary layer reads
 *
 * A photo without a grid (a text-only caption, `hasGrid[n] = 0`) has c_t = 0, so out_t = h_t: the
 * plain Show-and-Tell output, and no gradient reaches the attention weights from it.
 *
 * Layout: rows are time-major, row t·N + n is photo n at step t (as everywhere in the decoder), so
 * a row's photo is its index mod N. The memory is an input, not a parameter: it gets no gradient.
 *
 *   forward:  h (T×N×H), memory (N×G×P), hasGrid (N), W_query (H×A), W_key (P×A), W_context (P×H)
 *             -> out (T×N×H)
 *   backward: dout (T×N×H) -> dh (T×N×H), dW_query, dW_key, dW_context
 */
import { gemm, type FloatArray } from '../matmul.js';
import { zerosLike } from './tensor.js';

/** The attention weights of a decoder: query H×A, key P×A, context P×H. */
export interface AttentionParams<T extends FloatArray> {
  W_query: T;
  W_key: T;
  W_context: T;
}

/** Photo n's grid cells (N×G×P, row-major) and which photos have one. */
export interface AttentionMemory<T extends FloatArray> {
  values: T;
  /** Per photo: 1 if `values` holds its grid, 0 for a text-only row (no context). */
  hasGrid: Uint8Array;
  N: number;
  G: number;
  P: number;
}

export interface AttentionCache<T extends FloatArray> {
  h: T;
  q: T;
  keys: T;
  /** α, rows×G (zero for rows of photos without a grid). */
  alpha: T;
  /** c, rows×P. */
  context: T;
  memory: AttentionMemory<T>;
  params: AttentionParams<T>;
  rows: number;
  H: number;
  A: number;
}

export interface AttentionGrads<T extends FloatArray> {
  dh: T;
  dW_query: T;
  dW_key: T;
  dW_context: T;
}

/** Keys k = v·W_key for every cell of every photo (N·G×A); decoding computes them once per photo. */
export function attentionKeys<T extends FloatArray>(values: T, W_key: T, cells: number, P: number, A: number): T {
  const keys = zerosLike(values, cells * A);
  gemm(values, W_key, keys, cells, P, A);
  return keys;
}

/**
 * α and c for `rows` queries (rows×A) against their photos' keys (N·G×A) and values (N·G×P); row r
 * reads photo `photoOf(r)`. Writes α (rows×G) and c (rows×P), which must be zero on entry.
 */
export function attend<T extends FloatArray>(
  q: T,
  keys: T,
  memory: AttentionMemory<T>,
  rows: number,
  A: number,
  photoOf: (row: number) => number,
  alpha: T,
  context: T,
): void {
  const { values, hasGrid, G, P } = memory;
  const scale = 1 / Math.sqrt(A);
  for (let r = 0; r < rows; r++) {
    const n = photoOf(r);
    if (hasGrid[n] === 0) continue;
    const qo = r * A;
    const ao = r * G;
    let max = -Infinity;
    for (let i = 0; i < G; i++) {
      const ko = (n * G + i) * A;
      let z = 0;
      for (let a = 0; a < A; a++) z += q[qo + a] * keys[ko + a];
      z *= scale;
      alpha[ao + i] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let i = 0; i < G; i++) {
      const e = Math.exp(alpha[ao + i] - max);
      alpha[ao + i] = e;
      sum += e;
    }
    const co = r * P;
    for (let i = 0; i < G; i++) {
      const w = (alpha[ao + i] /= sum);
      const vo = (n * G + i) * P;
      for (let p = 0; p < P; p++) context[co + p] += w * values[vo + p];
    }
  }
}

export function attentionForward<T extends FloatArray>(
  h: T,
  memory: AttentionMemory<T>,
  params: AttentionParams<T>,
  rows: number,
  H: number,
  A: number,
): [T, AttentionCache<T>] {
  const { N, G, P } = memory;
  const keys = attentionKeys(memory.values, params.W_key, N * G, P, A);
  const q = zerosLike(h, rows * A);
  gemm(h, params.W_query, q, rows, H, A);
  const alpha = zerosLike(h, rows * G);
  const context = zerosLike(h, rows * P);
  attend(q, keys, memory, rows, A, (r) => r % N, alpha, context);
  const out = h.slice() as T;
  gemm(context, params.W_context, out, rows, P, H, { accumulate: true });
  return [out, { h, q, keys, alpha, context, memory, params, rows, H, A }];
}

export function attentionBackward<T extends FloatArray>(dout: T, cache: AttentionCache<T>): AttentionGrads<T> {
  const { h, q, keys, alpha, context, memory, params, rows, H, A } = cache;
  const { values, hasGrid, N, G, P } = memory;
  // out = h + c·W_context
  const dh = dout.slice() as T;
  const dW_context = zerosLike(h, P * H);
  gemm(context, dout, dW_context, P, rows, H, { transA: true });
  const dc = zerosLike(h, rows * P);
  gemm(dout, params.W_context, dc, rows, H, P, { transB: true });
  // c = Σ α_i v_i, α = softmax(z), z_i = q·k_i/√A
  const dq = zerosLike(h, rows * A);
  const dkeys = zerosLike(h, N * G * A);
  const dz = new Float64Array(G);
  const scale = 1 / Math.sqrt(A);
  for (let r = 0; r < rows; r++) {
    const n = r % N;
    if (hasGrid[n] === 0) continue;
    const ao = r * G;
    const co = r * P;
    let weighted = 0;
    for (let i = 0; i < G; i++) {
      const vo = (n * G + i) * P;
      let dAlpha = 0;
      for (let p = 0; p < P; p++) dAlpha += dc[co + p] * values[vo + p];
      dz[i] = dAlpha;
      weighted += alpha[ao + i] * dAlpha;
    }
    const qo = r * A;
    for (let i = 0; i < G; i++) {
      const g = alpha[ao + i] * (dz[i] - weighted) * scale;
      if (g === 0) continue;
      const ko = (n * G + i) * A;
      for (let a = 0; a < A; a++) {
        dq[qo + a] += g * keys[ko + a];
        dkeys[ko + a] += g * q[qo + a];
      }
    }
  }
  const dW_query = zerosLike(h, H * A);
  gemm(h, dq, dW_query, H, rows, A, { transA: true });
  gemm(dq, params.W_query, dh, rows, A, H, { transB: true, accumulate: true });
  const dW_key = zerosLike(h, P * A);
  gemm(values, dkeys, dW_key, P, N * G, A, { transA: true });
  return { dh, dW_query, dW_key, dW_context };
}
