/**
 * The LSTM, read top to bottom like the lecture (cs231n, "Image captioning with LSTMs").
 *
 * One step. Input x (N×Dx), previous hidden state h (N×H) and cell state c (N×H).
 * Parameters Wx (Dx×4H), Wh (H×4H), b (4H). First the 4H pre-activation
 *
 *     a = x·Wx + h·Wh + b                                   (N×4H)
 *
 * is cut into four H-wide slices, the gates, in this order:
 *
 *     i = σ(a[:, 0:H])      input gate   — how much of the candidate to write
 *     f = σ(a[:, H:2H])     forget gate  — how much of the old cell to keep
 *     o = σ(a[:, 2H:3H])    output gate  — how much of the cell to show
 *     g = tanh(a[:, 3H:4H]) candidate    — what to write
 *
 *     c' = f ⊙ c + i ⊙ g
 *     h' = o ⊙ tanh(c')
 *
 * Backward, given dh' and dc' (the gradient reaching c' from the next step):
 *
 *     dc  = dc' + dh' ⊙ o ⊙ (1 − tanh²(c'))      total gradient on c'
 *     do  = dh' ⊙ tanh(c')        → da_o = do ⊙ o(1−o)
 *     df  = dc ⊙ c                → da_f = df ⊙ f(1−f)
 *     di  = dc ⊙ g                → da_i = di ⊙ i(1−i)
 *     dg  = dc ⊙ i                → da_g = dg ⊙ (1−g²)
 *     dc_prev = dc ⊙ f
 *     dx = da·Wxᵀ,  dh_prev = da·Whᵀ,  dWx = xᵀ·da,  dWh = hᵀ·da,  db = Σ_rows da
 *
 * A sequence of T steps runs the step T times. Two things make it fast without changing
 * the maths: x·Wx for all T steps is ONE product over T·N rows before the loop (the input
 * does not depend on the recurrence), and likewise dx, dWx and dWh are single products
 * after the backward loop. Only h·Wh (forward) and da·Whᵀ (backward) stay inside the loop.
 *
 * Sequences are time-major: row t·N + n is sequence n at step t, so each step's N rows
 * are one contiguous block. A stack of L layers feeds each layer's hidden states to the
 * next as its input (optionally through dropout).
 */
import { gemm, type FloatArray } from '../matmul.js';
import type { Rng } from '../rng.js';
import { dropoutBackward, dropoutForward, type DropoutCache } from './dropout.js';
import { addColumnSums, zerosLike } from './tensor.js';

/** One layer's parameters: Wx (Dx×4H), Wh (H×4H), b (4H). */
export interface LstmParams<T extends FloatArray> {
  Wx: T;
  Wh: T;
  b: T;
}

export interface LstmGrads<T extends FloatArray> {
  dWx: T;
  dWh: T;
  db: T;
}

// ---------------------------------------------------------------------------
// The two elementwise kernels every step uses (rows N starting at the given offsets).

/**
 * Turns the pre-activations a[aOff …] (N×4H) into the activated gates in place, and
 * writes c' (N×H), tanh(c') (N×H) and h' (N×H) from the previous cell c.
 * Exported for the decoder's step model, which computes `a` with frozen weights.
 */
export function gatesForward(
  a: FloatArray,
  aOff: number,
  cPrev: FloatArray,
  cPrevOff: number,
  cNext: FloatArray,
  tanhC: FloatArray,
  hNext: FloatArray,
  outOff: number,
  N: number,
  H: number,
): void {
  const H2 = 2 * H,
    H3 = 3 * H,
    H4 = 4 * H;
  for (let n = 0; n < N; n++) {
    const g0 = aOff + n * H4;
    const r = outOff + n * H;
    const rp = cPrevOff + n * H;
    for (let j = 0; j < H; j++) {
      const i = 1 / (1 + Math.exp(-a[g0 + j]));
      const f = 1 / (1 + Math.exp(-a[g0 + H + j]));
      const o = 1 / (1 + Math.exp(-a[g0 + H2 + j]));
      const g = tanh(a[g0 + H3 + j]);
      a[g0 + j] = i;
      a[g0 + H + j] = f;
      a[g0 + H2 + j] = o;
      a[g0 + H3 + j] = g;
      const c = f * cPrev[rp + j] + i * g;
      const tc = tanh(c);
      cNext[r + j] = c;
      tanhC[r + j] = tc;
      hNext[r + j] = o * tc;
    }
  }
}

