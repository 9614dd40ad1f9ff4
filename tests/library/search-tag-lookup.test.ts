/**
 * Search's tag lookups (TagStore.namesPresent, bestHits, hitsOf) on a real library file whose
 * tags are as skewed as the default model makes them (person on 45% of photos), after ANALYZE:
 * their answers equal a brute-force reading of the whole tags table, and every statement search
 * runs on the tags table walks an index (no scan of the table, no sort of a tag's photos).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import type { PhotoFilter } from '../../src/main/library/tags.js';
import { tempDir } from './fixtures.js';

const PHOTOS = 1500;
let lib: Library;
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;

interface Row {
  id: number;
  tag: string;
  kind: string;
  score: number | null;
  status: string;
  folder: number;
}

/** Every tag row with its photo's status and folder: what the brute force reads. */
const allRows = () =>
  lib.db
    .prepare(
      `SELECT t.photo_id AS id, t.tag, t.kind, t.score, p.status, p.folder_id AS folder FROM tags t JOIN photos p ON p.id = t.photo_id`,
    )
    .all() as Row[];

function expectedBest(names: string[], k: number, folder?: number): number[] {
  const best = new Map<number, number>();
  for (const r of allRows()) {
    if (r.kind === 'removed' || r.status === 'missing' || !names.includes(r.tag.toLowerCase())) continue;
    if (folder !== undefined && r.folder !== folder) continue;
    best.set(r.id, Math.max(best.get(r.id) ?? -1, r.score ?? 1));
  }
  return [...best]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k)
    .map(([id]) => id);
}

beforeAll(() => {
  lib = Library.open(join(tempDir(), 'lib'), { registerDefaultModel: false });
  const db = lib.db;
  const tags = lib.stores.tags;
  db.prepare(`INSERT INTO models (id, name, path, active, added_at) VALUES ('m', 'm', '/nowhere', 1, 0)`).run();
  db.prepare(`INSERT INTO folders (id, path, added_at) VALUES (1, '/a', 0), (2, '/b', 0)`).run();
  const photo = db.prepare(
    `INSERT INTO photos (id, folder_id, path, name, status, added_at, updated_at) VALUES (?, ?, ?, ?, 'captioned', 0, 0)`,
  );
  const caption = db.prepare(`INSERT INTO captions (photo_id, text, source, created_at) VALUES (?, ?, 'm', 0)`);
  db.transaction(() => {
    for (let id = 1; id <= PHOTOS; id++) {
      const folder = 1 + (id % 2);
      photo.run(id, folder, `/${folder === 1 ? 'a' : 'b'}/IMG_${id}.jpg`, `IMG_${id}.jpg`);
      caption.run(id, id % 7 === 0 ? 'a dog on the grass' : 'a man in a red shirt');
      const derived = [
        ['person', 0.45],
        ['dog', 0.06],
        ['giraffe', 0.01],
      ].flatMap(([tag, share]) =>
        rand() < (share as number) ? [{ tag: tag as string, score: +(0.3 + 0.6 * rand()).toFixed(2), count: 1 }] : [],
      );
      tags.replaceModel(id, 'm', derived);
      // The user's own tags (score null: they count 1, so they come first), removed ones, a tag only ever removed.
      if (id % 97 === 0) tags.add(id, 'Person');
      if (id % 89 === 0) tags.remove(id, 'person');
      if (id % 301 === 0) tags.remove(id, 'zebra');
    }
    db.prepare(`UPDATE photos SET status = 'missing' WHERE id % 53 = 0`).run();
  })();
  // What the bench does, and what PRAGMA optimize does in a long-lived library: stats change plans.
  db.exec('ANALYZE');
});

afterAll(async () => {
  await lib.close();
});

