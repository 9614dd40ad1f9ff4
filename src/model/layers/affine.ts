/**
 * Affine (fully connected) layer.
 *
 *   forward:  x (N×D), w (D×M), b (M)  ->  out = x·w + b  (N×M)
 *   backward: dout (N×M)               ->  dx (N×D), dw (D×M), db (M)
 */
import { gemm, type FloatArray } from '../matmul.js';
import { addColumnSums, zerosLike } from './tensor.js';

export interface AffineCache<T extends FloatArray> {
  x: T;
  w: T;
  N: number;
  D: number;
  M: number;
}

export interface AffineGrads<T extends FloatArray> {
  dx: T;
  dw: T;
  db: T;
}

export function affineForward<T extends FloatArray>(x: T, w: T, b: T, N: number, D: number, M: number): [T, AffineCache<T>] {
  const out = zerosLike(x, N * M);
  gemm(x, w, out, N, D, M, { bias: b });
  return [out, { x, w, N, D, M }];
}

export function affineBackward<T extends FloatArray>(dout: T, cache: AffineCache<T>): AffineGrads<T> {
  const { x, w, N, D, M } = cache;
  const dx = zerosLike(x, N * D);
  const dw = zerosLike(x, D * M);
  const db = zerosLike(x, M);
  gemm(dout, w, dx, N, M, D, { transB: true }); // dx = dout · wᵀ
  gemm(x, dout, dw, D, N, M, { transA: true }); // dw = xᵀ · dout
  addColumnSums(dout, N, M, db);
  return { dx, dw, db };
}
