/**
 * Paired bootstrap over photos (Koehn 2004, "Statistical Significance Tests for Machine
 * Translation Evaluation"): two systems' per-photo scores on the same photos, resampled with
 * replacement, tell whether a difference of their means is more than which photos happened to be
 * in the set. Choosing decoding settings on 328 validation photos needs this: their CIDEr-D moves by
 * ±0.002 when a handful of captions change a word.
 */
import { Rng } from '../../model/rng.js';

/**
 * The share of `resamples` resamples of the photos in which the mean of `a` falls below the mean
 * of `b` (a[i] and b[i] are the two systems' scores of photo i). Near 1: a is worse, beyond chance.
 */
export function shareWorse(a: readonly number[], b: readonly number[], resamples = 2000, seed = 1): number {
  if (a.length !== b.length) throw new RangeError(`shareWorse: ${a.length} scores against ${b.length}`);
  const n = a.length;
  if (n === 0) return 0;
  const diff = a.map((x, i) => x - b[i]);
  const rng = new Rng(seed);
  let worse = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diff[rng.int(n)];
    if (sum < 0) worse++;
  }
  return worse / resamples;
}
