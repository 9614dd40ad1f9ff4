/**
 * What the user made of photos that left the library because their folder was removed: their own
 * captions (kept_captions) and tags (kept_tags: the tags they wrote, and the ones they took away,
 * which a model must not bring back). They are the user's work, so removing a folder never deletes
 * them: they are kept by path and content hash and return when the photo comes back (the folder
 * added again, or the same file found elsewhere). The model's captions and tags are not kept (a
 * model writes them again), nor keywords imported from a file (they are read from it again).
 */
import type { DB } from './db.js';

/** Columns of a caption row that are not the row's identity (kept whatever later migrations add). */
function captionColumns(db: DB): string[] {
  const cols = db.prepare(`SELECT name FROM pragma_table_info('captions')`).pluck().all() as string[];
  return cols.filter((c) => c !== 'id' && c !== 'photo_id');
}

/** The tag rows kept: the user's own (not imported) and the removed ones. */
const KEPT_TAG = `(t.kind = 'removed' OR (t.kind = 'user' AND t.source = 'user'))`;

export class KeptCaptions {
  constructor(private readonly db: DB) {}

  /** How many photos of a folder have a caption of the user's own. */
  userCaptionedIn(folderId: number): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM photos p WHERE p.folder_id = ? AND EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1)`,
      )
      .pluck()
      .get(folderId) as number;
  }

  /** Copy the user's captions and tags of a folder's photos here (before the folder's rows go). Returns the photos with captions kept. */
  keepFolder(folderId: number, now: number): number {
    const json = captionColumns(this.db)
      .map((c) => `'${c}', c.${c}`)
      .join(', ');
    this.db
      .prepare(
        `INSERT INTO kept_captions (path, hash, caption, removed_at)
         SELECT p.path, p.hash, json_object(${json}), @now FROM captions c JOIN photos p ON p.id = c.photo_id
         WHERE p.folder_id = @folderId AND c.is_user = 1 ORDER BY c.id`,
      )
      .run({ folderId, now });
    this.db
      .prepare(
        `INSERT INTO kept_tags (path, hash, tag, kind, source, created_at, removed_at)
         SELECT p.path, p.hash, t.tag, t.kind, t.source, t.created_at, @now FROM tags t JOIN photos p ON p.id = t.photo_id
         WHERE p.folder_id = @folderId AND ${KEPT_TAG} ORDER BY p.id, t.created_at, t.tag`,
      )
      .run({ folderId, now });
    return this.userCaptionedIn(folderId);
  }

  /**
   * The rows of `table` kept for a photo: those of its path, else every one of the first path kept
   * with its content (a file that moved while its folder was out of the library: one photo's rows, not a mix).
   */
  private keptFor<T>(table: 'kept_captions' | 'kept_tags', columns: string, photo: { path: string; hash: string | null }): T[] {
    const rows = this.db.prepare(`SELECT id, ${columns} FROM ${table} WHERE path = ? ORDER BY id`).all(photo.path) as T[];
    if (rows.length > 0 || !photo.hash) return rows;
    const path = this.db.prepare(`SELECT path FROM ${table} WHERE hash = ? ORDER BY id LIMIT 1`).pluck().get(photo.hash) as
      string | undefined;
    if (path === undefined) return [];
    return this.db.prepare(`SELECT id, ${columns} FROM ${table} WHERE path = ? AND hash = ? ORDER BY id`).all(path, photo.hash) as T[];
  }

  /**
   * A photo entered the library: give it back the captions and tags kept for its path, else for
   * its content. A kept tag takes the place of the model's (and a removed one of any); the photo's
   * own user tags stay. Returns how many captions and tags came back.
   */
  restore(photoId: number): number {
    const photo = this.db.prepare('SELECT path, hash FROM photos WHERE id = ?').get(photoId) as
      { path: string; hash: string | null } | undefined;
    if (!photo) return 0;
    const captions = this.keptFor<KeptCaption>('kept_captions', 'caption', photo);
    const tags = this.keptFor<KeptTag>('kept_tags', 'tag, kind, source, created_at', photo);
    if (captions.length + tags.length === 0) return 0;
    const cols = captionColumns(this.db);
    const insertCaption = this.db.prepare(
      `INSERT INTO captions (photo_id, ${cols.join(', ')}) SELECT @photoId, ${cols.map((c) => `json_extract(@caption, '$.${c}')`).join(', ')}`,
    );
    const insertTag = this.db.prepare(
      `INSERT INTO tags (photo_id, tag, kind, source, score, count, created_at) VALUES (@photoId, @tag, @kind, @source, NULL, NULL, @created_at)
       ON CONFLICT (photo_id, tag) DO UPDATE SET kind = excluded.kind, source = excluded.source, score = NULL, count = NULL,
         created_at = excluded.created_at WHERE kind = 'model' OR excluded.kind = 'removed'`,
    );
    const dropCaption = this.db.prepare('DELETE FROM kept_captions WHERE id = ?');
    const dropTag = this.db.prepare('DELETE FROM kept_tags WHERE id = ?');
    this.db.transaction(() => {
      for (const { id, caption } of captions) {
        insertCaption.run({ photoId, caption });
        dropCaption.run(id);
      }
      for (const { id, ...tag } of tags) {
        insertTag.run({ photoId, ...tag });
        dropTag.run(id);
      }
    })();
    return captions.length + tags.length;
  }

  /** Captions kept for photos that are not in the library now. */
  count(): number {
    return this.db.prepare('SELECT count(*) FROM kept_captions').pluck().get() as number;
  }
}

interface KeptCaption {
  id: number;
  caption: string;
}

interface KeptTag {
  id: number;
  tag: string;
  kind: 'user' | 'removed';
  source: string;
  created_at: number;
}
