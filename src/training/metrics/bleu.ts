/**
 * Corpus-level BLEU-1..4 exactly as coco-caption's `Bleu(4)` scorer (bleu_scorer.py, option
 * "closest") computes it:
 *  - per image, each candidate n-gram count is clipped by its largest count in any one reference;
 *  - clipped matches ("correct") and candidate n-grams ("guess") are summed over the corpus;
 *  - the reference length for an image is the reference length closest to the candidate's
 *    (ties go to the shorter reference); candidate and reference lengths are summed over the corpus;
 *  - BLEU-n = (prod_{k<=n} (correct_k + 1e-15) / (guess_k + 1e-9))^(1/n), times the brevity
 *    penalty exp(1 - R/C) when the corpus candidate length C is below the reference length R
 *    (with coco's ratio (C + 1e-15) / (R + 1e-9)).
 * Inputs are tokenised strings (see tokenize.ts); words are split on whitespace.
 */
import { ngramCounts, ngramOrder, words } from './tokenize.js';

export interface BleuStats {
  testLen: number;
  refLen: number;
  /** Candidate n-grams of order k+1, summed over the corpus. */
  guess: number[];
  /** Clipped matching n-grams of order k+1, summed over the corpus. */
  correct: number[];
}

const SMALL = 1e-9;
const TINY = 1e-15;

/** Add one image's candidate and references to the corpus statistics. */
export function addBleuStats(stats: BleuStats, candidate: string, references: string[], n = 4): void {
  const maxRef = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of references) {
    const rw = words(ref);
    refLens.push(rw.length);
    for (const [g, c] of ngramCounts(rw, n)) if (c > (maxRef.get(g) ?? 0)) maxRef.set(g, c);
  }
  const cw = words(candidate);
  const testLen = cw.length;
  // coco: min((abs(l - testlen), l) for l in reflens)[1]
  let best = Infinity;
  let bestLen = 0;
  for (const l of refLens) {
    const d = Math.abs(l - testLen);
    if (d < best || (d === best && l < bestLen)) {
      best = d;
      bestLen = l;
    }
  }
  stats.testLen += testLen;
  stats.refLen += bestLen;
  for (let k = 0; k < n; k++) stats.guess[k] += Math.max(0, testLen - k);
  for (const [g, c] of ngramCounts(cw, n)) stats.correct[ngramOrder(g) - 1] += Math.min(maxRef.get(g) ?? 0, c);
}

export function emptyBleuStats(n = 4): BleuStats {
  return { testLen: 0, refLen: 0, guess: new Array(n).fill(0), correct: new Array(n).fill(0) };
}

/** BLEU-1..n from corpus statistics, in [0, 1]. */
export function bleuFromStats(stats: BleuStats): number[] {
  const n = stats.guess.length;
  const out: number[] = [];
  let product = 1;
  for (let k = 0; k < n; k++) {
    product *= (stats.correct[k] + TINY) / (stats.guess[k] + SMALL);
    out.push(product ** (1 / (k + 1)));
  }
  const ratio = (stats.testLen + TINY) / (stats.refLen + SMALL);
  if (ratio < 1) for (let k = 0; k < n; k++) out[k] *= Math.exp(1 - 1 / ratio);
  return out;
}

/** Corpus BLEU-1..n for candidates[i] against references[i]. */
export function corpusBleu(candidates: string[], references: string[][], n = 4): number[] {
  if (candidates.length !== references.length) throw new Error('corpusBleu: one list of references per candidate');
  const stats = emptyBleuStats(n);
  for (let i = 0; i < candidates.length; i++) addBleuStats(stats, candidates[i], references[i], n);
  return bleuFromStats(stats);
}
