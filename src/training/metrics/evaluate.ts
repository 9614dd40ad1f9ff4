/**
 * Caption a set of images from their features and score the captions against references:
 * what `lenscribe eval` prints and what training validates with each epoch.
 */
import { captionFeatures, type TokenDecoder } from '../../model/decode.js';
import type { GuidanceSettings } from '../../model/concepts/concept-guidance.js';
import type { StepModel } from '../../model/types.js';
import { scoreObjects, type ObjectScores } from './chair.js';
import { ciderD, scoreCaptions, type CaptionScores } from './index.js';

/**
 * Captions for n images whose features are rows of `features` (n×D), for a decoder with
 * concept input their concept scores, rows of `concepts` (n×K), and for one with attention their
 * spatial grids, rows of `grid` (n×G×Dg).
 */
export type Captioner = (features: Float32Array, n: number, concepts?: Float32Array, grid?: Float32Array) => string[] | Promise<string[]>;

/**
 * Captions from a decoder with src/model/decode.ts: greedy search for beam 1, beam search
 * (length-normalised, its default alpha) otherwise. Images go through in chunks so the beam's
 * N·k rows stay a modest matrix. `noRepeatNgram` as in decode.ts (0 = off); `guidance`: guided
 * decoding from the concept scores (concept-guidance.ts), for concept decoders given scores.
 */
export function decoderCaptioner(
  model: StepModel,
  vocab: TokenDecoder,
  featureDim: number,
  {
    beam = 1,
    maxWords = 20,
    chunk = 512,
    noRepeatNgram = 0,
    guidance = null as GuidanceSettings | null,
  }: { beam?: number; maxWords?: number; chunk?: number; noRepeatNgram?: number; guidance?: GuidanceSettings | null } = {},
): Captioner {
  const K = model.conceptDim ?? 0;
  return (features, n, concepts, grid) => {
    const out: string[] = [];
    const gridWidth = grid && n > 0 ? grid.length / n : 0;
    for (let b0 = 0; b0 < n; b0 += chunk) {
      const m = Math.min(chunk, n - b0);
      const rows = features.subarray(b0 * featureDim, (b0 + m) * featureDim);
      const results = captionFeatures(model, vocab, rows, m, {
        method: beam > 1 ? 'beam' : 'greedy',
        beamWidth: beam,
        maxLength: maxWords,
        noRepeatNgram,
        ...(concepts ? { concepts: concepts.subarray(b0 * K, (b0 + m) * K) } : {}),
        ...(grid ? { grid: grid.subarray(b0 * gridWidth, (b0 + m) * gridWidth) } : {}),
        ...(concepts && guidance ? { guideBy: guidance } : {}),
      });
      for (const r of results) out.push(r.text);
    }
    return out;
  };
}

export interface EvaluationResult {
  scores: CaptionScores;
  /** Object hallucination (CHAIR-s, CHAIR-i) and consensus-object recall (chair.ts). */
  objects: ObjectScores;
  captions: string[];
}

/** Caption every image and score against its references (raw text; tokenised for scoring). */
export async function evaluateCaptioner(
  captioner: Captioner,
  features: Float32Array,
  n: number,
  references: string[][],
  concepts?: Float32Array,
  grid?: Float32Array,
): Promise<EvaluationResult> {
  if (references.length !== n) throw new Error(`evaluateCaptioner: ${references.length} reference lists for ${n} images`);
  const captions = await captioner(features, n, concepts, grid);
  return { scores: scoreCaptions(captions, references), objects: scoreObjects(captions, references), captions };
}

/** Validation CIDEr-D of a captioner (coco scale); `concepts` as in Captioner. */
export async function validationCider(
  captioner: Captioner,
  features: Float32Array,
  n: number,
  references: string[][],
  concepts?: Float32Array,
  grid?: Float32Array,
): Promise<number> {
  return ciderD(await captioner(features, n, concepts, grid), references);
}
