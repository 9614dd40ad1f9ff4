/**
 * Caption tokenisation for scoring, in the spirit of coco-caption's PTBTokenizer: lowercase,
 * Penn-Treebank-style clitic splitting ("dog's" -> "dog 's", "don't" -> "do n't"), and every
 * punctuation token removed. Hyphenated words stay one token, as PTB keeps them.
 * The scorers themselves split on single spaces, exactly like coco-caption's, so they take
 * the output of `tokenizeCaption` (already joined with single spaces).
 */

/** Clitics PTB splits off the end of a word. */
const CLITICS = /^(.+?)('s|'re|'ve|'ll|'d|'m|n't)$/;

const STANDALONE_CLITIC = /^('s|'re|'ve|'ll|'d|'m|n't)$/;

/** Characters that are never part of a word for scoring purposes. */
const PUNCT = /[!"#$%&()*+,./:;<=>?@[\\\]^_`{|}~\u2018\u2019\u201c\u201d\u2013\u2014\u2026]/g;

export function tokenizeCaption(text: string): string[] {
  const tokens: string[] = [];
  const normalised = text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
  for (const raw of normalised.split(/\s+/)) {
    if (!raw) continue;
    // Punctuation becomes a word boundary ("dog,cat" -> "dog cat"); apostrophes and hyphens survive here.
    for (const piece of raw.replace(PUNCT, ' ').split(' ')) {
      // A clitic already standing alone ("dog 's", as Flickr8k writes it) stays; otherwise
      // quotes and dashes at the edges of a word are punctuation.
      const word = STANDALONE_CLITIC.test(piece) ? piece : piece.replace(/^['-]+|['-]+$/g, '');
      if (!word) continue;
      const clitic = CLITICS.exec(word);
      if (clitic && !STANDALONE_CLITIC.test(word)) {
        tokens.push(clitic[1], clitic[2]);
      } else if (/[a-z0-9]/.test(word)) {
        tokens.push(word);
      }
    }
  }
  return tokens;
}

/** The space-joined token string the scorers take. */
export function normaliseCaption(text: string): string {
  return tokenizeCaption(text).join(' ');
}

/** Split exactly as coco-caption's scorers do (`str.split()` on whitespace). */
export function words(s: string): string[] {
  return s.split(/\s+/).filter((w) => w.length > 0);
}

/** Counts of every n-gram of order 1..n, keyed by the n-gram joined with a space. */
export function ngramCounts(ws: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= ws.length; i++) {
      const g = ws.slice(i, i + k).join(' ');
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
  }
  return counts;
}

/** Order of an n-gram key produced by `ngramCounts`. */
export function ngramOrder(key: string): number {
  let k = 1;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 32) k++;
  return k;
}
