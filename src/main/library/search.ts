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
      ? `FROM photos_fts CROSS JOIN photos p ON p.id = photos_fts.rowid WHERE photos_fts MATCH @match AND ${filters.join(' AND ')}`
      : 'FROM photos_fts WHERE photos_fts MATCH @match';
    // Counting every match of a common word costs as much as ranking them; past COUNT_CAP the
    // total is reported as COUNT_CAP (a lower bound: the UI shows "1000+").
    const countSql = `SELECT count(*) AS n FROM (SELECT 1 ${from} LIMIT ${COUNT_CAP})`;
    const pageSql = `SELECT photos_fts.rowid AS id, ${BM25} AS rank ${from} ORDER BY rank LIMIT @limit OFFSET @offset`;
    const snippetSql = `SELECT snippet(photos_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 24) AS s FROM photos_fts WHERE photos_fts MATCH @match AND rowid = @id`;

    const run = (match: string, lim: number, off: number) =>
      this.stmt(pageSql).all({ ...params, match, limit: lim, offset: off }) as Array<{ id: number; rank: number }>;
    const count = (match: string) => (this.stmt(countSql).get({ ...params, match }) as { n: number }).n;

    try {
      const exactTotal = count(exact);
      const wideTotal = wide ? count(wide) : 0;
      const rows: Array<{ id: number; rank: number; via: boolean; match: string }> = [];
      if (offset < exactTotal) for (const r of run(exact, limit, offset)) rows.push({ ...r, via: false, match: exact });
      if (wide && rows.length < limit && offset + rows.length >= exactTotal) {
        const off = Math.max(0, offset - exactTotal);
        for (const r of run(wide, limit - rows.length, off)) rows.push({ ...r, via: true, match: wide });
      }
      const hits = rows.map((r) => {
        const s = this.stmt(snippetSql).get({ match: r.match, id: r.id }) as { s: string | null } | undefined;
        return { id: r.id, score: -r.rank, snippet: s?.s ?? '', viaSimilar: r.via };
      });
      return { total: exactTotal + wideTotal, hits, expanded, expression: exact, expandedExpression: wide };
    } catch (err) {
      // The parser only emits quoted words, so this is not expected; a search must still never throw.
      if (process.env.LENSCRIBE_DEBUG) console.error(err);
      if ((err as { code?: string }).code?.startsWith('SQLITE_')) return { ...none, expanded };
      throw err;
    }
  }
}
