/**
 * Full-text search over shown captions and file names: FTS5 ranked by bm25 (captions weigh
 * more than file names), optional folder and date filters, highlighted snippets, and query
 * expansion whose extra matches always rank below the exact ones.
 */
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/api-values.js';
import { UserError } from '../../shared/errors.js';
import type { DB } from './db.js';
import type { WordNeighbours } from './expansion.js';
import { expandedExpression, matchExpression, parseQuery, queryWords, type ParsedQuery } from './query.js';

/** A search as the API asks for it. */
export interface SearchOptions {
  folderId?: number;
  /** ISO date (YYYY-MM-DD) or ms since epoch, inclusive; on date taken, else file time. */
  from?: string | number;
  to?: string | number;
  similarWords?: boolean;
  limit?: number;
  offset?: number;
}

/** A search as the index runs it: dates as ms since epoch. */
export interface IndexSearchOptions extends Omit<SearchOptions, 'from' | 'to'> {
  /** Inclusive range on the date taken (file time when the photo has no EXIF date), ms since epoch. */
  from?: number;
  to?: number;
}

/** A date bound in ms: a bare day means its first (or, for `endOfDay`, last) millisecond, UTC. */
export function dateBound(d: string | number | undefined, endOfDay: boolean): number | undefined {
  if (d === undefined) return undefined;
  if (typeof d === 'number') return d;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : d);
  if (Number.isNaN(t)) throw new UserError(`not a date: ${d}`);
  return t;
}

export interface RawHit {
  id: number;
  /** Higher is better (negated bm25). */
  score: number;
  snippet: string;
  viaSimilar: boolean;
}

export interface RawSearchResult {
  total: number;
  hits: RawHit[];
  expanded: Array<{ term: string; similar: string[] }>;
  /** The MATCH expressions actually run (for debugging and the bench). */
  expression: string | null;
  expandedExpression: string | null;
}

const BM25 = 'bm25(photos_fts, 1.0, 0.4)';
/** Totals above this are reported as this (see countSql). */
export const COUNT_CAP = 1000;
/** Matches scored per page (see candidatesSql). */
const CANDIDATES = 200;
/** photos.fts_key = (caption length << 40) | photo id. */
const KEY_SPAN = 2 ** 40;

const K1 = 1.2;
const B = 0.75;
const WEIGHTS = { caption: 1.0, name: 0.4 };
const WORDS = /[\p{L}\p{N}\p{M}]+/gu;
/** Only ASCII code units (written as "no unit above 0x7f": the lint forbids control characters in patterns). */
const ASCII = /^[^\u0080-\uffff]*$/;
const ASCII_WORDS = /[A-Za-z0-9]+/g;

function countWords(text: string): number {
  return text.match(ASCII.test(text) ? ASCII_WORDS : WORDS)?.length ?? 0;
}

export interface MatchWord {
  word: string;
  prefix: boolean;
}

/** Every word the query looks for (phrase words included), for scoring and highlighting. */
export function matchWords(q: ParsedQuery): MatchWord[] {
  return q.terms.flatMap((t) =>
    t.kind === 'word'
      ? [{ word: t.word, prefix: t.prefix }]
      : t.words.map((w, i) => ({ word: w, prefix: t.prefix && i === t.words.length - 1 })),
  );
}

/** Lowercase without diacritics (as unicode61 remove_diacritics folds them). */
function fold(word: string): string {
  return ASCII.test(word) ? word.toLowerCase() : word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * A rough stem, enough to see which words of a caption FTS5's porter stemmer matched
 * (dogs/dog, running/run, played/play): FTS5 already decided the document matches.
 */
function stemish(word: string): string {
  let w = fold(word);
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (w.length - suffix.length >= 3 && w.endsWith(suffix)) {
      w = w.slice(0, -suffix.length);
      if (w.length >= 4 && w[w.length - 1] === w[w.length - 2] && !'lsz'.includes(w[w.length - 1])) w = w.slice(0, -1);
      break;
    }
  }
  return w;
}

