/**
 * Temporal softmax cross-entropy with a mask for padding.
 *
 *   x    (R×V) scores, R = T·N rows (any order, e.g. time-major)
 *   y    (R)   target ids
 *   mask (R)   1 where the target counts, 0 at padding
 *   loss = −Σ_r mask_r · log softmax(x_r)[y_r] / normalizer
 *   dx   (R×V) = mask_r · (softmax(x_r) − onehot(y_r)) / normalizer
 *
 * The normalizer defaults to the number of counted targets (mean per real token), so the
 * loss does not depend on how much padding a batch has. The trainer passes the whole
 * batch's token count when it splits a batch into TBPTT windows, so the windows' losses
 * and gradients add up to those of the whole batch.
 */
import type { FloatArray } from '../matmul.js';
import { zerosLike } from './tensor.js';

export function countMask(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}

/**
 * Returns [loss, dx]. If `dxOut` is given it is filled and returned (the scores buffer
 * itself may be passed to turn it into its gradient in place).
 */
export function temporalSoftmaxLoss<T extends FloatArray>(
  x: T,
  y: Int32Array,
  mask: Uint8Array,
  V: number,
  normalizer: number = countMask(mask),
  dxOut?: T,
): [number, T] {
  const R = y.length;
  if (x.length < R * V) throw new RangeError(`temporal softmax: scores have ${x.length} elements, need ${R}×${V}`);
  const dx = dxOut ?? zerosLike(x, R * V);
  let loss = 0;
  const scale = normalizer > 0 ? 1 / normalizer : 0;
  for (let r = 0; r < R; r++) {
    const off = r * V;
    if (!mask[r]) {
      dx.fill(0, off, off + V);
      continue;
    }
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (x[off + j] > max) max = x[off + j];
    const target = y[r];
    if (target < 0 || target >= V) throw new RangeError(`temporal softmax: target ${target} outside vocabulary of ${V}`);
    const xTarget = x[off + target]; // read before dx (possibly x itself) is overwritten
    let sum = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp(x[off + j] - max);
      dx[off + j] = e;
      sum += e;
    }
    // log p(target) = x_target − max − log Σ exp
    loss -= xTarget - max - Math.log(sum);
    const k = scale / sum;
    for (let j = 0; j < V; j++) dx[off + j] *= k;
    dx[off + target] -= scale;
  }
  return [loss * scale, dx];
}
