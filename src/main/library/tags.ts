/**
 * The tags table: what is in each photo, as words. Three kinds of row, one per photo and tag
 * (any case): the model's ('model', source = the model id, with its score and, when the encoder
 * counts them, how many), the user's own or keywords imported from the photo's metadata ('user',
 * source 'user' or 'import:<field>'), and tags the user took away ('removed'). A re-derivation
 * replaces only the model's rows: the user's stay, and a removed tag stays removed.
 * tag_derivations remembers which model last derived a photo's tags (zero tags included).
 */
import type { PhotoTag, TagCount } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import type { Statement } from 'better-sqlite3';
import type { DB } from './db.js';

/** A tag the model derived from a photo's encoder outputs (tag-derivation.ts). */
export interface DerivedTag {
  tag: string;
  score: number;
  /** Confident detections of it, when the encoder counts them. */
  count: number | null;
}

/** A tag as search sees it: the model's confidence, or null for the user's own tag. */
export interface TagHit {
  tag: string;
  score: number | null;
}

/** A photo a tag walk found for search: its best matching tag, and the text search scores. */
export interface TaggedPhoto {
  id: number;
  /** Its caption index key (photos.fts_key), or its id when it has none. */
  key: number;
  caption: string;
  name: string;
  hit: TagHit;
}

/** A condition over photos p ('' for none) and its parameters: a search's folder/date filter, the grid's tag filter. */
export interface PhotoFilter {
  sql: string;
  params: Record<string, unknown>;
}

/** Longest tag accepted (a keyword, not a caption). */
export const MAX_TAG_LENGTH = 64;

