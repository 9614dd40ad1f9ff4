/**
 * Caption metrics as the coco-caption toolkit defines them: corpus BLEU-1..4, ROUGE-L, CIDEr-D;
 * and object hallucination (CHAIR-s, CHAIR-i) with consensus-object recall (chair.ts, `scoreObjects`).
 * `scoreCaptions` takes raw captions, tokenises them (lowercase, punctuation removed, see
 * tokenize.ts) and returns every figure. BLEU and ROUGE-L lie in [0, 1]; CIDEr-D is on coco's
 * scale (0–10; it can exceed 1).
 */
import { corpusBleu } from './bleu.js';
import { corpusCiderD } from './cider.js';
import { corpusRougeL } from './rouge.js';
import { normaliseCaption } from './tokenize.js';

export { corpusBleu, addBleuStats, bleuFromStats, emptyBleuStats, type BleuStats } from './bleu.js';
export { CiderD, corpusCiderD } from './cider.js';
export { corpusRougeL, rougeL, lcsLength } from './rouge.js';
export { captionObjects, photoObjects, scoreObjects, CONSENSUS_REFERENCES, type ObjectScores, type PhotoObjects } from './chair.js';
export { normaliseCaption, tokenizeCaption } from './tokenize.js';

export interface CaptionScores {
  images: number;
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  rouge_l: number;
  cider: number;
}

/** Score raw candidate captions against raw reference captions (one list per candidate). */
export function scoreCaptions(candidates: string[], references: string[][]): CaptionScores {
  if (candidates.length !== references.length) throw new Error('scoreCaptions: one list of references per candidate');
  const cand = candidates.map(normaliseCaption);
  const refs = references.map((rs) => rs.map(normaliseCaption));
  const [bleu1, bleu2, bleu3, bleu4] = corpusBleu(cand, refs, 4) as [number, number, number, number];
  return {
    images: candidates.length,
    bleu1,
    bleu2,
    bleu3,
    bleu4,
    rouge_l: corpusRougeL(cand, refs),
    cider: corpusCiderD(cand, refs).score,
  };
}

/** CIDEr-D of each raw candidate against its raw references (their mean is scoreCaptions' cider). */
export function perImageCiderD(candidates: string[], references: string[][]): number[] {
  return rawCiderD(candidates, references).perImage;
}

/** Just CIDEr-D on raw captions (validation during training). */
export function ciderD(candidates: string[], references: string[][]): number {
  return rawCiderD(candidates, references).score;
}

function rawCiderD(candidates: string[], references: string[][]): ReturnType<typeof corpusCiderD> {
  return corpusCiderD(
    candidates.map(normaliseCaption),
    references.map((rs) => rs.map(normaliseCaption)),
  );
}
