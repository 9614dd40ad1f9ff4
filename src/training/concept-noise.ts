/**
 * Concept scores for a caption without a photo, made to look like a detector's.
 *
 * A text-only caption's concepts are read from its words (clean: a concept is present or not).
 * A real detector run on a photo misses things, fires on things that are not there, and gives
 * present things scores below 1. Training the concept path on clean vectors would teach the
 * decoder to trust scores more than it should on real photos, so every time a text-only caption
 * enters a batch its clean vector is corrupted afresh:
 *
 *   present concept (clean score > 0): dropped with probability pMiss, else scored from presentScore
 *   absent concept: fires with probability falsePositives / (number absent), scored from falseScore
 *
 * so a caption gets on average `falsePositives` false concepts whatever K is. A score distribution
 * is a range [lo, hi] (uniform) or an empirical one, `{ quantiles }` (inverse CDF: values at
 * probabilities 0, 1/m, …, 1, linear in between). Pure: the draws come from the given Rng in
 * concept order (one or two per concept), so a seed reproduces them.
 *
 * The defaults are what the real encoders do on Flickr8k TRAIN photos (DETECTOR_BEHAVIOUR below,
 * measured by tools/measure-concept-noise.ts; never on coco-dev, which is for evaluation only).
 */
import type { Rng } from '../model/rng.js';

/** A score distribution: uniform over [lo, hi], or empirical quantiles (ascending, at evenly spaced probabilities). */
export type ScoreDistribution = readonly [number, number] | { readonly quantiles: readonly number[] };

export interface ConceptNoise {
  /** Probability that a present concept is dropped (a detector's miss). */
  pMiss?: number;
  /** Expected false positives per caption, spread evenly over its absent concepts. */
  falsePositives?: number;
  /** Score of a kept concept. */
  presentScore?: ScoreDistribution;
  /** Score of a false positive. */
  falseScore?: ScoreDistribution;
}

export type ResolvedConceptNoise = Required<ConceptNoise>;

/**
 * Concept scores of the real encoder on 300 Flickr8k train photos (every 21st of the hash split's
 * train side): centernet_resnet50's `concepts` output (conceptScores of its detector's `objects`
 * and ResNet-50's `probs`, both at 320 px; encoder sha256 17085702…), what training and captioning
 * feed the decoder.
 * Present = named by >= 3 of the photo's 5 captions (2.17 per photo), absent = named by none (197
 * per photo). Quantiles at 0, 5, …, 100 % (present), percentiles (absent: its tail is thin).
 *   present: 17.0 % score below 0.05 (a miss); median 0.484, quartiles 0.151–0.799
 *   absent: 17.65 per photo score above 0.05 (median of those 0.078), 0.767 above 0.3, 0.263 above 0.5
 * (The separate encoders, resnet50_int8 at 224 px: 16.6 % misses, median 0.505; 17.5, 0.78 and 0.30.)
 * (coco-dev, measured by a colleague for comparison only: present median 0.44, 9 % below 0.05;
 * absent 18.5 above 0.05, 0.87 above 0.3, 0.23 above 0.5.) Absent concepts below 0.05 are left at 0.
 * False positives are spread evenly over the absent concepts, although real ones gather on a few
 * (hypernyms such as animal, and dog): a known simplification.
 */
export const DETECTOR_BEHAVIOUR = {
  photos: 300,
  presentBelow005: 0.17,
  /** Quantiles of present concepts' scores that are >= 0.05. */
  presentQuantiles: [
    0.052, 0.106, 0.159, 0.224, 0.287, 0.347, 0.388, 0.45, 0.486, 0.529, 0.565, 0.618, 0.662, 0.732, 0.804, 0.908, 0.959, 0.984, 0.996,
    0.999, 1,
  ],
  absentAbove005PerPhoto: 17.65,
  absentAbove03PerPhoto: 0.767,
  absentAbove05PerPhoto: 0.263,
  /** Percentiles of absent concepts' scores that are > 0.05. */
  absentQuantiles: [
    0.05, 0.05, 0.051, 0.051, 0.051, 0.052, 0.052, 0.053, 0.053, 0.053, 0.054, 0.054, 0.055, 0.055, 0.055, 0.056, 0.056, 0.057, 0.057,
    0.058, 0.058, 0.059, 0.059, 0.06, 0.06, 0.061, 0.061, 0.062, 0.062, 0.063, 0.064, 0.064, 0.065, 0.065, 0.066, 0.067, 0.068, 0.068,
    0.069, 0.069, 0.07, 0.071, 0.071, 0.072, 0.073, 0.073, 0.074, 0.075, 0.076, 0.077, 0.078, 0.079, 0.08, 0.081, 0.083, 0.084, 0.085,
    0.086, 0.088, 0.089, 0.09, 0.091, 0.093, 0.094, 0.095, 0.097, 0.099, 0.101, 0.102, 0.104, 0.106, 0.108, 0.111, 0.114, 0.117, 0.119,
    0.123, 0.126, 0.128, 0.132, 0.136, 0.14, 0.144, 0.148, 0.152, 0.159, 0.165, 0.172, 0.181, 0.189, 0.199, 0.21, 0.221, 0.231, 0.25, 0.277,
    0.31, 0.355, 0.417, 0.572, 0.999,
  ],
} as const;

