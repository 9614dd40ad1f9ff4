/**
 * Temporal affine layer: the same affine map applied at every time step, done as ONE
 * matrix product over all T·N rows (no per-step loop).
 *
 * Layout is time-major throughout the decoder: row t·N + n holds sequence n at step t,
 * so each step's N rows are contiguous (the LSTM's recurrent product reads them in place).
 * The layer itself does not care about the order of rows; it only sees T·N of them.
 *
 *   forward:  x (T×N×D), w (D×M), b (M)  ->  out (T×N×M)
 *   backward: dout (T×N×M)               ->  dx (T×N×D), dw (D×M), db (M)
 */
import type { FloatArray } from '../matmul.js';
import { affineBackward, affineForward, type AffineCache, type AffineGrads } from './affine.js';

export type TemporalAffineCache<T extends FloatArray> = AffineCache<T>;

export function temporalAffineForward<T extends FloatArray>(
  x: T,
  w: T,
  b: T,
  T_: number,
  N: number,
  D: number,
  M: number,
): [T, TemporalAffineCache<T>] {
  return affineForward(x, w, b, T_ * N, D, M);
}

export function temporalAffineBackward<T extends FloatArray>(dout: T, cache: TemporalAffineCache<T>): AffineGrads<T> {
  return affineBackward(dout, cache);
}
