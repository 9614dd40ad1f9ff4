/**
 * ROUGE-L as coco-caption's `Rouge` scorer computes it: for each reference, the longest common
 * subsequence (LCS) with the candidate gives precision LCS/|candidate| and recall LCS/|reference|;
 * the best precision and the best recall over the references (each maximised separately, as coco
 * does) combine into F = (1 + β²)·P·R / (R + β²·P) with β = 1.2. The corpus score is the mean over images.
 */
import { words } from './tokenize.js';

const BETA = 1.2;

/** Length of the longest common subsequence of two word lists (dynamic programming, two rows). */
export function lcsLength(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** ROUGE-L of one candidate against its references. */
export function rougeL(candidate: string, references: string[]): number {
  const cw = words(candidate);
  let precMax = 0;
  let recMax = 0;
  for (const ref of references) {
    const rw = words(ref);
    const lcs = lcsLength(rw, cw);
    // coco divides by the lengths unguarded; an empty candidate or reference can only give LCS 0.
    const prec = cw.length ? lcs / cw.length : 0;
    const rec = rw.length ? lcs / rw.length : 0;
    if (prec > precMax) precMax = prec;
    if (rec > recMax) recMax = rec;
  }
  if (precMax === 0 || recMax === 0) return 0;
  return ((1 + BETA * BETA) * precMax * recMax) / (recMax + BETA * BETA * precMax);
}

export function corpusRougeL(candidates: string[], references: string[][]): number {
  if (candidates.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < candidates.length; i++) sum += rougeL(candidates[i], references[i]);
  return sum / candidates.length;
}
