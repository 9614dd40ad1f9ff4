/**
 * CIDEr-D as coco-caption's `Cider` scorer (cider_scorer.py, the "-D" variant) computes it:
 *  - every sentence becomes n-gram counts for n = 1..4;
 *  - document frequency df(g) = number of images whose references contain g (from the evaluated
 *    references only); weight of g in a sentence = tf(g) · (log(#images) − log(max(1, df(g))));
 *  - per order n, similarity of candidate and reference = Σ_g min(c_g, r_g)·r_g / (‖c‖·‖r‖)
 *    (the min is the "-D" clipping), times the Gaussian length penalty exp(−δ²/(2σ²)), σ = 6;
 *  - image score = 10 · mean over n of (Σ over references of the similarity) / #references;
 *  - corpus score = mean over images.
 * The scale is coco's: typically 0–1 for decent models, but it can exceed 1 (up to 10).
 *
 * Quirk kept on purpose: coco's length δ counts *bigrams* (its `if n == 1` tests the zero-based
 * order), i.e. words − 1 for non-empty sentences, so δ equals the word-count difference except
 * when one sentence is empty.
 */
import { ngramCounts, ngramOrder, words } from './tokenize.js';

const N = 4;
const SIGMA = 6;

interface SentenceVector {
  /** Per order (0-based): n-gram -> tf·idf weight. */
  vec: Map<string, number>[];
  norm: number[];
  length: number;
}

export class CiderD {
  private readonly docFreq = new Map<string, number>();
  private readonly refLen: number;
  private readonly refCounts: Map<string, number>[][];

  /** references[i] are the reference captions (tokenised strings) of image i. */
  constructor(references: string[][]) {
    this.refCounts = references.map((refs) => refs.map((r) => ngramCounts(words(r), N)));
    for (const refs of this.refCounts) {
      const seen = new Set<string>();
      for (const counts of refs) for (const g of counts.keys()) seen.add(g);
      for (const g of seen) this.docFreq.set(g, (this.docFreq.get(g) ?? 0) + 1);
    }
    this.refLen = Math.log(references.length);
  }

  private toVector(counts: Map<string, number>): SentenceVector {
    const vec = Array.from({ length: N }, () => new Map<string, number>());
    const norm = new Array<number>(N).fill(0);
    let length = 0;
    for (const [g, tf] of counts) {
      const df = Math.log(Math.max(1, this.docFreq.get(g) ?? 0));
      const n = ngramOrder(g) - 1;
      const w = tf * (this.refLen - df);
      vec[n].set(g, w);
      norm[n] += w * w;
      if (n === 1) length += tf;
    }
    return { vec, norm: norm.map(Math.sqrt), length };
  }

  private similarity(hyp: SentenceVector, ref: SentenceVector): number[] {
    const delta = hyp.length - ref.length;
    const penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
    const val = new Array<number>(N).fill(0);
    for (let n = 0; n < N; n++) {
      for (const [g, h] of hyp.vec[n]) {
        const r = ref.vec[n].get(g) ?? 0;
        val[n] += Math.min(h, r) * r;
      }
      if (hyp.norm[n] !== 0 && ref.norm[n] !== 0) val[n] /= hyp.norm[n] * ref.norm[n];
      val[n] *= penalty;
    }
    return val;
  }

  /** CIDEr-D of candidate i (tokenised string) against the references given to the constructor. */
  score(i: number, candidate: string): number {
    const refs = this.refCounts[i];
    if (!refs) throw new Error(`CiderD: no references for image ${i}`);
    const hyp = this.toVector(ngramCounts(words(candidate), N));
    const sum = new Array<number>(N).fill(0);
    for (const r of refs) {
      const s = this.similarity(hyp, this.toVector(r));
      for (let n = 0; n < N; n++) sum[n] += s[n];
    }
    let mean = 0;
    for (let n = 0; n < N; n++) mean += sum[n];
    mean /= N;
    return (mean / refs.length) * 10;
  }
}

/** Per-image CIDEr-D scores and their mean. */
export function corpusCiderD(candidates: string[], references: string[][]): { score: number; perImage: number[] } {
  if (candidates.length !== references.length) throw new Error('corpusCiderD: one list of references per candidate');
  const scorer = new CiderD(references);
  const perImage = candidates.map((c, i) => scorer.score(i, c));
  const score = perImage.length ? perImage.reduce((a, b) => a + b, 0) / perImage.length : 0;
  return { score, perImage };
}