function tokenMatches(token: string, words: MatchWord[], stems: string[]): string | null {
  const lower = fold(token);
  const st = stemish(lower);
  for (let i = 0; i < words.length; i++) {
    if (st === stems[i] || lower === words[i].word || (words[i].prefix && lower.startsWith(words[i].word))) return words[i].word;
  }
  return null;
}

/** Snippets longer than this many words are cut around the first match. */
const SNIPPET_WORDS = 24;

/**
 * BM25 (k1 1.2, b 0.75; caption weighted 1, file name 0.4) of one document for the query
 * words, and its caption with the matched words marked. Document frequencies are left out:
 * every candidate matches every query term, so they would scale all candidates alike.
 */
export function scoreDocument(
  caption: string,
  name: string,
  words: MatchWord[],
  avg: { caption: number; name: number },
): { score: number; snippet: string } {
  const stems = words.map((w) => stemish(w.word));
  let score = 0;
  let snippet = '';
  for (const [text, weight, mean, isCaption] of [
    [caption, WEIGHTS.caption, avg.caption, true],
    [name, WEIGHTS.name, avg.name, false],
  ] as const) {
    const tf = new Map<string, number>();
    let length = 0;
    let out = '';
    let last = 0;
    let firstMatch = -1;
    // exec on a shared regex (matchAll would clone and recompile it for every document);
    // plain ASCII text, the common case, takes the much cheaper ASCII word pattern.
    const re = ASCII.test(text) ? ASCII_WORDS : WORDS;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      length++;
      const hit = tokenMatches(m[0], words, stems);
      if (!hit) continue;
      tf.set(hit, (tf.get(hit) ?? 0) + 1);
      if (isCaption) {
        if (firstMatch < 0) firstMatch = length - 1;
        out += `${text.slice(last, m.index)}${SNIPPET_OPEN}${m[0]}${SNIPPET_CLOSE}`;
        last = m.index + m[0].length;
      }
    }
    if (isCaption) snippet = trimSnippet(out + text.slice(last), firstMatch, length);
    const norm = K1 * (1 - B + (B * length) / mean);
    for (const f of tf.values()) score += (weight * (f * (K1 + 1))) / (f + norm);
  }
  return { score, snippet };
}

function trimSnippet(marked: string, firstMatch: number, words: number): string {
  if (words <= SNIPPET_WORDS) return marked;
  const parts = marked.split(/(\s+)/);
  const tokens = parts.filter((p, i) => i % 2 === 0);
  const start = Math.max(0, Math.min(Math.max(0, firstMatch - 4), tokens.length - SNIPPET_WORDS));
  const kept = tokens.slice(start, start + SNIPPET_WORDS).join(' ');
  return `${start > 0 ? '…' : ''}${kept}${start + SNIPPET_WORDS < tokens.length ? '…' : ''}`;
}

/** One search's SQL: the FROM clause (with filters) and the parameters it needs. */
interface Plan {
  params: Record<string, unknown>;
  countSql: string;
  candidatesSql: string;
  rowsSql: string;
  fullSql: string;
}

/** A ranked row of one tier: `key` is photos.fts_key, `rank` lower is better. */
interface TierRow {
  key: number;
  rank: number;
  snippet?: string;
}