export const DEFAULT_CONCEPT_NOISE: ResolvedConceptNoise = {
  pMiss: DETECTOR_BEHAVIOUR.presentBelow005,
  falsePositives: DETECTOR_BEHAVIOUR.absentAbove005PerPhoto,
  presentScore: { quantiles: DETECTOR_BEHAVIOUR.presentQuantiles },
  falseScore: { quantiles: DETECTOR_BEHAVIOUR.absentQuantiles },
};

/** A RangeError naming `key` unless the distribution lies in [0, 1] and is ordered. */
function checkDistribution(key: string, d: ScoreDistribution): void {
  if (Array.isArray(d)) {
    const [lo, hi] = d as readonly [number, number];
    if (!(lo >= 0 && lo <= hi && hi <= 1))
      throw new RangeError(`conceptNoise.${key} must be [lo, hi] with 0 <= lo <= hi <= 1, got [${lo}, ${hi}]`);
    return;
  }
  const q = (d as { quantiles: readonly number[] }).quantiles;
  const ordered = Array.isArray(q) && q.length >= 2 && q.every((v, i) => v >= 0 && v <= 1 && (i === 0 || v >= q[i - 1]!));
  if (!ordered) throw new RangeError(`conceptNoise.${key}.quantiles must be >= 2 ascending numbers in [0, 1]`);
}

/** A score drawn from d with one uniform number u in [0, 1). */
function drawScore(d: ScoreDistribution, u: number): number {
  if (Array.isArray(d)) {
    const [lo, hi] = d as readonly [number, number];
    return lo + (hi - lo) * u;
  }
  const q = (d as { quantiles: readonly number[] }).quantiles;
  const x = u * (q.length - 1);
  const i = Math.min(Math.floor(x), q.length - 2);
  return q[i]! + (q[i + 1]! - q[i]!) * (x - i);
}

/** The options with defaults filled in; a RangeError names the first bad one. */
export function resolveConceptNoise(noise: ConceptNoise): ResolvedConceptNoise {
  const r: ResolvedConceptNoise = { ...DEFAULT_CONCEPT_NOISE, ...noise };
  if (!(r.pMiss >= 0 && r.pMiss <= 1)) throw new RangeError(`conceptNoise.pMiss must be in [0, 1], got ${r.pMiss}`);
  if (!(r.falsePositives >= 0 && Number.isFinite(r.falsePositives)))
    throw new RangeError(`conceptNoise.falsePositives must be a finite number >= 0, got ${r.falsePositives}`);
  for (const key of ['presentScore', 'falseScore'] as const) checkDistribution(key, r[key]);
  return r;
}

/** A detector-like corruption of the clean concept vector `clean` (K), written into `out` (default: a new array). */
export function noisyConcepts(
  clean: Float32Array,
  noise: ResolvedConceptNoise,
  rng: Rng,
  out: Float32Array = new Float32Array(clean.length),
): Float32Array {
  const K = clean.length;
  if (out.length < K) throw new RangeError(`noisyConcepts: out has ${out.length} values for ${K} concepts`);
  let absent = 0;
  for (let k = 0; k < K; k++) if (!(clean[k] > 0)) absent++;
  const pFalse = absent > 0 ? Math.min(1, noise.falsePositives / absent) : 0;
  for (let k = 0; k < K; k++) {
    if (clean[k] > 0) out[k] = rng.uniform() < noise.pMiss ? 0 : drawScore(noise.presentScore, rng.uniform());
    else out[k] = rng.uniform() < pFalse ? drawScore(noise.falseScore, rng.uniform()) : 0;
  }
  return out;
}
