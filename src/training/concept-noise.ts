/**
 * Concept scores for a caption without a photo, made to look like a detector's.
 *
 * A text-only caption's concepts are read from its words (clean: a concept is present or not).
 * A real detector run on a photo misses things, fires on things that are not there, and gives
 * present things scores below 1. Training the concept path on clean vectors would teach the
 * decoder to trust scores more than it should on real photos, so every time a text-only caption
 * enters a batch its clean vector is corrupted afresh:
 *
 *   present concept (clean score > 0): dropped with probability pMiss, else scored U(presentScore)
 *   absent concept: fires with probability falsePositives / (number absent), scored U(falseScore)
 *
 * so a caption gets on average `falsePositives` false concepts whatever K is. Pure: the draws
 * come from the given Rng in concept order (one or two per concept), so a seed reproduces them.
 */
import type { Rng } from '../model/rng.js';

export interface ConceptNoise {
  /** Probability that a present concept is dropped (a detector's miss). Default 0.2. */
  pMiss?: number;
  /** Expected false positives per caption, spread evenly over its absent concepts. Default 1. */
  falsePositives?: number;
  /** Range [lo, hi] of a kept concept's score, drawn uniformly. Default [0.5, 1]. */
  presentScore?: readonly [number, number];
  /** Range [lo, hi] of a false positive's score, drawn uniformly. Default [0.05, 0.3]. */
  falseScore?: readonly [number, number];
}

export type ResolvedConceptNoise = Required<ConceptNoise>;

export const DEFAULT_CONCEPT_NOISE: ResolvedConceptNoise = {
  pMiss: 0.2,
  falsePositives: 1,
  presentScore: [0.5, 1],
  falseScore: [0.05, 0.3],
};

/** The options with defaults filled in; a RangeError names the first bad one. */
export function resolveConceptNoise(noise: ConceptNoise): ResolvedConceptNoise {
  const r: ResolvedConceptNoise = { ...DEFAULT_CONCEPT_NOISE, ...noise };
  if (!(r.pMiss >= 0 && r.pMiss <= 1)) throw new RangeError(`conceptNoise.pMiss must be in [0, 1], got ${r.pMiss}`);
  if (!(r.falsePositives >= 0 && Number.isFinite(r.falsePositives)))
    throw new RangeError(`conceptNoise.falsePositives must be a finite number >= 0, got ${r.falsePositives}`);
  for (const key of ['presentScore', 'falseScore'] as const) {
    const [lo, hi] = r[key];
    if (!(lo >= 0 && lo <= hi && hi <= 1))
      throw new RangeError(`conceptNoise.${key} must be [lo, hi] with 0 <= lo <= hi <= 1, got [${lo}, ${hi}]`);
  }
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
  const [pLo, pHi] = noise.presentScore;
  const [fLo, fHi] = noise.falseScore;
  for (let k = 0; k < K; k++) {
    if (clean[k] > 0) out[k] = rng.uniform() < noise.pMiss ? 0 : pLo + (pHi - pLo) * rng.uniform();
    else out[k] = rng.uniform() < pFalse ? fLo + (fHi - fLo) * rng.uniform() : 0;
  }
  return out;
}