function planOf(options: IndexSearchOptions): Plan {
  const filters: string[] = [];
  const params: Record<string, unknown> = {};
  if (options.folderId !== undefined) {
    filters.push('p.folder_id = @folderId');
    params.folderId = options.folderId;
  }
  if (options.from !== undefined) {
    filters.push('coalesce(p.taken_at, p.mtime_ms) >= @from');
    params.from = options.from;
  }
  if (options.to !== undefined) {
    filters.push('coalesce(p.taken_at, p.mtime_ms) <= @to');
    params.to = options.to;
  }
  // Missing photos are not in the index; only folder/date filters need the photos table.
  // CROSS JOIN keeps FTS5 as the outer loop: it is always the selective side.
  const from = filters.length
    ? `FROM photos_fts CROSS JOIN photos p ON p.fts_key = photos_fts.rowid WHERE photos_fts MATCH @match AND ${filters.join(' AND ')}`
    : 'FROM photos_fts WHERE photos_fts MATCH @match';
  return {
    params,
    // Counting every match of a common word costs as much as ranking them; past COUNT_CAP the
    // total is reported as COUNT_CAP (a lower bound: the UI shows "1000+").
    countSql: `SELECT count(*) AS n FROM (SELECT 1 ${from} LIMIT ${COUNT_CAP})`,
    // The index's rowids put short captions first (photos.fts_key), and bm25 ranks a term in a
    // short caption above the same term in a long one; so the first K matches in rowid order
    // hold the best-ranked ones, and FTS5 stops after K. They are scored here (scoreDocument:
    // BM25 over the matched words), not with FTS5's bm25(), whose first call reads every match of
    // every term to count documents — the very cost early termination avoids.
    candidatesSql: `SELECT photos_fts.rowid AS key ${from} ORDER BY photos_fts.rowid LIMIT @k`,
    rowsSql: `SELECT fts_key AS key, coalesce(caption, '') AS caption, name FROM photos WHERE fts_key IN (SELECT value FROM json_each(?))`,
    // Pages past the first CANDIDATES/2 hits score every match.
    fullSql: `SELECT photos_fts.rowid AS key, ${BM25} AS rank ${from} ORDER BY rank LIMIT @limit OFFSET @offset`,
  };
}

/** Similar words for each query word, and the MATCH expression of the matches only they bring. */
function expansionOf(
  parsed: ParsedQuery,
  exact: string,
  neighbours: WordNeighbours | null | undefined,
): { expanded: Array<{ term: string; similar: string[] }>; wide: string | null } {
  const expanded: Array<{ term: string; similar: string[] }> = [];
  if (!neighbours) return { expanded, wide: null };
  const similar = new Map<string, string[]>();
  for (const w of queryWords(parsed)) {
    const s = neighbours.similar(w).map((n) => n.word);
    if (s.length) {
      similar.set(w, s);
      expanded.push({ term: w, similar: s });
    }
  }
  const e = expandedExpression(parsed, similar);
  return { expanded, wide: e ? `(${e}) NOT (${exact})` : null };
}

export class Searcher {
  private readonly cache = new Map<string, ReturnType<DB['prepare']>>();

  constructor(private readonly db: DB) {}

