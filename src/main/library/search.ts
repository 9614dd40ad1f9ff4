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
  type QueryTerm,
} from './query.js';
import { clauseTagNames, excludedTagNames } from './search-tags.js';
import { TagStore, type PhotoFilter, type TaggedPhoto, type TagHit } from './tags.js';

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

/** Snippets longer than this many words are cut around the first match. */
const SNIPPET_WORDS = 24;

/** The word pattern for a text: plain ASCII, the common case, takes the much cheaper ASCII pattern. */
function wordPattern(text: string): RegExp {
  const re = ASCII.test(text) ? ASCII_WORDS : WORDS;
  re.lastIndex = 0;
  return re;
}

/**
 * BM25 (k1 1.2, b 0.75; caption weighted 1, file name 0.4) of documents for one query's words,
 * and a caption with the matched words marked. Document frequencies are left out: every candidate
 * matches every query term, so they would scale all candidates alike. Which query word a caption
 * token matches is remembered for the query: captions share a small vocabulary, and a search
 * scores hundreds of them.
 */
export class DocumentScorer {
  private readonly stems: string[];
  /** Per query word, the first query word spelt the same (a repeated word counts once). */
  private readonly canonical: number[];
  /** Caption token → index of the query word it matches, -1 for none. */
  private readonly matchOf = new Map<string, number>();
  private readonly tf: Float64Array;
  /**
   * The query words' first letters (ASCII, lowercase), or null when one is not ASCII: a token
   * matches a word only if it starts with the word's letter (stems keep it), so most tokens are
   * told apart without a lookup.
   */
  private readonly initials: Uint8Array | null;

  constructor(
    private readonly words: readonly MatchWord[],
    private readonly avg: { caption: number; name: number },
  ) {
    this.stems = words.map((w) => stemish(w.word));
    this.canonical = words.map((w) => words.findIndex((x) => x.word === w.word));
    this.tf = new Float64Array(words.length);
    const initials = new Uint8Array(128);
    this.initials = words.every((w) => w.word.charCodeAt(0) < 128) ? initials : null;
    for (const w of words) initials[w.word.charCodeAt(0) & 127] = 1;
  }

  private match(token: string): number {
    const c = token.charCodeAt(0);
    // ASCII letters fold to lowercase by setting 0x20 (digits already have it).
    if (this.initials && c < 128 && !this.initials[c | 0x20]) return -1;
    let i = this.matchOf.get(token);
    if (i === undefined) {
      const { lower, stem } = foldedToken(token);
      const words = this.words;
      i = words.findIndex((w, j) => stem === this.stems[j] || lower === w.word || (w.prefix && lower.startsWith(w.word)));
      if (i >= 0) i = this.canonical[i];
      this.matchOf.set(token, i);
    }
    return i;
  }

  /** The document's score (0: it says none of the words). */
  score(caption: string, name: string): number {
    return this.field(caption, WEIGHTS.caption, this.avg.caption) + this.field(name, WEIGHTS.name, this.avg.name);
  }