describe('tag lookups for search', () => {
  it('says which names some photo has (a tag only ever removed is none)', () => {
    expect([...lib.stores.tags.namesPresent(['person', 'dog', 'giraffe', 'zebra', 'beach'])].sort()).toEqual(['dog', 'giraffe', 'person']);
  });

  it('gives the best-scored present photos of one or more names, the user’s own first, ties by id, within a filter', () => {
    const none: PhotoFilter = { sql: '', params: {} };
    const store = lib.stores.tags;
    expect(store.bestHits(['person'], 50, none).map((b) => b.id)).toEqual(expectedBest(['person'], 50));
    expect(expectedBest(['person'], 50).slice(0, 3)).toEqual([97, 194, 291]);
    expect(store.bestHits(['dog', 'person'], 120, none).map((b) => b.id)).toEqual(expectedBest(['dog', 'person'], 120));
    expect(store.bestHits(['giraffe'], 500, none).map((b) => b.id)).toEqual(expectedBest(['giraffe'], 500));
    const folder: PhotoFilter = { sql: 'p.folder_id = @folderId', params: { folderId: 2 } };
    expect(store.bestHits(['person', 'dog'], 40, folder).map((b) => b.id)).toEqual(expectedBest(['person', 'dog'], 40, 2));
    expect(store.bestHits(['zebra', 'beach'], 10, none).map((b) => b.id)).toEqual([]);
  });

  it('gives the matching tags of candidate photos, removed ones left out', () => {
    const ids = [89, 97, 98, 178, 194, 301, 1000];
    const got = lib.stores.tags.hitsOf(ids, ['person', 'zebra']);
    const want = new Map<number, Array<{ tag: string; score: number | null }>>();
    for (const r of allRows()) {
      if (!ids.includes(r.id) || r.kind === 'removed' || !['person', 'zebra'].includes(r.tag.toLowerCase())) continue;
      want.set(r.id, [...(want.get(r.id) ?? []), { tag: r.tag.toLowerCase(), score: r.score }]);
    }
    expect(got).toEqual(want);
    expect(got.get(97)).toEqual([{ tag: 'person', score: null }]);
    expect(got.has(89)).toBe(false);
  });

  it('counts every photo a tag alone finds, past the first page’s candidates, and pages to the last of them', () => {
    const withPerson = new Set(
      allRows()
        .filter((r) => r.tag.toLowerCase() === 'person' && r.kind !== 'removed' && r.status !== 'missing')
        .map((r) => r.id),
    );
    expect(withPerson.size).toBeGreaterThan(400); // more than one page's candidates (200)
    const first = lib.search('tag:person', { similarWords: false, limit: 100 });
    expect(first.total).toBe(withPerson.size);
    const seen = new Set<number>();
    for (let offset = 0; offset < first.total; offset += 100) {
      for (const h of lib.search('tag:person', { similarWords: false, limit: 100, offset }).hits) seen.add(h.photo.id);
    }
    expect(seen).toEqual(withPerson);
  });

  it('walks an index in every statement search runs on the tags table, after ANALYZE', () => {
    const db = lib.db;
    const seen = new Set<string>();
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      if (/\btags\b/.test(sql)) seen.add(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    try {
      // No search ran before in this file: the searcher prepares its statements now, on first use.
      for (const q of ['person', 'dog grass', 'tag:person', 'man -tag:person', 'person OR giraffe ', 'shirt'])
        lib.search(q, { similarWords: false, folderId: q === 'dog grass' ? 1 : undefined });
    } finally {
      db.prepare = prepare;
    }
    expect(seen.size).toBeGreaterThan(0);
    for (const sql of seen) {
      const params = Object.fromEntries(
        [...sql.matchAll(/@(\w+)/g)].map(([, n]) => [n, ['ids', 'names', 'keys'].includes(n) ? '[1,2]' : 1]),
      );
      const anon = (sql.match(/\?/g) ?? []).map(() => 'person');
      const plan = (
        prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(Object.keys(params).length ? [params] : anon)) as Array<{ detail: string }>
      )
        .map((r) => r.detail)
        .join(' | ');
      expect(plan, sql).not.toMatch(/SCAN (t|tags)\b/);
      expect(plan, sql).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    }
  });
});
