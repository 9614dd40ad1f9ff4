/**
 * Turns whatever the user typed into a safe FTS5 MATCH expression. User text is never passed
 * to FTS5 as syntax: it is split into words (letters and digits, as the unicode61 tokenizer
 * splits them), and every word becomes a quoted string. Quotes make phrases; an unbalanced
 * quote makes a phrase of the rest. The last word is a prefix while the user is still typing
 * it (no trailing space). FTS5 operators typed by the user (AND, OR, NOT, NEAR, *, -, :, ^,
 * parentheses) are thereby plain words or separators — never errors.
 */

export type QueryTerm = { kind: 'word'; word: string; prefix: boolean } | { kind: 'phrase'; words: string[]; prefix: boolean };

export interface ParsedQuery {
  terms: QueryTerm[];
}

/** More terms than this are dropped: they only slow the query down. */
export const MAX_TERMS = 16;
/** Prefix search on a single letter matches too much to be useful while typing. */
const MIN_PREFIX = 2;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

function words(text: string): string[] {
  return (text.normalize('NFC').toLowerCase().match(WORD) ?? []).map((w) => w.slice(0, 64));
}

export function parseQuery(input: string): ParsedQuery {
  const text = String(input ?? '').slice(0, 1000);
  const stillTyping = text.length > 0 && !/[\s"]$/u.test(text);
  const terms: QueryTerm[] = [];
  const parts = text.split('"');
  // Even-indexed parts are outside quotes, odd-indexed ones inside; an odd count of quotes
  // leaves the last part as an open phrase.
  parts.forEach((part, i) => {
    const inside = i % 2 === 1;
    const ws = words(part);
    if (ws.length === 0) return;
    if (inside) terms.push({ kind: 'phrase', words: ws, prefix: false });
    else for (const w of ws) terms.push({ kind: 'word', word: w, prefix: false });
  });
  if (stillTyping && terms.length > 0) {
    const last = terms[terms.length - 1];
    const openPhrase = parts.length % 2 === 0;
    const lastPartIsIt = words(parts[parts.length - 1]).length > 0;
    if (lastPartIsIt && (last.kind === 'word' || openPhrase)) {
      if (last.kind === 'word' && last.word.length >= MIN_PREFIX) last.prefix = true;
      if (last.kind === 'phrase' && last.words[last.words.length - 1].length >= MIN_PREFIX) last.prefix = true;
    }
  }
  // Function words carry no weight in bm25 but cost a pass over most of the index; they are
  // dropped unless they are all the query has (inside quotes they stay: phrases need them).
  const content = terms.filter((t) => t.kind !== 'word' || t.prefix || !STOP_WORDS.has(t.word));
  return { terms: (content.length ? content : terms).slice(0, MAX_TERMS) };
}

export const STOP_WORDS = new Set(
  'a an the and or of in on at to for from with by is are was were be been it its this that these those his her their there into onto as through up down out off over while who which'.split(
    ' ',
  ),
);

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * One term as FTS5 syntax. A prefix word also matches as a whole word, because the porter
 * stemmer indexes `dogs` as `dog`: the prefix `dogs*` alone would miss it.
 */
export function termExpression(t: QueryTerm): string {
  if (t.kind === 'word') return t.prefix ? `(${quote(t.word)}* OR ${quote(t.word)})` : quote(t.word);
  const phrase = quote(t.words.join(' '));
  return t.prefix ? `(${phrase}* OR ${phrase})` : phrase;
}

/** The AND of all terms, or null when the query has no searchable word. */
export function matchExpression(q: ParsedQuery): string | null {
  if (q.terms.length === 0) return null;
  return q.terms.map(termExpression).join(' AND ');
}

/**
 * Query expansion: each word term ORed with its similar words. Returns null when no term
 * has any similar word.
 */
export function expandedExpression(q: ParsedQuery, similar: Map<string, string[]>): string | null {
  let any = false;
  const parts = q.terms.map((t) => {
    const base = termExpression(t);
    if (t.kind !== 'word') return base;
    const more = similar.get(t.word) ?? [];
    if (more.length === 0) return base;
    any = true;
    return `(${[base, ...more.map(quote)].join(' OR ')})`;
  });
  return any ? parts.join(' AND ') : null;
}

/** All plain words of the query (what expansion looks up). */
export function queryWords(q: ParsedQuery): string[] {
  return q.terms.filter((t): t is Extract<QueryTerm, { kind: 'word' }> => t.kind === 'word').map((t) => t.word);
}