  private field(text: string, weight: number, mean: number): number {
    const tf = this.tf;
    tf.fill(0);
    let length = 0;
    let any = false;
    // exec on a shared regex (matchAll would clone and recompile it for every document).
    const re = wordPattern(text);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      length++;
      const i = this.match(m[0]);
      if (i < 0) continue;
      tf[i]++;
      any = true;
    }
    if (!any) return 0;
    const norm = K1 * (1 - B + (B * length) / mean);
    let score = 0;
    for (const f of tf) if (f > 0) score += (weight * (f * (K1 + 1))) / (f + norm);
    return score;
  }

  /** The words of a document that matched (lowercase, caption first), for a hit's `matched`. */
  matchedWords(caption: string, name: string): string[] {
    const found = new Set<string>();
    for (const text of [caption, name]) {
      const re = wordPattern(text);
      for (let m = re.exec(text); m; m = re.exec(text)) if (this.match(m[0]) >= 0) found.add(foldedToken(m[0]).lower);
    }
    return [...found];
  }

  /** What a page shows of a hit: its caption with the matched words marked, and those words. */
  explain(caption: string, name: string): { snippet: string; found: string[] } {
    return { snippet: this.snippet(caption), found: this.matchedWords(caption, name) };
  }

  /** The caption with its matched words marked, cut around the first match when long. */
  snippet(caption: string): string {
    let out = '';
    let last = 0;
    let length = 0;
    let firstMatch = -1;
    const re = wordPattern(caption);
    for (let m = re.exec(caption); m; m = re.exec(caption)) {
      length++;
      if (this.match(m[0]) < 0) continue;
      if (firstMatch < 0) firstMatch = length - 1;
      out += `${caption.slice(last, m.index)}${SNIPPET_OPEN}${m[0]}${SNIPPET_CLOSE}`;
      last = m.index + m[0].length;
    }
    return trimSnippet(out + caption.slice(last), firstMatch, length);
  }
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
    // hold the best-ranked ones, and FTS5 stops after K. They are scored here (DocumentScorer:
    // BM25 over the matched words), not with FTS5's bm25(), whose first call reads every match of
    // every term to count documents — the very cost early termination avoids.
    candidatesSql: `SELECT photos_fts.rowid AS key ${from} ORDER BY photos_fts.rowid LIMIT @k`,
    // Pages past the first CANDIDATES/2 hits score every match.
    fullSql: `SELECT photos_fts.rowid AS key, ${BM25} AS rank ${from} ORDER BY rank LIMIT @limit OFFSET @offset`,
  };
}

/** Captions and file names of photos by fts key. */
const ROWS_SQL = `SELECT fts_key AS key, coalesce(caption, '') AS caption, name FROM photos WHERE fts_key IN (SELECT value FROM json_each(?))`;

/** A candidate of the tag tier: `said`, the caption index brought it (its caption or file name says every clause). */
interface CandidateDoc {
  key: number;
  id: number;
  caption: string;
  name: string;
  said: boolean;
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

  /** The photos' fts keys matching `match`, in index order, at most `k` (a plucked statement: no row objects). */
  private keys(plan: Plan, match: string, k: number): number[] {
    return this.stmt(plan.candidatesSql)
      .pluck()
      .all({ ...plan.params, match, k }) as number[];
  }

  /** Captions and file names by fts key. */
  private docsByKey(keys: readonly number[]): Array<{ key: number; caption: string; name: string }> {
    return keys.length ? (this.stmt(ROWS_SQL).all(JSON.stringify(keys)) as Array<{ key: number; caption: string; name: string }>) : [];
  }

