/**
 * Caption a set of images from their features and score the captions against references:
 * what `lenscribe eval` prints and what training validates with each epoch.
 */
import { END, PAD, START, UNK, type StepModel } from '../types.js';
import type { Vocabulary } from '../vocab.js';
import { ciderD, scoreCaptions, type CaptionScores } from './index.js';

/** Captions for n images whose features are rows of `features` (n×D). */
export type Captioner = (features: Float32Array, n: number) => string[] | Promise<string[]>;

/**
 * Greedy decoding, many images at once: every row takes its most probable word each step
 * (never <unk>, <pad> or <start>) until <end> or `maxWords`.
 */
export function greedyCaptioner(model: StepModel, vocab: Vocabulary, featureDim: number, { maxWords = 20, batch = 256 } = {}): Captioner {
  return (features, n) => {
    const out: string[] = [];
    for (let b0 = 0; b0 < n; b0 += batch) {
      const m = Math.min(batch, n - b0);
      const state = model.initState(features.subarray(b0 * featureDim, (b0 + m) * featureDim), m);
      const tokens = new Int32Array(m).fill(START);
      const words: number[][] = Array.from({ length: m }, () => []);
      const done = new Uint8Array(m);
      let open = m;
      for (let t = 0; t < maxWords && open > 0; t++) {
        const logp = model.step(state, tokens);
        const V = model.vocabSize;
        for (let i = 0; i < m; i++) {
          let best = END;
          let bestScore = -Infinity;
          for (let v = 0; v < V; v++) {
            if (v === PAD || v === START || v === UNK) continue;
            const s = logp[i * V + v]!;
            if (s > bestScore) {
              bestScore = s;
              best = v;
            }
          }
          tokens[i] = best;
          if (done[i]) continue;
          if (best === END) {
            done[i] = 1;
            open--;
          } else words[i]!.push(best);
        }
      }
      for (const w of words) out.push(vocab.decode(w));
    }
    return out;
  };
}

export interface EvaluationResult {
  scores: CaptionScores;
  captions: string[];
}

/** Caption every image and score against its references (raw text; tokenised for scoring). */
export async function evaluateCaptioner(captioner: Captioner, features: Float32Array, n: number, references: string[][]): Promise<EvaluationResult> {
  if (references.length !== n) throw new Error(`evaluateCaptioner: ${references.length} reference lists for ${n} images`);
  const captions = await captioner(features, n);
  return { scores: scoreCaptions(captions, references), captions };
}

/** Validation CIDEr-D of a captioner (coco scale). */
export async function validationCider(captioner: Captioner, features: Float32Array, n: number, references: string[][]): Promise<number> {
  return ciderD(await captioner(features, n), references);
}
