/**
 * Full-text search over shown captions and file names: FTS5 ranked by bm25 (captions weigh
 * more than file names), optional folder (or subfolder) and date filters, highlighted snippets.
 *
 * Results come in tiers, each ranked by bm25 within itself, and a tier always ranks below the one
 * before it: (1) the words as typed, whole words; (2) photos that match only because the last word
 * is read as a prefix while the user is typing it ("cat" → catching); (3) photos that match only
 * through query expansion (expansion.ts: concept-map synonyms and hypernyms, embeddings with a
 * floor; never the user's taught words). Every hit says why it matched (`matched`).
 *
 * Tags (tags.ts) join the first tier: a clause is satisfied by the caption or by a tag naming it,
 * and the tier ranks by score = bm25 / (bm25 + 1) + mean over clauses of the best matching tag's
 * confidence (the user's own tag counts 1). `tag:x` asks for a tag alone.
 */
import type { SearchMatch } from '../../shared/api-contract.js';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/api-values.js';
import { UserError } from '../../shared/errors.js';
import type { DB } from './db.js';
import { damagedError, isCorruption } from './db-health.js';
import { DidYouMean } from './did-you-mean.js';
import { pathPrefixFilter } from './photos.js';
import type { QueryExpander, WordExpansion } from './expansion.js';
import {
  clauseExpression,
  hasPrefix,
  matchExpression,
  parseQuery,
  queryTokens,
  withExclusions,
  type ParsedQuery,
  type QueryClause,
} from './query.js';
import { clauseTagNames, excludedTagNames } from './search-tags.js';
import { TagStore, type PhotoFilter, type TagHit } from './tags.js';

/** A search as the API asks for it. */
export interface SearchOptions {
  folderId?: number;
  /** With folderId: one subfolder's tree ('/'-separated, relative to the folder), as `photos.list` reads it. */
  under?: string;
  /** ISO date (YYYY-MM-DD) or ms since epoch, inclusive; on date taken, else file time. */
  from?: string | number;
  to?: string | number;
  similarWords?: boolean;
  /** false: captions and file names only, tags left out (the search-quality bench's peer). */
  tags?: boolean;
  limit?: number;
  offset?: number;
}