  /**
   * One page from one tier (exact or expanded matches), and how many matches that tier has
   * (capped). lim 0: the count alone (a full page came from the tiers before).
   */
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
      const all = this.keys(plan, match, COUNT_CAP).filter((key) => !taken.has(key % KEY_SPAN));
      if (lim === 0) return { rows: [], total: all.length };
      const scorer = new DocumentScorer(words, this.averages());
      const rows = this.docsByKey(all.slice(0, CANDIDATES)).map((d) => ({ ...d, rank: -scorer.score(d.caption, d.name) }));
      rows.sort((a, b) => a.rank - b.rank || a.key - b.key);
      return {
        rows: rows.slice(off, off + lim).map(({ caption, name, ...r }) => ({ ...r, ...scorer.explain(caption, name) })),
        total: all.length,
      };
    }
    const total = (this.stmt(plan.countSql).get({ ...params, match }) as { n: number }).n;
    const fetched =
      off < total && lim > 0 ? (this.stmt(plan.fullSql).all({ ...params, match, limit: lim + taken.size, offset: off }) as TierRow[]) : [];
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
    const ftsAll = t.match ? this.keys(plan, t.match, COUNT_CAP) : [];
    const fromFts = ftsAll.slice(0, k);
    const saidIds = new Set(fromFts.map((key) => key % KEY_SPAN));
    const filter: PhotoFilter = { sql: plan.filterSql, params: plan.params };
    // Each photo read once: a tagged photo the caption index brought is not fetched again.
    const tagged = new Map<number, TaggedPhoto>();
    let saturated = false;
    for (const n of names) {
      const best = this.tags.bestHits(n, k, filter);
      saturated ||= best.length === k;
      for (const b of best) if (!saidIds.has(b.id) && !tagged.has(b.id)) tagged.set(b.id, b);
    }
    const docs: CandidateDoc[] = [
      ...this.docsByKey(fromFts).map((d) => ({ ...d, id: d.key % KEY_SPAN, said: true })),
      ...[...tagged.values()].map((b) => ({ key: b.key, id: b.id, caption: b.caption, name: b.name, said: false })),
    ];
    // With one tag name in the query, a tagged photo's one hit is the one its walk found; only the
    // caption index's photos need their tags looked up.
    const allNames = [...new Set([...names.flat(), ...excluded])];
    const tagMap = this.tags.hitsOf(allNames.length === 1 ? [...saidIds] : docs.map((d) => d.id), allNames);
    if (allNames.length === 1) for (const [id, b] of tagged) tagMap.set(id, [b.hit]);
    const avg = this.averages();
    const scorer = new DocumentScorer(t.words, avg);
    const wholeWords = (terms: readonly QueryTerm[]) =>
      new DocumentScorer(
        terms.flatMap((x) => (x.kind === 'word' ? [x.word] : x.words)).map((w) => ({ word: w, prefix: false })),
        avg,
      );
    const excludedWords = parsed.exclude.length ? wholeWords(parsed.exclude) : null;
    // Per clause, whether a photo's caption or file name says one of its terms (built when first needed).
    const clauseScorers = new Map<number, DocumentScorer>();
    const says = (d: CandidateDoc, i: number) => {
      let sc = clauseScorers.get(i);
      if (!sc) clauseScorers.set(i, (sc = wholeWords(parsed.clauses[i].terms)));
      return sc.score(d.caption, d.name) > 0;
    };
    const rows: Array<TierRow & { caption: string; name: string }> = [];
    const tagOnly: number[] = [];
    for (const d of docs) {
      const tags = tagMap.get(d.id) ?? [];
      if (tags.some((x) => excluded.includes(x.tag))) continue;
      if (!d.said && excludedWords && excludedWords.score(d.caption, d.name) > 0) continue;
      // Per clause, its best tag's confidence (0: none).
      const best = names.map((n) => {
        let top = 0;
        for (const x of tags) if (n.includes(x.tag)) top = Math.max(top, x.score ?? 1);
        return top;
      });
      // A clause no tag names must be said by the caption, read only then (scoring text is the costly part).
      const unsaid = (tag: number, i: number) => tag === 0 && !(parsed.clauses[i].terms.length > 0 && says(d, i));
      if (!d.said && best.some(unsaid)) continue;
      if (!d.said) tagOnly.push(d.id);
      const score = scorer.score(d.caption, d.name);
      const tagPart = best.reduce((a, tag) => a + tag, 0) / best.length;
      rows.push({ key: d.key, rank: -(score / (score + 1) + tagPart), tags, caption: d.caption, name: d.name });
    }
    // Ties by photo id, as the tag walks order them: a longer walk (a later page) then keeps the earlier pages' order.
    rows.sort((a, b) => a.rank - b.rank || (a.key % KEY_SPAN) - (b.key % KEY_SPAN));
    return {
      rows: rows.slice(off, off + lim).map(({ caption, name, ...r }) => ({ ...r, ...scorer.explain(caption, name) })),
      total: this.tagTierTotal(ftsAll.length + tagOnly.length, saturated, parsed, names, filter),
      tagOnly,
    };
  }

  /**
   * The tag tier's total: its candidates that passed, capped. When a tag's walk stopped at k there
   * may be more: for one clause and no exclusion every photo with its tag matches, so the tag's
   * photo count is a lower bound too (else "tag:giraffe" would say 200 of 2,000, and the grid would
   * stop there).
   */
  private tagTierTotal(passed: number, saturated: boolean, parsed: ParsedQuery, names: string[][], filter: PhotoFilter): number {
    if (passed >= COUNT_CAP || !saturated || parsed.clauses.length !== 1 || parsed.exclude.length || parsed.excludeTags.length) {
      return Math.min(COUNT_CAP, passed);
    }
    return Math.max(passed, this.tags.countPhotos(names[0], COUNT_CAP, filter));
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
      } else got = this.tier(plan, t.match!, t.words, need, skip, taken); // need 0: the count alone
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
