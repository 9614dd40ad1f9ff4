/**
 * "Did you mean dog?": when a search finds nothing, the nearest words the index holds. Candidates
 * are the caption column's terms (FTS5's own vocabulary, through a per-connection fts5vocab
 * table), within an edit distance of 1 (words up to 4 letters) or 2, ranked by distance and then by
 * how many photos say them. Only terms starting with the typed word's first or second letter are
 * read (a range scan of the vocabulary), so a million file-name terms are never walked; a typo in
 * the first two letters at once is not corrected.
 *
 * The index holds porter stems ("happi"); a suggestion is shown as a caption word of that stem.
 */
import type { DB } from './db.js';

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions), stopping past `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** Suggestions per word, at most this many. */
const MAX_SUGGESTIONS = 3;

export class DidYouMean {
  private ready = false;

  constructor(private readonly db: DB) {}

  private vocab(): void {
    if (this.ready) return;
    // TEMP: lives with this connection only, so no migration and nothing in the library file.
    this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.photos_fts_terms USING fts5vocab(main, photos_fts, col)`);
    this.ready = true;
  }

  /** Indexed caption terms near `word`, best first: [term, photos]. */
  private candidates(word: string): Array<{ term: string; docs: number; distance: number }> {
    this.vocab();
    const max = word.length <= 4 ? 1 : 2;
    const starts = [...new Set([word[0], word[1]].filter((c): c is string => !!c))];
    const stmt = this.db.prepare(
      `SELECT term, doc FROM temp.photos_fts_terms WHERE col = 'caption' AND term >= ? AND term < ? AND length(term) BETWEEN ? AND ?`,
    );
    const out: Array<{ term: string; docs: number; distance: number }> = [];
    for (const s of starts) {
      const next = String.fromCodePoint(s.codePointAt(0)! + 1);
      for (const r of stmt.all(s, next, word.length - max, word.length + max) as Array<{ term: string; doc: number }>) {
        if (r.doc <= 0 || out.some((o) => o.term === r.term)) continue;
        const distance = editDistance(word, r.term, max);
        if (distance <= max && r.term !== word) out.push({ term: r.term, docs: r.doc, distance });
      }
    }
    return out.sort((a, b) => a.distance - b.distance || b.docs - a.docs).slice(0, MAX_SUGGESTIONS);
  }

  /** A caption word whose stem is `term` (the stem itself when it is a word people type). */
  private surface(term: string): string {
    const row = this.db
      .prepare(`SELECT p.caption AS c FROM photos_fts JOIN photos p ON p.fts_key = photos_fts.rowid WHERE photos_fts MATCH ? LIMIT 1`)
      .get(`caption : "${term.replace(/"/g, '""')}"`) as { c: string | null } | undefined;
    const words: string[] = (row?.c ?? '').toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
    if (words.includes(term)) return term;
    let best: string = term;
    let common = 0;
    for (const w of words) {
      let k = 0;
      while (k < w.length && k < term.length && w[k] === term[k]) k++;
      if (k > common && k >= term.length - 1) [best, common] = [w, k];
    }
    return best;
  }

  /** Prepared on first use (search probes expansion words with it on every keystroke). */
  private probe: ReturnType<DB['prepare']> | null = null;

  /** Whether the caption index holds `word` (as FTS5 matches it: stemmed). Search asks it too (expansion.ts words). */
  indexed(word: string): boolean {
    this.probe ??= this.db.prepare(`SELECT 1 FROM photos_fts WHERE photos_fts MATCH ? LIMIT 1`);
    return this.probe.get(`caption : "${word.replace(/"/g, '""')}"`) !== undefined;
  }

  /** Words to offer in place of `word`, best first ([] when it is indexed or nothing is near). */
  suggest(word: string): string[] {
    if (word.length < 3 || this.indexed(word)) return [];
    return [...new Set(this.candidates(word).map((c) => this.surface(c.term)))].filter((w) => w !== word);
  }
}