/**
 * From dh (N×H, upstream + from the next step) and dc (N×H, from the next step; replaced by
 * the gradient for the previous cell), writes da (N×4H) at daOff.
 */
function gatesBackward(
  dh: FloatArray,
  dhOff: number,
  dc: FloatArray,
  gates: FloatArray,
  gOff: number,
  cPrev: FloatArray,
  cPrevOff: number,
  tanhC: FloatArray,
  cOff: number,
  da: FloatArray,
  daOff: number,
  N: number,
  H: number,
): void {
  const H2 = 2 * H,
    H3 = 3 * H,
    H4 = 4 * H;
  for (let n = 0; n < N; n++) {
    const g0 = gOff + n * H4;
    const d0 = daOff + n * H4;
    const r = n * H;
    for (let j = 0; j < H; j++) {
      const i = gates[g0 + j];
      const f = gates[g0 + H + j];
      const o = gates[g0 + H2 + j];
      const g = gates[g0 + H3 + j];
      const tc = tanhC[cOff + r + j];
      const dhj = dh[dhOff + r + j];
      const dcj = dc[r + j] + dhj * o * (1 - tc * tc);
      da[d0 + j] = dcj * g * i * (1 - i);
      da[d0 + H + j] = dcj * cPrev[cPrevOff + r + j] * f * (1 - f);
      da[d0 + H2 + j] = dhj * tc * o * (1 - o);
      da[d0 + H3 + j] = dcj * i * (1 - g * g);
      dc[r + j] = dcj * f;
    }
  }
}

/** tanh through one exp; V8's Math.tanh is several times slower in these loops. */
function tanh(x: number): number {
  if (x > 20) return 1;
  if (x < -20) return -1;
  const e = Math.exp(2 * x);
  return (e - 1) / (e + 1);
}

// ---------------------------------------------------------------------------
// One step

export interface LstmStepCache<T extends FloatArray> {
  x: T;
  prevH: T;
  prevC: T;
  gates: T;
  tanhC: T;
  p: LstmParams<T>;
  N: number;
  Dx: number;
  H: number;
}

/** x (N×Dx), prevH (N×H), prevC (N×H) -> [nextH (N×H), nextC (N×H), cache]. */
export function lstmStepForward<T extends FloatArray>(
  x: T,
  prevH: T,
  prevC: T,
  p: LstmParams<T>,
  N: number,
  Dx: number,
  H: number,
): [T, T, LstmStepCache<T>] {
  const a = zerosLike(x, N * 4 * H);
  gemm(x, p.Wx, a, N, Dx, 4 * H, { bias: p.b });
  gemm(prevH, p.Wh, a, N, H, 4 * H, { accumulate: true });
  const nextC = zerosLike(x, N * H);
  const tanhC = zerosLike(x, N * H);
  const nextH = zerosLike(x, N * H);
  gatesForward(a, 0, prevC, 0, nextC, tanhC, nextH, 0, N, H);
  return [nextH, nextC, { x, prevH, prevC, gates: a, tanhC, p, N, Dx, H }];
}

/** dnextH, dnextC (N×H) -> dx (N×Dx), dprevH, dprevC (N×H) and the parameter gradients. */
export function lstmStepBackward<T extends FloatArray>(
  dnextH: T,
  dnextC: T,
  cache: LstmStepCache<T>,
): { dx: T; dprevH: T; dprevC: T } & LstmGrads<T> {
  const { x, prevH, prevC, gates, tanhC, p, N, Dx, H } = cache;
  const dc = zerosLike(x, N * H);
  dc.set(dnextC);
  const da = zerosLike(x, N * 4 * H);
  gatesBackward(dnextH, 0, dc, gates, 0, prevC, 0, tanhC, 0, da, 0, N, H);
  const dx = zerosLike(x, N * Dx);
  const dprevH = zerosLike(x, N * H);
  const dWx = zerosLike(x, Dx * 4 * H);
  const dWh = zerosLike(x, H * 4 * H);
  const db = zerosLike(x, 4 * H);
  gemm(da, p.Wx, dx, N, 4 * H, Dx, { transB: true });
  gemm(da, p.Wh, dprevH, N, 4 * H, H, { transB: true });
  gemm(x, da, dWx, Dx, N, 4 * H, { transA: true });
  gemm(prevH, da, dWh, H, N, 4 * H, { transA: true });
  addColumnSums(da, N, 4 * H, db);
  return { dx, dprevH, dprevC: dc, dWx, dWh, db };
}

