/**
 * Whether the user's labels can teach anything, checked before a fine-tune spends minutes on
 * them: enough of them, not all (nearly) one sentence, and not (nearly) what the model already
 * says. Two captions are "nearly the same" when their content words (function words left out,
 * see function-words.ts) overlap by NEAR_SAME or more (Jaccard): "A dog runs on the grass" and
 * "a dog runs on grass" are one sentence, "Rexo on the beach" and "Rexo on the sofa" are two.
 */
import { tokenize } from '../model/vocab.js';
import { isFunctionWord } from './function-words.js';

/** Content-word overlap (Jaccard) from which two captions count as one sentence. */
export const NEAR_SAME = 0.8;
/** Fewest different captions (near-duplicates counted once) a fine-tune accepts. */
export const MIN_DISTINCT_LABELS = 3;
/** Fewest labels that must differ from the model's own caption of the photo. */
export const MIN_NEW_LABELS = 3;

function contentWords(caption: string): Set<string> {
  const words = tokenize(caption);
  const content = words.filter((w) => !isFunctionWord(w));
  // A caption of function words only ("in our"): compare all its words.
  return new Set(content.length > 0 ? content : words);
}

/** Jaccard overlap of the two captions' content words (1 for two empty captions). */
export function captionOverlap(a: string, b: string): number {
  const x = contentWords(a);
  const y = contentWords(b);
  if (x.size === 0 && y.size === 0) return 1;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return both / (x.size + y.size - both);
}

export function nearlySame(a: string, b: string): boolean {
  return captionOverlap(a, b) >= NEAR_SAME;
}

/** How many different captions there are, near-duplicates counted once (greedy: each joins the first sentence it nearly repeats). */
export function distinctCaptions(captions: readonly string[]): number {
  const sentences: string[] = [];
  for (const c of captions) if (!sentences.some((s) => nearlySame(s, c))) sentences.push(c);
  return sentences.length;
}

const labelsWord = (n: number) => `${n} label${n === 1 ? '' : 's'}`;

/** Why the labels are too alike to teach anything, or null. */
export function tooAlikeProblem(captions: readonly string[]): string | null {
  const distinct = distinctCaptions(captions);
  if (distinct >= MIN_DISTINCT_LABELS) return null;
  const what = distinct === 1 ? 'are nearly the same sentence' : `are nearly ${distinct} sentences repeated`;
  return `Your ${labelsWord(captions.length)} ${what}; teaching needs at least ${MIN_DISTINCT_LABELS} different captions.`;
}

/** Why the labels would teach the model nothing it does not already say (`modelCaptions[i]` is its caption of label i's photo), or null. */
export function nothingNewProblem(captions: readonly string[], modelCaptions: readonly string[]): string | null {
  const differ = captions.filter((c, i) => !nearlySame(c, modelCaptions[i] ?? '')).length;
  if (differ >= MIN_NEW_LABELS) return null;
  return (
    `Your ${labelsWord(captions.length)} nearly repeat what the model already says (${differ === 0 ? 'none' : `only ${differ}`} in other words); ` +
    `teaching needs at least ${MIN_NEW_LABELS} captions that say something the model does not.`
  );
}
