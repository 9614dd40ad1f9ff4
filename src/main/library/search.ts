/**
 * Full-text search over shown captions and file names: FTS5 ranked by bm25 (captions weigh
 * more than file names), optional folder and date filters, highlighted snippets, and query
 * expansion whose extra matches always rank below the exact ones.
 */
import type { DB } from './db.js';
import type { WordNeighbours } from './expansion.js';
import { expandedExpression, matchExpression, parseQuery, queryWords } from './query.js';

export interface SearchOptions {
  folderId?: number;
  /** Inclusive range on the date taken (file time when the photo has no EXIF date), ms since epoch. */
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
  /** Query expansion (default on when a model's embeddings are available). */
  similarWords?: boolean;
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

export const SNIPPET_OPEN = '\u0002';
export const SNIPPET_CLOSE = '\u0003';
const BM25 = 'bm25(photos_fts, 1.0, 0.4)';
/** Totals above this are reported as this (see countSql). */
export const COUNT_CAP = 1000;
/** Matches scored per page (see candidatesSql). */
const CANDIDATES = 200;
/** photos.fts_key = (caption length << 40) | photo id. */
const KEY_SPAN = 2 ** 40;

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

  search(query: string, options: SearchOptions = {}, neighbours?: WordNeighbours | null): RawSearchResult {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
    const offset = Math.max(0, Math.floor(options.offset ?? 0));
    const parsed = parseQuery(query);
    const exact = matchExpression(parsed);
    const none: RawSearchResult = { total: 0, hits: [], expanded: [], expression: exact, expandedExpression: null };
    if (!exact) return none;

    const expanded: Array<{ term: string; similar: string[] }> = [];
    let wide: string | null = null;
    if (options.similarWords !== false && neighbours) {
      const similar = new Map<string, string[]>();
      for (const w of queryWords(parsed)) {
        const s = neighbours.similar(w).map((n) => n.word);
        if (s.length) {
          similar.set(w, s);
          expanded.push({ term: w, similar: s });
        }
      }
      const e = expandedExpression(parsed, similar);
      if (e) wide = `(${e}) NOT (${exact})`;
    }

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
    // Counting every match of a common word costs as much as ranking them; past COUNT_CAP the
    // total is reported as COUNT_CAP (a lower bound: the UI shows "1000+").
    const countSql = `SELECT count(*) AS n FROM (SELECT 1 ${from} LIMIT ${COUNT_CAP})`;
    // The index's rowids put short captions first (photos.fts_key), and bm25 ranks a term in a
    // short caption above the same term in a long one; so the first K matches in rowid order
    // hold the best-ranked ones, and bm25 is computed for those K only (early termination).
    // Exact whenever there are at most K matches, or every matched word occurs once per caption.
    const candidatesSql = `SELECT photos_fts.rowid AS key, ${BM25} AS rank ${from} ORDER BY photos_fts.rowid LIMIT @k`;
    // Pages past the first CANDIDATES/2 hits score every match.
    const fullSql = `SELECT photos_fts.rowid AS key, ${BM25} AS rank ${from} ORDER BY rank LIMIT @limit OFFSET @offset`;

    // One page from one tier, and how many matches that tier has (capped).
    const tier = (match: string, lim: number, off: number): { rows: Array<{ key: number; rank: number }>; total: number } => {
      if (off + lim <= CANDIDATES / 2) {
        const rows = this.stmt(candidatesSql).all({ ...params, match, k: CANDIDATES }) as Array<{ key: number; rank: number }>;
        // Fewer than K candidates means these are all the matches: no count query needed.
        const total = rows.length < CANDIDATES ? rows.length : (this.stmt(countSql).get({ ...params, match }) as { n: number }).n;
        rows.sort((a, b) => a.rank - b.rank || a.key - b.key);
        return { rows: rows.slice(off, off + lim), total };
      }
      const total = (this.stmt(countSql).get({ ...params, match }) as { n: number }).n;
      const rows = off < total ? (this.stmt(fullSql).all({ ...params, match, limit: lim, offset: off }) as Array<{ key: number; rank: number }>) : [];
      return { rows, total };
    };

    try {
      const first = tier(exact, limit, offset);
      const rows = first.rows.map((r) => ({ ...r, via: false, match: exact }));
      let wideTotal = 0;
      if (wide) {
        const off = Math.max(0, offset - first.total);
        const second = tier(wide, Math.max(1, limit - rows.length), off);
        wideTotal = second.total;
        if (rows.length < limit && offset + rows.length >= first.total) for (const r of second.rows.slice(0, limit - rows.length)) rows.push({ ...r, via: true, match: wide });
      }
      const snippets = new Map<number, string>();
      for (const m of new Set(rows.map((r) => r.match))) {
        const keys = rows.filter((r) => r.match === m).map((r) => r.key);
        const list = this.db
          .prepare(`SELECT rowid AS key, snippet(photos_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 24) AS s FROM photos_fts WHERE photos_fts MATCH ? AND rowid IN (${keys.map(() => '?').join(',')})`)
          .all(m, ...keys) as Array<{ key: number; s: string | null }>;
        for (const x of list) snippets.set(x.key, x.s ?? '');
      }
      const hits = rows.map((r) => ({ id: r.key % KEY_SPAN, score: -r.rank, snippet: snippets.get(r.key) ?? '', viaSimilar: r.via }));
      return { total: Math.min(COUNT_CAP, first.total + wideTotal), hits, expanded, expression: exact, expandedExpression: wide };
    } catch (err) {
      // The parser only emits quoted words, so this is not expected; a search must still never throw.
      if (process.env.LENSCRIBE_DEBUG) console.error(err);
      if ((err as { code?: string }).code?.startsWith('SQLITE_')) return { ...none, expanded };
      throw err;
    }
  }
}
