/** Small helpers shared by the layers: typed-array allocation that keeps the caller's precision. */
import { gemm, type FloatArray } from '../matmul.js';

/** A zero-filled array of `n` elements of the same type as `like` (Float32Array or Float64Array). */
export function zerosLike<T extends FloatArray>(like: T, n: number): T {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

/**
 * Column sums of a rows×cols matrix, added into `out` (length cols): the bias gradient.
 * Done as the product 1ᵀ·x through `gemm`, so large float32 sums run natively; float64 takes
 * the reference loops, which add row after row like the plain loop would.
 */
export function addColumnSums(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  const ones = zerosLike(x, rows).fill(1);
  gemm(ones, x, out, 1, rows, cols, { accumulate: true });
}

/** Adds the row vector `b` (length cols) to every row of x (rows×cols), in place. */
export function addRowVector(x: FloatArray, b: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let j = 0; j < cols; j++) x[off + j] += b[j];
  }
}