// ---------------------------------------------------------------------------
// A sequence of T steps (one layer)

export interface LstmCache<T extends FloatArray> {
  x: T;
  h0: T;
  c0: T;
  p: LstmParams<T>;
  /** Activated gates per step, T×N×4H. */
  gates: T;
  /** Cell states and their tanh, T×N×H. */
  c: T;
  tanhC: T;
  /** Hidden states, T×N×H (the layer's output). */
  h: T;
  T: number;
  N: number;
  Dx: number;
  H: number;
}

/**
 * x (T×N×Dx), h0 and c0 (N×H) -> [h (T×N×H), cache].
 * The final state is the last N rows of `h` and `cache.c` (see `lstmFinalState`).
 */
export function lstmForward<T extends FloatArray>(
  x: T,
  h0: T,
  c0: T,
  p: LstmParams<T>,
  T_: number,
  N: number,
  Dx: number,
  H: number,
): [T, LstmCache<T>] {
  const H4 = 4 * H;
  const rows = T_ * N;
  const gates = zerosLike(x, rows * H4);
  gemm(x, p.Wx, gates, rows, Dx, H4, { bias: p.b }); // x·Wx + b for every step at once
  const c = zerosLike(x, rows * H);
  const tanhC = zerosLike(x, rows * H);
  const h = zerosLike(x, rows * H);
  for (let t = 0; t < T_; t++) {
    const aStep = gates.subarray(t * N * H4, (t + 1) * N * H4) as T;
    const hPrev = t === 0 ? h0 : (h.subarray((t - 1) * N * H, t * N * H) as T);
    gemm(hPrev, p.Wh, aStep, N, H, H4, { accumulate: true }); // the recurrent product
    if (t === 0) gatesForward(gates, 0, c0, 0, c, tanhC, h, 0, N, H);
    else gatesForward(gates, t * N * H4, c, (t - 1) * N * H, c, tanhC, h, t * N * H, N, H);
  }
  return [h, { x, h0, c0, p, gates, c, tanhC, h, T: T_, N, Dx, H }];
}

/** The state after the last step: copies of h_T and c_T (N×H each). */
export function lstmFinalState<T extends FloatArray>(cache: LstmCache<T>): { h: T; c: T } {
  const { T: T_, N, H } = cache;
  if (T_ === 0) return { h: cache.h0.slice() as T, c: cache.c0.slice() as T };
  const from = (T_ - 1) * N * H;
  return { h: cache.h.slice(from, from + N * H) as T, c: cache.c.slice(from, from + N * H) as T };
}

export interface LstmBackwardResult<T extends FloatArray> extends LstmGrads<T> {
  dx: T;
  dh0: T;
  dc0: T;
}

/**
 * dh (T×N×H, the gradient on every step's output) -> gradients. No gradient enters the
 * final state from beyond the sequence: that is where truncated BPTT cuts.
 */
