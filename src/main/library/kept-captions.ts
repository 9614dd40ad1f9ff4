/**
 * The kept_captions table: the user's own captions of photos that left the library because their
 * folder was removed. They are the user's work, so removing a folder never deletes them: they are
 * kept by path and content hash and return to the caption history when the photo comes back (the
 * folder added again, or the same file found elsewhere). Model captions are not kept: a model
 * writes them again.
 */
import type { DB } from './db.js';

/** Columns of a caption row that are not the row's identity (kept whatever later migrations add). */
function captionColumns(db: DB): string[] {
  const cols = db.prepare(`SELECT name FROM pragma_table_info('captions')`).pluck().all() as string[];
  return cols.filter((c) => c !== 'id' && c !== 'photo_id');
}

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

  /** Copy the user's captions of a folder's photos here (before the folder's rows go). Returns the photos they belong to. */
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
    return this.userCaptionedIn(folderId);
  }

  /**
   * A photo entered the library: give it back the captions kept for its path, else for its
   * content (a file that moved while its folder was out of the library). Returns how many came back.
   */
  restore(photoId: number): number {
    const photo = this.db.prepare('SELECT path, hash FROM photos WHERE id = ?').get(photoId) as
      { path: string; hash: string | null } | undefined;
    if (!photo) return 0;
    let rows = this.db.prepare('SELECT id, caption FROM kept_captions WHERE path = ? ORDER BY id').all(photo.path) as KeptRow[];
    if (rows.length === 0 && photo.hash) {
      // Every kept caption of the first path with this content: one photo's history, not a mix.
      const path = this.db.prepare('SELECT path FROM kept_captions WHERE hash = ? ORDER BY id LIMIT 1').pluck().get(photo.hash) as
        string | undefined;
      if (path !== undefined)
        rows = this.db
          .prepare('SELECT id, caption FROM kept_captions WHERE path = ? AND hash = ? ORDER BY id')
          .all(path, photo.hash) as KeptRow[];
    }
    if (rows.length === 0) return 0;
    const cols = captionColumns(this.db);
    const insert = this.db.prepare(
      `INSERT INTO captions (photo_id, ${cols.join(', ')}) SELECT @photoId, ${cols.map((c) => `json_extract(@caption, '$.${c}')`).join(', ')}`,
    );
    const drop = this.db.prepare('DELETE FROM kept_captions WHERE id = ?');
    this.db.transaction(() => {
      for (const r of rows) {
        insert.run({ photoId, caption: r.caption });
        drop.run(r.id);
      }
    })();
    return rows.length;
  }

  /** Captions kept for photos that are not in the library now. */
  count(): number {
    return this.db.prepare('SELECT count(*) FROM kept_captions').pluck().get() as number;
  }
}

interface KeptRow {
  id: number;
  caption: string;
}
