/**
 * Word embedding: looks up one row of W per token id.
 *
 *   forward:  ids (R ints in [0, V)), W (V×E)  ->  out (R×E)
 *   backward: dout (R×E)                        ->  dW (V×E)   (ids get no gradient)
 *
 * R is any number of positions; the decoder passes T·N ids in time-major order.
 */
import type { FloatArray } from '../matmul.js';
import { zerosLike } from './tensor.js';

export interface EmbeddingCache<T extends FloatArray> {
  ids: Int32Array;
  W: T;
  V: number;
  E: number;
}

export function wordEmbeddingForward<T extends FloatArray>(ids: Int32Array, W: T, V: number, E: number): [T, EmbeddingCache<T>] {
  const R = ids.length;
  const out = zerosLike(W, R * E);
  for (let r = 0; r < R; r++) {
    const id = ids[r];
    if (id < 0 || id >= V) throw new RangeError(`word embedding: token id ${id} outside vocabulary of ${V}`);
    out.set(W.subarray(id * E, id * E + E), r * E);
  }
  return [out, { ids, W, V, E }];
}

/** Adds the gradient into `dW` if given (so several chunks can share one buffer). */
export function wordEmbeddingBackward<T extends FloatArray>(dout: T, cache: EmbeddingCache<T>, dW?: T): { dW: T } {
  const { ids, V, E } = cache;
  const g = dW ?? zerosLike(cache.W, V * E);
  for (let r = 0; r < ids.length; r++) {
    const src = r * E;
    const dst = ids[r] * E;
    for (let j = 0; j < E; j++) g[dst + j] += dout[src + j];
  }
  return { dW: g };
}