export function lstmBackward<T extends FloatArray>(dh: T, cache: LstmCache<T>): LstmBackwardResult<T> {
  const { x, h0, c0, p, gates, c, tanhC, h, T: T_, N, Dx, H } = cache;
  const H4 = 4 * H;
  const rows = T_ * N;
  const da = zerosLike(x, rows * H4);
  const dhStep = zerosLike(x, N * H); // dh_t = upstream + from step t+1
  const dhNext = zerosLike(x, N * H); // gradient on h_t from step t+1 (da_{t+1}·Whᵀ)
  const dc = zerosLike(x, N * H);
  for (let t = T_ - 1; t >= 0; t--) {
    const off = t * N * H;
    for (let k = 0; k < N * H; k++) dhStep[k] = dh[off + k] + dhNext[k];
    if (t === 0) gatesBackward(dhStep, 0, dc, gates, 0, c0, 0, tanhC, 0, da, 0, N, H);
    else gatesBackward(dhStep, 0, dc, gates, t * N * H4, c, (t - 1) * N * H, tanhC, off, da, t * N * H4, N, H);
    const daStep = da.subarray(t * N * H4, (t + 1) * N * H4) as T;
    gemm(daStep, p.Wh, dhNext, N, H4, H, { transB: true }); // the recurrent product, backwards
  }
  const dx = zerosLike(x, rows * Dx);
  const dWx = zerosLike(x, Dx * H4);
  const dWh = zerosLike(x, H * H4);
  const db = zerosLike(x, H4);
  gemm(da, p.Wx, dx, rows, H4, Dx, { transB: true });
  gemm(x, da, dWx, Dx, rows, H4, { transA: true });
  // dWh = Σ_t h_{t−1}ᵀ·da_t: h0 for the first step, then h_0..h_{T−2} against da_1..da_{T−1}.
  gemm(h0, da, dWh, H, N, H4, { transA: true });
  if (T_ > 1) gemm(h, da.subarray(N * H4) as T, dWh, H, (T_ - 1) * N, H4, { transA: true, accumulate: true });
  addColumnSums(da, rows, H4, db);
  return { dx, dh0: dhNext, dc0: dc, dWx, dWh, db };
}

// ---------------------------------------------------------------------------
// A stack of L layers

export interface StackedLstmCache<T extends FloatArray> {
  layers: LstmCache<T>[];
  /** Dropout applied to the input of layers 1…L−1 (the output of the layer below). */
  drops: DropoutCache<T>[];
  T: number;
  N: number;
  Dx: number;
  H: number;
}

export interface DropoutOptions {
  p: number;
  rng: Rng | null;
  train: boolean;
}

/**
 * x (T×N×Dx), h0s and c0s (L arrays of N×H) -> [top layer's h (T×N×H), cache].
 * Layer 0 reads x (Dx wide); layer l > 0 reads layer l−1's hidden states (H wide),
 * through dropout if `dropout` is given and training.
 */
export function stackedLstmForward<T extends FloatArray>(
  x: T,
  h0s: T[],
  c0s: T[],
  layers: LstmParams<T>[],
  T_: number,
  N: number,
  Dx: number,
  H: number,
  dropout?: DropoutOptions,
): [T, StackedLstmCache<T>] {
  const caches: LstmCache<T>[] = [];
  const drops: DropoutCache<T>[] = [];
  let input = x;
  for (let l = 0; l < layers.length; l++) {
    if (l > 0 && dropout) {
      const [dropped, dc] = dropoutForward(input, dropout.p, dropout.rng, dropout.train);
      input = dropped;
      drops.push(dc);
    } else if (l > 0) drops.push({ mask: null });
    const [h, cache] = lstmForward(input, h0s[l], c0s[l], layers[l], T_, N, l === 0 ? Dx : H, H);
    caches.push(cache);
    input = h;
  }
  return [input, { layers: caches, drops, T: T_, N, Dx, H }];
}

export function stackedLstmFinalState<T extends FloatArray>(cache: StackedLstmCache<T>): { h: T[]; c: T[] } {
  const states = cache.layers.map((c) => lstmFinalState(c));
  return { h: states.map((s) => s.h), c: states.map((s) => s.c) };
}

export function stackedLstmBackward<T extends FloatArray>(
  dhTop: T,
  cache: StackedLstmCache<T>,
): { dx: T; dh0s: T[]; dc0s: T[]; grads: LstmGrads<T>[] } {
  const L = cache.layers.length;
  const dh0s: T[] = new Array(L);
  const dc0s: T[] = new Array(L);
  const grads: LstmGrads<T>[] = new Array(L);
  let dout = dhTop;
  for (let l = L - 1; l >= 0; l--) {
    const r = lstmBackward(dout, cache.layers[l]);
    dh0s[l] = r.dh0;
    dc0s[l] = r.dc0;
    grads[l] = { dWx: r.dWx, dWh: r.dWh, db: r.db };
    dout = l > 0 ? dropoutBackward(r.dx, cache.drops[l - 1]) : r.dx;
  }
  return { dx: dout, dh0s, dc0s, grads };
}
