/**
 * Unfamiliar photos: a photo whose feature lies far from every training photo's is described
 * from its concept scores alone. The decoder learned two ways in (decoder.ts): photo captions,
 * from the feature and the concepts (Flickr8k: people and dogs), and text-only captions, from
 * the concepts alone (167k captions of COCO, Flickr30k and Pascal photos). For a kitchen or a
 * giraffe the feature path still writes "a man in a white shirt"; the concept path, which has
 * read thousands of captions of kitchens and giraffes, writes what is there.
 *
 * Distance: the mean over the D feature values of ((f − feature_mean) / feature_std)², 1 on
 * average over the training photos. An unfamiliar photo's feature is replaced by the training
 * mean, which standardises to zero, as a text-only caption's missing image does in training.
 */

/** The decoder's training statistics of each feature value (feature_mean, feature_std; D each). */
export interface FeatureStats {
  mean: Float32Array;
  std: Float32Array;
}

/** Each of n photos' distance from the training photos (features n×D, D = the statistics' width). */
export function featureDistance(features: Float32Array, n: number, stats: FeatureStats): Float32Array {
  const D = stats.mean.length;
  if (features.length !== n * D) throw new RangeError(`featureDistance: ${features.length} values for ${n} photos × ${D}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < D; j++) {
      const z = (features[i * D + j]! - stats.mean[j]!) / stats.std[j]!;
      sum += z * z;
    }
    out[i] = sum / D;
  }
  return out;
}

/** The distance that `share` of the training photos stay at or under (their distances, any order). */
export function familiarLimit(trainingDistances: Float32Array, share: number): number {
  if (!(share > 0 && share < 1)) throw new RangeError(`familiarLimit: share must be in (0, 1), got ${share}`);
  if (trainingDistances.length === 0) throw new RangeError('familiarLimit: no training photos');
  const sorted = Float32Array.from(trainingDistances).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

/**
 * The features with every photo farther than `above` replaced by the training mean, and which
 * photos those were. The input is not changed; it is returned as it is when no photo is unfamiliar.
 */
export function withoutUnfamiliarFeatures(
  features: Float32Array,
  n: number,
  stats: FeatureStats,
  above: number,
): { features: Float32Array; unfamiliar: boolean[] } {
  const distance = featureDistance(features, n, stats);
  const unfamiliar = Array.from(distance, (d) => d > above);
  if (!unfamiliar.includes(true)) return { features, unfamiliar };
  const D = stats.mean.length;
  const out = Float32Array.from(features);
  unfamiliar.forEach((u, i) => u && out.set(stats.mean, i * D));
  return { features: out, unfamiliar };
}