/** A search as the index runs it: dates as ms since epoch. */
export interface IndexSearchOptions extends Omit<SearchOptions, 'from' | 'to' | 'under'> {
  /** Only photos whose path starts with this (`under` resolved: the subfolder's absolute path and a separator). */
  pathPrefix?: string;
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

/** Which tier a hit came from: the words as typed, the last word as a prefix, or expansion. */
export type MatchTier = 'words' | 'prefix' | 'similar';

export interface RawHit {
  id: number;
  /** Higher is better (negated bm25), within the hit's tier. */
  score: number;
  snippet: string;
  viaSimilar: boolean;
  matched: SearchMatch;
}

export interface RawSearchResult {
  total: number;
  hits: RawHit[];
  expanded: WordExpansion[];
  /** When nothing matched: the query with misspelt words replaced by indexed ones, best first. */
  didYouMean: string[];
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

/** Every word the query looks for (phrase words included), for scoring and highlighting; `whole`: no prefixes. */
export function matchWords(q: ParsedQuery, whole = false): MatchWord[] {
  return q.clauses.flatMap((cl) =>
    cl.terms.flatMap((t) =>
      t.kind === 'word'
        ? [{ word: t.word, prefix: t.prefix && !whole }]
        : t.words.map((w, i) => ({ word: w, prefix: t.prefix && !whole && i === t.words.length - 1 })),
    ),
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

/** A caption token folded and stemmed, remembered: captions share a small vocabulary, and a search scores hundreds of them. */
interface FoldedToken {
  lower: string;
  stem: string;
}
const folded = new Map<string, FoldedToken>();
const FOLDED_MAX = 50_000;

function foldedToken(token: string): FoldedToken {
  let f = folded.get(token);
  if (!f) {
    if (folded.size >= FOLDED_MAX) folded.clear();
    const lower = fold(token);
    f = { lower, stem: stemish(lower) };
    folded.set(token, f);
  }
  return f;
}

function tokenMatches({ lower, stem: st }: FoldedToken, words: MatchWord[], stems: string[]): string | null {
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
): { score: number; snippet: string; words: string[] } {
  const stems = words.map((w) => stemish(w.word));
  let score = 0;
  let snippet = '';
  const found = new Set<string>();
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
      const token = foldedToken(m[0]);
      const hit = tokenMatches(token, words, stems);
      if (!hit) continue;
      tf.set(hit, (tf.get(hit) ?? 0) + 1);
      found.add(token.lower);
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
  return { score, snippet, words: [...found] };
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
  /** The folder/date conditions over photos p ('' for none). */
  filterSql: string;
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
  /** Words of the document that matched (scored tiers only). */
  found?: string[];
  tags?: TagHit[];
}

/** One tier of a search: its MATCH expression (matching none of the tiers before it) and the words it scores. */
interface Tier {
  tier: MatchTier;
  /** null: no caption expression (a `tag:` clause); the tier's photos come from tags alone. */
  match: string | null;
  words: MatchWord[];
}

function planOf(options: IndexSearchOptions): Plan {
  const filters: string[] = [];
  const params: Record<string, unknown> = {};
  if (options.folderId !== undefined) {
    filters.push('p.folder_id = @folderId');
    params.folderId = options.folderId;
  }
  if (options.pathPrefix) {
    const under = pathPrefixFilter(options.pathPrefix);
    filters.push(under.sql);
    Object.assign(params, under.params);
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
    filterSql: filters.join(' AND '),
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

/** Most expansion words per query word (FTS5 ORs them all in the similar tier). */
const MAX_EXPANDED = 48;

/** The words each query word expands to (only words the caption index holds are kept). */
function expansionsOf(parsed: ParsedQuery, expander: QueryExpander, indexed: (word: string) => boolean): WordExpansion[] {
  const out: WordExpansion[] = [];
  for (const cl of parsed.clauses) {
    for (const t of cl.terms) {
      if (t.kind !== 'word') continue;
      if (out.some((o) => o.term === t.word)) continue;
      const e = expander.expand(t.word);
      if (!e) continue;
      // Each probe is an FTS lookup: stop at the first MAX_EXPANDED indexed words ("animal" offers 200).
      const similar: string[] = [];
      for (const w of e.similar) {
        if (similar.length === MAX_EXPANDED) break;
        if (indexed(w)) similar.push(w);
      }
      if (similar.length) out.push({ ...e, similar });
    }
  }
  return out;
}

/** The tiers of a search, best first (see the file comment); [] when the query has no caption word. */
function tiersOf(parsed: ParsedQuery, expanded: readonly WordExpansion[]): Tier[] {
  const either = matchExpression(parsed, 'either');
  if (!either) return parsed.clauses.length ? [{ tier: 'words', match: null, words: matchWords(parsed, true) }] : [];
  const whole = matchExpression(parsed, 'whole')!;
  const tiers: Tier[] = [{ tier: 'words', match: whole, words: matchWords(parsed, true) }];
  if (hasPrefix(parsed)) tiers.push({ tier: 'prefix', match: `(${either}) NOT (${whole})`, words: matchWords(parsed) });
  if (expanded.length) {
    const extra = (w: string) => expanded.find((e) => e.term === w)?.similar ?? [];
    const clauses = parsed.clauses.map((cl) =>
      clauseExpression(
        cl,
        'either',
        cl.terms.flatMap((t) => (t.kind === 'word' ? extra(t.word) : [])),
      ),
    );
    const wide = withExclusions(clauses.join(' AND '), parsed);
    const more = expanded.flatMap((e) => e.similar.flatMap((w) => queryTokens(w).map((x) => ({ word: x, prefix: false }))));
    tiers.push({ tier: 'similar', match: `(${wide}) NOT (${either})`, words: [...matchWords(parsed), ...more] });
  }
  return tiers;
}

/** The query with each word the index lacks replaced by its best suggestion, for "did you mean". */
function didYouMeanOf(query: string, parsed: ParsedQuery, dym: DidYouMean): string[] {
  let fixed = query;
  let any = false;
  for (const cl of parsed.clauses) {
    for (const t of cl.terms) {
      if (t.kind !== 'word') continue;
      const [best] = dym.suggest(t.word);
      if (!best) continue;
      fixed = fixed.replace(new RegExp(`(^|[^\\p{L}\\p{N}])${t.word}(?![\\p{L}\\p{N}])`, 'iu'), `$1${best}`);
      any = true;
    }
  }
  return any && fixed !== query ? [fixed.trim()] : [];
}

export class Searcher {
  private readonly cache = new Map<string, ReturnType<DB['prepare']>>();

  constructor(
    private readonly db: DB,
    private readonly tags = new TagStore(db),
  ) {
    this.dym = new DidYouMean(db);
  }

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
  private tier(
    plan: Plan,
    match: string,
    words: MatchWord[],
    lim: number,
    off: number,
    taken: ReadonlySet<number> = new Set(),
  ): { rows: TierRow[]; total: number } {
    const params = plan.params;
    if (off + lim <= CANDIDATES / 2) {
      // One walk gives both the total (up to COUNT_CAP rowids, cheap without ranking) and the
      // K candidates (the first K of them), so a prefix term's doclists are merged once.
      // `taken`: photos an earlier tier brought through their tags alone (listed once, there).
      const all = (this.stmt(plan.candidatesSql).all({ ...params, match, k: COUNT_CAP }) as Array<{ key: number }>)
        .map((r) => r.key)
        .filter((key) => !taken.has(key % KEY_SPAN));
      const total = all.length;
      const keys = all.slice(0, CANDIDATES);
      const docs = keys.length
        ? (this.stmt(plan.rowsSql).all(JSON.stringify(keys)) as Array<{ key: number; caption: string; name: string }>)
        : [];
      const avg = this.averages();
      const rows = docs.map((d) => {
        const scored = scoreDocument(d.caption, d.name, words, avg);
        return { key: d.key, rank: -scored.score, snippet: scored.snippet, found: scored.words };
      });
      rows.sort((a, b) => a.rank - b.rank || a.key - b.key);
      return { rows: rows.slice(off, off + lim), total };
    }
    const total = (this.stmt(plan.countSql).get({ ...params, match }) as { n: number }).n;
    const fetched =
      off < total ? (this.stmt(plan.fullSql).all({ ...params, match, limit: lim + taken.size, offset: off }) as TierRow[]) : [];
    // Photos listed by an earlier tier are left out (the total only loses those seen on this page).
    const rows = fetched.filter((r) => !taken.has(r.key % KEY_SPAN));
    return { rows: rows.slice(0, lim), total: total - (fetched.length - rows.length) };
  }

  /** FTS5's snippets for rows ranked by bm25() (the scored tier made its own). */
  private snippets(rows: Array<TierRow & { match: string | null }>): Map<number, string> {
    const out = new Map<number, string>();
    for (const m of new Set(rows.filter((r) => r.snippet === undefined && r.match !== null).map((r) => r.match!))) {
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

  private readonly dym: DidYouMean;

  /**
   * The first tier with tags: photos whose every clause is said by the caption or named by a tag,
   * ranked by one score: sat(bm25) + mean over clauses of the best matching tag's
   * confidence (the user's own tag counts 1), where sat(x) = x / (x + 1) keeps a caption's part
   * below 1. A caption and a tag that agree rank above either alone; a confident tag (0.9) ranks
   * above a caption mention alone. Candidates: the caption index's first matches and each clause's
   * best-scored tagged photos, up to COUNT_CAP.
   */
  private tagTier(
    plan: Plan,
    t: Tier,
    parsed: ParsedQuery,
    present: ReadonlySet<string>,
    lim: number,
    off: number,
  ): { rows: TierRow[]; total: number; tagOnly: number[] } {
    // Names no photo has are left out before any lookup (most query words are no tag).
    const names = clauseTagNames(parsed).map((n) => n.filter((x) => present.has(x)));
    const excluded = excludedTagNames(parsed).filter((x) => present.has(x));
    const k = Math.min(COUNT_CAP, Math.max(CANDIDATES, off + lim));
    const ftsAll = t.match
      ? (this.stmt(plan.candidatesSql).all({ ...plan.params, match: t.match, k: COUNT_CAP }) as Array<{ key: number }>).map((r) => r.key)
      : [];
    const fromFts = new Set(ftsAll.slice(0, k));
    const filter: PhotoFilter = { sql: plan.filterSql, params: plan.params };
    const tagIds = [...new Set(names.flatMap((n) => this.tags.bestPhotos(n, k, filter)))];
    const docs = this.stmt(
      `SELECT coalesce(fts_key, id) AS key, id, coalesce(caption, '') AS caption, name FROM photos
       WHERE fts_key IN (SELECT value FROM json_each(@keys)) OR id IN (SELECT value FROM json_each(@ids))`,
    ).all({ keys: JSON.stringify([...fromFts]), ids: JSON.stringify(tagIds) }) as Array<{
      key: number;
      id: number;
      caption: string;
      name: string;
    }>;
    const tagMap = this.tags.hitsOf(
      docs.map((d) => d.id),
      [...new Set([...names.flat(), ...excluded])],
    );
    const avg = this.averages();
    const excludeWords = parsed.exclude.flatMap((x) => (x.kind === 'word' ? [x.word] : x.words)).map((w) => ({ word: w, prefix: false }));
    const rows: TierRow[] = [];
    const tagOnly: number[] = [];
    for (const d of docs) {
      const tags = tagMap.get(d.id) ?? [];
      const caption = fromFts.has(d.key);
      if (tags.some((x) => excluded.includes(x.tag))) continue;
      if (!caption && excludeWords.length && scoreDocument(d.caption, d.name, excludeWords, avg).score > 0) continue;
      // Per clause, its best tag's confidence (0: none).
      const best = names.map((n) => Math.max(0, ...tags.filter((x) => n.includes(x.tag)).map((x) => x.score ?? 1)));
      // A clause no tag names must be said by the caption, read only then (scoring text is the costly part).
      const unsaid = (tag: number, i: number) => tag === 0 && !(parsed.clauses[i].terms.length > 0 && this.says(d, parsed.clauses[i], avg));
      if (!caption && best.some(unsaid)) continue;
      if (!caption) tagOnly.push(d.id);
      const scored = scoreDocument(d.caption, d.name, t.words, avg);
      const tagPart = best.reduce((a, tag) => a + tag, 0) / best.length;
      rows.push({ key: d.key, rank: -(scored.score / (scored.score + 1) + tagPart), snippet: scored.snippet, found: scored.words, tags });
    }
    rows.sort((a, b) => a.rank - b.rank || a.key - b.key);
    return { rows: rows.slice(off, off + lim), total: Math.min(COUNT_CAP, ftsAll.length + tagOnly.length), tagOnly };
  }

  /** Whether a photo's caption or file name says one of a clause's terms (the tag tier's check for photos the index did not bring). */
  private says(d: { caption: string; name: string }, cl: QueryClause, avg: { caption: number; name: number }): boolean {
    const words = cl.terms.flatMap((x) => (x.kind === 'word' ? [x.word] : x.words)).map((w) => ({ word: w, prefix: false }));
    return scoreDocument(d.caption, d.name, words, avg).score > 0;
  }

  /** Pages through the tiers in order: a tier's hits all come before the next tier's. */
  private runTiers(
    plan: Plan,
    parsed: ParsedQuery,
    tiers: Tier[],
    limit: number,
    offset: number,
    useTags: boolean,
  ): { total: number; rows: Array<TierRow & Tier> } {
    const rows: Array<TierRow & Tier> = [];
    const taken = new Set<number>();
    let total = 0;
    let skip = offset;
    // A tag-only query (`tag:x`) asks for tags even when the caller leaves them out of word searches.
    const present =
      useTags || tiers.some((t) => t.match === null)
        ? this.tags.namesPresent([...new Set([...clauseTagNames(parsed).flat(), ...excludedTagNames(parsed)])])
        : new Set<string>();
    for (const t of tiers) {
      // Past COUNT_CAP the total is a lower bound anyway; later tiers cannot change it.
      if (total >= COUNT_CAP && rows.length >= limit) break;
      const need = limit - rows.length;
      let got: { rows: TierRow[]; total: number };
      if (t.tier === 'words' && (t.match === null || (useTags && present.size > 0))) {
        const tagged = this.tagTier(plan, t, parsed, present, Math.max(1, need), skip);
        for (const id of tagged.tagOnly) taken.add(id);
        got = tagged;
      } else got = this.tier(plan, t.match!, t.words, Math.max(1, need), skip, taken);
      total += got.total;
      if (need > 0) for (const r of got.rows.slice(0, need)) rows.push({ ...r, ...t });
      skip = Math.max(0, skip - got.total);
    }
    return { total: Math.min(COUNT_CAP, total), rows };
  }

  search(query: string, options: IndexSearchOptions = {}, expander?: QueryExpander | null): RawSearchResult {
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
    const offset = Math.max(0, Math.floor(options.offset ?? 0));
    const parsed = parseQuery(query);
    const exact = matchExpression(parsed);
    const none: RawSearchResult = { total: 0, hits: [], expanded: [], didYouMean: [], expression: exact, expandedExpression: null };
    if (!parsed.clauses.length) return none;
    try {
      const expanded = options.similarWords !== false && expander ? expansionsOf(parsed, expander, (w) => this.dym.indexed(w)) : [];
      const tiers = tiersOf(parsed, expanded);
      const { total, rows } = this.runTiers(planOf(options), parsed, tiers, limit, offset, options.tags !== false);
      const snippets = this.snippets(rows);
      const hits = rows.map((r) => ({
        id: r.key % KEY_SPAN,
        score: -r.rank,
        snippet: r.snippet ?? snippets.get(r.key) ?? '',
        viaSimilar: r.tier === 'similar',
        matched: { tier: r.tier, words: r.found ?? [], tags: r.tags ?? [] },
      }));
      const didYouMean = total === 0 && offset === 0 ? didYouMeanOf(query, parsed, this.dym) : [];
      const wide = tiers.find((t) => t.tier === 'similar')?.match ?? null;
      return { total, hits, expanded, didYouMean, expression: exact, expandedExpression: wide };
    } catch (err) {
      // The parser only emits quoted words, so this is not expected; a search must still never throw.
      if (process.env.LENSCRIBE_DEBUG) console.error(err);
      if (isCorruption(err)) throw damagedError(this.db, err); // a damaged index must not answer "0 matches"
      if ((err as { code?: string }).code?.startsWith('SQLITE_')) return none;
      throw err;
    }
  }
}
