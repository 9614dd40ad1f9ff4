/**
 * Turns whatever the user typed into a parsed query and safe FTS5 MATCH expressions. User text
 * is never passed to FTS5 as syntax: it is split into words (letters and digits, as the unicode61
 * tokenizer splits them), and every word becomes a quoted string.
 *
 * The syntax (shown in the search box's help):
 *  - words are ANDed: `dog beach`;
 *  - `"quoted words"` is a phrase; an unbalanced quote makes a phrase of the rest;
 *  - `-word`, `-"a phrase"` or `NOT word` leaves out photos that say it;
 *  - `dog OR cat` matches either (OR binds tighter than the implicit AND: `black dog OR cat` is
 *    black and (dog or cat));
 *  - `tag:giraffe` (or `tag:"teddy bear"`) asks for a tag alone, `-tag:person` leaves it out;
 *  - the last word is a prefix while the user is still typing it (no trailing space).
 * OR, NOT and AND are operators only in capitals (lowercase "or"/"not" are words). Anything else
 * FTS5 would read as syntax (NEAR, *, :, ^, parentheses) is a plain word or a separator.
 */

/** One thing a clause can match: a word, or a phrase. */
export type QueryTerm = { kind: 'word'; word: string; prefix: boolean } | { kind: 'phrase'; words: string[]; prefix: boolean };

/** One ANDed part of a query: it matches when any of its alternatives (ORed) does. */
export interface QueryClause {
  terms: QueryTerm[];
  /** Tag names among the alternatives (`tag:x OR dog`). */
  tags: string[];
}

export interface ParsedQuery {
  clauses: QueryClause[];
  /** Terms whose photos are left out (`-snow`, `NOT snow`). */
  exclude: QueryTerm[];
  excludeTags: string[];
}

/** More clauses than this are dropped: they only slow the query down. */
export const MAX_TERMS = 16;
/** Prefix search on a single letter matches too much to be useful while typing. */
const MIN_PREFIX = 2;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

export function queryTokens(text: string): string[] {
  return (text.normalize('NFC').toLowerCase().match(WORD) ?? []).map((w) => w.slice(0, 64));
}

export const STOP_WORDS = new Set(
  'a an the and or of in on at to for from with by is are was were be been it its this that these those his her their there into onto as through up down out off over while who which'.split(
    ' ',
  ),
);

/** A raw piece of the input: a bare chunk or a quoted phrase, and whether a `-` or `tag:` came before it. */
interface Chunk {
  text: string;
  quoted: boolean;
  negated: boolean;
  tag: boolean;
  /** The chunk runs to the end of the input (no space or closing quote after it). */
  atEnd: boolean;
}

/** Splits the input into whitespace-separated chunks and quoted phrases. */
function chunks(text: string): Chunk[] {
  const out: Chunk[] = [];
  const re = /(-?)(tag:)?"([^"]*)("?)|(\S+)/giu;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const end = m.index + m[0].length === text.length;
    if (m[5] !== undefined) {
      let body = m[5];
      const negated = body.length > 1 && body.startsWith('-');
      if (negated) body = body.slice(1);
      const tag = /^tag:/iu.test(body);
      if (tag) body = body.slice(4);
      // A chunk that runs into a quote (`dog"`): the quote starts a phrase on the next match.
      const q = body.indexOf('"');
      if (q >= 0) {
        re.lastIndex = m.index + m[0].length - (body.length - q);
        body = body.slice(0, q);
      }
      out.push({ text: body, quoted: false, negated, tag, atEnd: end && q < 0 });
    } else {
      out.push({ text: m[3], quoted: true, negated: m[1] === '-', tag: m[2] !== undefined, atEnd: end && m[4] === '' });
    }
  }
  return out;
}

type Item = { op: 'OR' | 'NOT' } | { chunk: Chunk };

function items(text: string): Item[] {
  return chunks(text).flatMap((c): Item[] => {
    if (!c.quoted && !c.negated && !c.tag && (c.text === 'OR' || c.text === 'NOT')) return [{ op: c.text }];
    if (!c.quoted && !c.negated && !c.tag && c.text === 'AND') return [];
    return [{ chunk: c }];
  });
}

/** The terms of one chunk: a phrase, or one term per word of a bare chunk ("t-shirt" is t and shirt). */
function termsOf(c: Chunk): QueryTerm[] {
  const ws = queryTokens(c.text);
  if (ws.length === 0) return [];
  if (c.quoted) return [{ kind: 'phrase', words: ws, prefix: false }];
  return ws.map((w) => ({ kind: 'word', word: w, prefix: false }));
}