/** A tag's spelling as stored and looked up: NFC (a typed "cafe\u0301" is the stored "café"), spaces collapsed. */
function normalTag(raw: string): string {
  return raw.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/**
 * A tag as stored: one line, spaces collapsed, bounded. Throws a UserError saying what is wrong
 * with this one (callers handling many report it per item).
 */
export function cleanTag(raw: string): string {
  // eslint-disable-next-line no-control-regex -- control characters have no place in a keyword
  if (/[\u0000-\u001f\u007f]/.test(raw.replace(/[\t\n\r]/g, ' ')))
    throw new UserError(`tag ${JSON.stringify(raw)} contains control characters`);
  const tag = normalTag(raw);
  if (!tag) throw new UserError('a tag cannot be empty');
  if (tag.length > MAX_TAG_LENGTH) throw new UserError(`tag "${tag.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters`);
  return tag;
}

const PHOTO_HAS_TAG_SQL = `p.id IN (SELECT photo_id FROM tags WHERE tag = @tag AND kind != 'removed')`;

/**
 * The condition PhotoStore.page adds for `photos.list { tag }` (the tags SQL stays in this file),
 * the tag spelt as tags are stored.
 */
export function photoHasTag(raw: string): PhotoFilter {
  return { sql: PHOTO_HAS_TAG_SQL, params: { tag: normalTag(raw) } };
}

interface TagRow {
  photo_id: number;
  tag: string;
  kind: 'model' | 'user' | 'removed';
  source: string;
  score: number | null;
  count: number | null;
}

const toTag = (r: TagRow): PhotoTag => ({
  tag: r.tag,
  kind: r.kind === 'model' ? 'model' : 'user',
  source: r.source,
  score: r.score,
  count: r.count,
});

/** One tag's present photos (@name) passing a search filter, walked along tags_by_tag: search's FROM and WHERE. */
function tagWalk(filter: PhotoFilter): string {
  return `FROM tags t INDEXED BY tags_by_tag CROSS JOIN photos p ON p.id = t.photo_id
       WHERE t.tag = @name AND t.kind != 'removed' AND p.status != 'missing' ${filter.sql ? `AND ${filter.sql}` : ''}`;
}

/** User tags first (as added), then the model's by score. */
const ORDER = `ORDER BY kind = 'model', CASE WHEN kind = 'model' THEN -score END, created_at, tag`;

export class TagStore {
  constructor(private readonly db: DB) {}

  /** Statements prepared once: search runs them on every keystroke, a bulk edit once per photo. */
  private readonly prepared = new Map<string, Statement<unknown[]>>();

  private stmt(sql: string): Statement<unknown[]> {
    let s = this.prepared.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.prepared.set(sql, s);
    }
    return s;
  }

  /** A photo's tags (removed ones left out). */
  forPhoto(photoId: number): PhotoTag[] {
    const rows = this.db.prepare(`SELECT * FROM tags WHERE photo_id = ? AND kind != 'removed' ${ORDER}`).all(photoId) as TagRow[];
    return rows.map(toTag);
  }

  /** Tags the user removed from a photo (the derivation leaves these out). */
  removed(photoId: number): string[] {
    return this.db.prepare(`SELECT tag FROM tags WHERE photo_id = ? AND kind = 'removed' ORDER BY tag`).pluck().all(photoId) as string[];
  }

  /** Whose the photo's tag is ('removed': the user took it away), or null when the photo never had it. */
  kindOf(photoId: number, tag: string): 'user' | 'model' | 'removed' | null {
    return (
      (this.stmt(`SELECT kind FROM tags WHERE photo_id = ? AND tag = ?`).pluck().get(photoId, tag) as
        'user' | 'model' | 'removed' | undefined) ?? null
    );
  }

  /**
   * The user's tag: kept through re-derivations; a tag they had removed comes back as theirs. A tag
   * the user already wrote on another photo keeps its first spelling ("grand canyon" joins "Grand Canyon").
   */
  add(photoId: number, tag: string, source = 'user', now = Date.now(), spelled = this.spelling(tag, photoId)): void {
    this.stmt(
      `INSERT INTO tags (photo_id, tag, kind, source, score, count, created_at) VALUES (?, ?, 'user', ?, NULL, NULL, ?)
         ON CONFLICT (photo_id, tag) DO UPDATE SET kind = 'user', source = excluded.source, tag = excluded.tag, created_at = excluded.created_at
         WHERE kind != 'user'`,
    ).run(photoId, spelled ?? tag, source, now);
  }

  /**
   * How the user first spelled this tag on a photo (other than `except`), if they did: read from
   * its own index (migration 12), as a bulk edit asks once and a single add once per photo.
   */
  spelling(tag: string, except = 0): string | undefined {
    return this.stmt(`SELECT tag FROM tags WHERE tag = ? AND kind = 'user' AND photo_id != ? ORDER BY created_at LIMIT 1`)
      .pluck()
      .get(tag, except) as string | undefined;
  }

  /** Take a tag away (the model's or the user's): it stays away when the model derives tags again. */
  remove(photoId: number, tag: string, now = Date.now()): boolean {
    const had = this.stmt(`SELECT 1 FROM tags WHERE photo_id = ? AND tag = ? AND kind != 'removed'`).get(photoId, tag);
    this.stmt(
      `INSERT INTO tags (photo_id, tag, kind, source, score, count, created_at) VALUES (?, ?, 'removed', 'user', NULL, NULL, ?)
         ON CONFLICT (photo_id, tag) DO UPDATE SET kind = 'removed', source = 'user', score = NULL, count = NULL, created_at = excluded.created_at`,
    ).run(photoId, tag, now);
    return had !== undefined;
  }

  /**
   * Keywords read from the photo's metadata, as the user's tags: they take the place of a model
   * tag of the same word, never of a tag the user removed. Returns how many were new.
   */
  importUser(photoId: number, tags: readonly string[], source: string, now = Date.now()): number {
    const put = this.db.prepare(
      `INSERT INTO tags (photo_id, tag, kind, source, score, count, created_at) VALUES (?, ?, 'user', ?, NULL, NULL, ?)
       ON CONFLICT (photo_id, tag) DO UPDATE SET kind = 'user', source = excluded.source, score = NULL, count = NULL WHERE kind = 'model'`,
    );
    let added = 0;
    this.db.transaction(() => {
      for (const t of tags) added += put.run(photoId, t, source, now).changes;
    })();
    return added;
  }

  /**
   * Replace the model's tags of a photo with these (the user's and removed rows stay), and note who
   * derived them. A tag without a count keeps the one it had: counts come from the encoder, which
   * does not run again for cached features (a new decoder on the same encoder sees the same objects).
   */
  replaceModel(photoId: number, source: string, tags: readonly DerivedTag[], now = Date.now()): void {
    const put = this.db.prepare(
      `INSERT OR IGNORE INTO tags (photo_id, tag, kind, source, score, count, created_at) VALUES (?, ?, 'model', ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      const before = this.db
        .prepare(`SELECT tag, count FROM tags WHERE photo_id = ? AND kind = 'model' AND count IS NOT NULL`)
        .all(photoId) as Array<{ tag: string; count: number }>;
      const counted = new Map(before.map((r) => [r.tag.toLowerCase(), r.count]));
      this.db.prepare(`DELETE FROM tags WHERE photo_id = ? AND kind = 'model'`).run(photoId);
      for (const t of tags) put.run(photoId, t.tag, source, t.score, t.count ?? counted.get(t.tag.toLowerCase()) ?? null, now);
      this.db
        .prepare(
          `INSERT INTO tag_derivations (photo_id, source, derived_at) VALUES (?, ?, ?) ON CONFLICT (photo_id) DO UPDATE SET source = excluded.source, derived_at = excluded.derived_at`,
        )
        .run(photoId, source, now);
    })();
  }

  /** Captioned photos whose tags were not derived by `source` (none yet, or another model's), oldest id first. */
  staleFor(source: string, limit: number): Array<{ id: number; hash: string }> {
    return this.db
      .prepare(
        `SELECT p.id, p.hash FROM photos p LEFT JOIN tag_derivations d ON d.photo_id = p.id
         WHERE p.status = 'captioned' AND p.hash IS NOT NULL AND d.source IS NOT ? ORDER BY p.id LIMIT ?`,
      )
      .all(source, limit) as Array<{ id: number; hash: string }>;
  }

  /** Note that a photo's tags were looked at by `source` without any to write (no cached features). */
  markDerived(photoId: number, source: string, now = Date.now()): void {
    this.replaceModel(photoId, source, [], now);
  }

  /**
   * Every tag of the present photos with how many photos have it, most used first; spelt as it was
   * first written (earliest row, then lowest photo id: two tags added in the same millisecond must
   * not make the spelling depend on the query plan).
   */
  list(limit = 1000): TagCount[] {
    return this.db
      .prepare(
        `SELECT (SELECT f.tag FROM tags f WHERE f.tag = g.tag AND f.kind != 'removed' ORDER BY f.created_at, f.photo_id LIMIT 1) AS tag, photos
         FROM (SELECT t.tag AS tag, count(*) AS photos FROM tags t JOIN photos p ON p.id = t.photo_id
               WHERE t.kind != 'removed' AND p.status != 'missing' GROUP BY t.tag) g
         ORDER BY photos DESC, tag LIMIT ?`,
      )
      .all(limit) as TagCount[];
  }

  /**
   * For search: which of `names` (lowercase) some photo has as a tag, removed ones left out. One
   * probe each on tags_by_tag, named: most query words are no tag, and once ANALYZE has run the
   * planner may scan the whole table for them (it did for an IN list over a json array, and for
   * this LIMIT 1 when the library has few distinct tags).
   */
  namesPresent(names: readonly string[]): Set<string> {
    const probe = this.stmt(`SELECT 1 FROM tags INDEXED BY tags_by_tag WHERE tag = ? AND kind != 'removed' LIMIT 1`);
    return new Set(names.filter((n) => probe.get(n) !== undefined));
  }

  /**
   * For search: up to k present photos having one of `names`, best tag first (the user's own count
   * as 1; ties by photo id), passing the search's folder/date filter. Each name walks tags_by_tag
   * in score order and stops after k matches; the photo's best name decides its place, so the
   * first k of each name hold the first k overall. Each comes with that best tag (lowercase, its
   * score null for the user's own) and its caption index key, caption and file name, read in the
   * same walk so that search need not fetch the photos again.
   */
  bestHits(names: readonly string[], k: number, filter: PhotoFilter): TaggedPhoto[] {
    if (!names.length || k <= 0) return [];
    // tags_by_tag in index order as the outer loop (CROSS JOIN), so LIMIT ends the walk.
    const byName = this.stmt(
      `SELECT t.photo_id AS id, coalesce(t.score, 1) AS s, t.score AS score, coalesce(p.fts_key, p.id) AS key,
              coalesce(p.caption, '') AS caption, p.name AS name
       ${tagWalk(filter)} ORDER BY coalesce(t.score, 1) DESC, t.photo_id LIMIT @k`,
    );
    const best = new Map<number, { s: number; photo: TaggedPhoto }>();
    for (const name of names) {
      const tag = name.toLowerCase();
      type Row = { id: number; s: number; score: number | null; key: number; caption: string; name: string };
      for (const r of byName.all({ ...filter.params, name, k }) as Row[]) {
        if (r.s > (best.get(r.id)?.s ?? -Infinity)) {
          best.set(r.id, { s: r.s, photo: { id: r.id, key: r.key, caption: r.caption, name: r.name, hit: { tag, score: r.score } } });
        }
      }
    }
    return [...best]
      .sort((a, b) => b[1].s - a[1].s || a[0] - b[0])
      .slice(0, k)
      .map(([, { photo }]) => photo);
  }

  /**
   * For search: a lower bound on how many present photos passing the filter have one of `names`
   * (the most any one name has), counted up to `cap` along tags_by_tag.
   */
  countPhotos(names: readonly string[], cap: number, filter: PhotoFilter): number {
    const count = this.stmt(`SELECT count(*) FROM (SELECT 1 ${tagWalk(filter)} LIMIT @cap)`).pluck();
    return Math.max(0, ...names.map((name) => count.get({ ...filter.params, name, cap }) as number));
  }

  /** For search: the tags among `names` (lowercase) of each photo, removed ones left out, by photo id. */
  hitsOf(photoIds: readonly number[], names: readonly string[]): Map<number, TagHit[]> {
    const out = new Map<number, TagHit[]>();
    if (!photoIds.length || !names.length) return out;
    const rows = this.stmt(
      `SELECT photo_id AS id, lower(tag) AS tag, score FROM tags WHERE photo_id IN (SELECT value FROM json_each(@ids))
       AND tag IN (SELECT value FROM json_each(@names)) AND kind != 'removed'`,
    ).all({ ids: JSON.stringify(photoIds), names: JSON.stringify(names) }) as Array<TagHit & { id: number }>;
    for (const { id, ...t } of rows) {
      const list = out.get(id);
      if (list) list.push(t);
      else out.set(id, [t]);
    }
    return out;
  }

  /** The tags of many photos at once (search hits, export), by photo id. */
  ofPhotos(photoIds: readonly number[]): Map<number, PhotoTag[]> {
    const out = new Map<number, PhotoTag[]>();
    if (!photoIds.length) return out;
    const rows = this.db
      .prepare(`SELECT * FROM tags WHERE photo_id IN (SELECT value FROM json_each(?)) AND kind != 'removed' ${ORDER}`)
      .all(JSON.stringify(photoIds)) as TagRow[];
    for (const r of rows) {
      const list = out.get(r.photo_id) ?? [];
      list.push(toTag(r));
      out.set(r.photo_id, list);
    }
    return out;
  }

  /** Every present photo's tags by path (export), removed ones left out. */
  byPath(): Map<string, PhotoTag[]> {
    const out = new Map<string, PhotoTag[]>();
    const rows = this.db
      .prepare(
        `SELECT p.path, t.* FROM tags t JOIN photos p ON p.id = t.photo_id WHERE t.kind != 'removed' AND p.status != 'missing' ${ORDER}`,
      )
      .iterate() as IterableIterator<TagRow & { path: string }>;
    for (const r of rows) {
      const list = out.get(r.path) ?? [];
      list.push(toTag(r));
      out.set(r.path, list);
    }
    return out;
  }
}
