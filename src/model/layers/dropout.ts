/**
 * Inverted dropout: in training each unit is kept with probability 1 - p and scaled by
 * 1/(1 - p), so evaluation needs no rescaling and is the identity.
 *
 *   forward:  x (any shape, n elements), p, rng, train  ->  out (same shape)
 *   backward: dout                                      ->  dx = dout ⊙ mask
 */
import type { FloatArray } from '../matmul.js';
import type { Rng } from '../rng.js';
import { zerosLike } from './tensor.js';

export interface DropoutCache<T extends FloatArray> {
  /** Per-element scale: 0 or 1/(1-p); null when dropout was the identity. */
  mask: T | null;
}

export function dropoutForward<T extends FloatArray>(x: T, p: number, rng: Rng | null, train: boolean): [T, DropoutCache<T>] {
  if (!train || p <= 0) return [x, { mask: null }];
  if (p >= 1) throw new RangeError(`dropout: p must be below 1, got ${p}`);
  if (!rng) throw new Error('dropout: training with p > 0 needs an rng');
  const n = x.length;
  const mask = zerosLike(x, n);
  const out = zerosLike(x, n);
  const scale = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    if (rng.uniform() >= p) {
      mask[i] = scale;
      out[i] = x[i] * scale;
    }
  }
  return [out, { mask }];
}

export function dropoutBackward<T extends FloatArray>(dout: T, cache: DropoutCache<T>): T {
  const { mask } = cache;
  if (!mask) return dout;
  const dx = zerosLike(dout, dout.length);
  for (let i = 0; i < dout.length; i++) dx[i] = dout[i] * mask[i];
  return dx;
}