export function parseQuery(input: string): ParsedQuery {
  const text = String(input ?? '').slice(0, 1000);
  const stillTyping = text.length > 0 && !/\s$/u.test(text);
  const q: ParsedQuery = { clauses: [], exclude: [], excludeTags: [] };
  let negateNext = false;
  let orNext = false;
  let lastChunkTerm: QueryTerm | null = null;
  for (const it of items(text)) {
    if ('op' in it) {
      if (it.op === 'NOT') negateNext = true;
      else orNext = q.clauses.length > 0;
      continue;
    }
    const c = it.chunk;
    const negated = c.negated || negateNext;
    negateNext = false;
    const tagName = c.tag ? queryTokens(c.text).join(' ') : '';
    const terms = c.tag ? [] : termsOf(c);
    lastChunkTerm = null;
    if (c.tag && !tagName) continue;
    if (!c.tag && terms.length === 0) continue;
    if (negated) {
      if (c.tag) q.excludeTags.push(tagName);
      else q.exclude.push(...terms);
      orNext = false;
      continue;
    }
    const target: QueryClause = orNext ? q.clauses[q.clauses.length - 1] : { terms: [], tags: [] };
    if (!orNext) q.clauses.push(target);
    orNext = false;
    if (c.tag) target.tags.push(tagName);
    else target.terms.push(terms[0]);
    for (const t of terms.slice(1)) q.clauses.push({ terms: [t], tags: [] });
    if (c.atEnd && !c.tag) lastChunkTerm = terms[terms.length - 1];
  }
  if (stillTyping && lastChunkTerm) {
    const last = lastChunkTerm.kind === 'word' ? lastChunkTerm.word : lastChunkTerm.words[lastChunkTerm.words.length - 1];
    if (last.length >= MIN_PREFIX) lastChunkTerm.prefix = true;
  }
  // Function words carry no weight in bm25 but cost a pass over most of the index; a clause of
  // one is dropped unless such clauses are all the query has (inside quotes they stay).
  const isStop = (cl: QueryClause) =>
    cl.tags.length === 0 && cl.terms.every((t) => t.kind === 'word' && !t.prefix && STOP_WORDS.has(t.word));
  const content = q.clauses.filter((cl) => !isStop(cl));
  q.clauses = (content.length ? content : q.clauses).slice(0, MAX_TERMS);
  q.exclude = q.exclude.filter((t) => t.kind !== 'word' || !STOP_WORDS.has(t.word)).slice(0, MAX_TERMS);
  return q;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** A term as FTS5 syntax, matching the whole word (or phrase) only. */
export function wholeExpression(t: QueryTerm): string {
  return t.kind === 'word' ? quote(t.word) : quote(t.words.join(' '));
}

/**
 * One term as FTS5 syntax. A prefix word also matches as a whole word, because the porter
 * stemmer indexes `dogs` as `dog`: the prefix `dogs*` alone would miss it.
 */
export function termExpression(t: QueryTerm): string {
  const whole = wholeExpression(t);
  return t.prefix ? `(${whole}* OR ${whole})` : whole;
}

/** How a clause's prefix term is written in one tier of a search. */
export type PrefixMode = 'either' | 'whole';

/** A clause's caption alternatives ORed, with extra words (query expansion) when given; null for a tag-only clause. */
export function clauseExpression(cl: QueryClause, mode: PrefixMode = 'either', extra: readonly string[] = []): string | null {
  const parts = [...cl.terms.map((t) => (mode === 'whole' ? wholeExpression(t) : termExpression(t))), ...extra.map(quote)];
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
}

/** `expr NOT (exclusions)`, or expr itself when nothing is excluded. */
export function withExclusions(expr: string, q: ParsedQuery): string {
  if (q.exclude.length === 0) return expr;
  return `(${expr}) NOT (${q.exclude.map(wholeExpression).join(' OR ')})`;
}

/**
 * The caption MATCH expression of the whole query: the AND of its clauses, minus the excluded
 * terms; null when some clause has no caption word (a tag-only query) or there is no word at all.
 */
export function matchExpression(q: ParsedQuery, mode: PrefixMode = 'either'): string | null {
  if (q.clauses.length === 0) return null;
  const parts = q.clauses.map((cl) => clauseExpression(cl, mode));
  if (parts.some((p) => p === null)) return null;
  return withExclusions(parts.join(' AND '), q);
}

/** Whether any clause has a term typed as a prefix (so whole-word matches make their own tier). */
export function hasPrefix(q: ParsedQuery): boolean {
  return q.clauses.some((cl) => cl.terms.some((t) => t.prefix));
}