  private stmt(sql: string) {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  private avg: { caption: number; name: number; at: number } | null = null;

  /** Mean words per caption and per file name, from a sample (refreshed every few minutes). */
  private averages(): { caption: number; name: number } {
    if (!this.avg || Date.now() - this.avg.at > 300_000) {
      const rows = this.db
        .prepare(`SELECT caption, name FROM photos WHERE status != 'missing' ORDER BY id DESC LIMIT 2000`)
        .all() as Array<{ caption: string | null; name: string }>;
      let c = 0;
      let n = 0;
      for (const r of rows) {
        c += countWords(r.caption ?? '');
        n += countWords(r.name);
      }
      this.avg = { caption: Math.max(1, c / Math.max(1, rows.length)), name: Math.max(1, n / Math.max(1, rows.length)), at: Date.now() };
    }
    return this.avg;
  }

  /** One page from one tier (exact or expanded matches), and how many matches that tier has (capped). */
  private tier(plan: Plan, match: string, words: MatchWord[], lim: number, off: number): { rows: TierRow[]; total: number } {
    const params = plan.params;
    if (off + lim <= CANDIDATES / 2) {
      // One walk gives both the total (up to COUNT_CAP rowids, cheap without ranking) and the
      // K candidates (the first K of them), so a prefix term's doclists are merged once.
      const all = (this.stmt(plan.candidatesSql).all({ ...params, match, k: COUNT_CAP }) as Array<{ key: number }>).map((r) => r.key);
      const total = all.length;
      const keys = all.slice(0, CANDIDATES);
      const docs = keys.length
        ? (this.stmt(plan.rowsSql).all(JSON.stringify(keys)) as Array<{ key: number; caption: string; name: string }>)
        : [];
      const avg = this.averages();
      const rows = docs.map((d) => {
        const scored = scoreDocument(d.caption, d.name, words, avg);
        return { key: d.key, rank: -scored.score, snippet: scored.snippet };
      });
      rows.sort((a, b) => a.rank - b.rank || a.key - b.key);
      return { rows: rows.slice(off, off + lim), total };
    }
    const total = (this.stmt(plan.countSql).get({ ...params, match }) as { n: number }).n;
    const rows = off < total ? (this.stmt(plan.fullSql).all({ ...params, match, limit: lim, offset: off }) as TierRow[]) : [];
    return { rows, total };
  }

  /** FTS5's snippets for rows ranked by bm25() (the scored tier made its own). */
  private snippets(rows: Array<TierRow & { match: string }>): Map<number, string> {
    const out = new Map<number, string>();
    for (const m of new Set(rows.filter((r) => r.snippet === undefined).map((r) => r.match))) {
      const keys = rows.filter((r) => r.match === m && r.snippet === undefined).map((r) => r.key);
      const list = this.db
        .prepare(
          `SELECT rowid AS key, snippet(photos_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 24) AS s FROM photos_fts WHERE photos_fts MATCH ? AND rowid IN (${keys.map(() => '?').join(',')})`,
        )
        .all(m, ...keys) as Array<{ key: number; s: string | null }>;
      for (const x of list) out.set(x.key, x.s ?? '');
    }
    return out;
  }

  search(query: string, options: IndexSearchOptions = {}, neighbours?: WordNeighbours | null): RawSearchResult {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
    const offset = Math.max(0, Math.floor(options.offset ?? 0));
    const parsed = parseQuery(query);
    const exact = matchExpression(parsed);
    const none: RawSearchResult = { total: 0, hits: [], expanded: [], expression: exact, expandedExpression: null };
    if (!exact) return none;
    const { expanded, wide } = expansionOf(parsed, exact, options.similarWords !== false ? neighbours : null);
    const plan = planOf(options);
    const exactWords = matchWords(parsed);
    const wideWords = [...exactWords, ...expanded.flatMap((e) => e.similar.map((w) => ({ word: w, prefix: false })))];
    try {
      const first = this.tier(plan, exact, exactWords, limit, offset);
      const rows = first.rows.map((r) => ({ ...r, via: false, match: exact }));
      let wideTotal = 0;
      if (wide) {
        const off = Math.max(0, offset - first.total);
        const second = this.tier(plan, wide, wideWords, Math.max(1, limit - rows.length), off);
        wideTotal = second.total;
        if (rows.length < limit && offset + rows.length >= first.total)
          for (const r of second.rows.slice(0, limit - rows.length)) rows.push({ ...r, via: true, match: wide });
      }
      const snippets = this.snippets(rows);
      const hits = rows.map((r) => ({
        id: r.key % KEY_SPAN,
        score: -r.rank,
        snippet: r.snippet ?? snippets.get(r.key) ?? '',
        viaSimilar: r.via,
      }));
      return { total: Math.min(COUNT_CAP, first.total + wideTotal), hits, expanded, expression: exact, expandedExpression: wide };
    } catch (err) {
      // The parser only emits quoted words, so this is not expected; a search must still never throw.
      if (process.env.LENSCRIBE_DEBUG) console.error(err);
      if ((err as { code?: string }).code?.startsWith('SQLITE_')) return { ...none, expanded };
      throw err;
    }
  }
}
