/**
 * The caption history: rows are only ever added (or removed with their photo, or when the
 * user clears their own). Which caption a photo shows is kept by triggers on this table
 * (migrations.ts), so every write of a caption goes through here.
 */
import type { Alternative, CaptionEntry } from '../../shared/api-contract.js';
import type { DB } from './db.js';

export interface ModelCaption {
  text: string;
  modelId: string;
  score: number | null;
  alternatives: Alternative[];
}

export interface ImportOutcome {
  imported: number;
  unchanged: number;
  notInLibrary: string[];
}

/** Captions are one line: runs of whitespace become one space. */
export function cleanCaption(text: string): string {
  return String(text).replace(/\s+/g, ' ').trim();
}

export class CaptionStore {
  constructor(private readonly db: DB) {}

  /** Newest first. */
  history(photoId: number): CaptionEntry[] {
    const rows = this.db
      .prepare('SELECT id, text, source, score, created_at FROM captions WHERE photo_id = ? ORDER BY id DESC')
      .all(photoId) as Array<{ id: number; text: string; source: string; score: number | null; created_at: number }>;
    return rows.map((r) => ({ id: r.id, text: r.text, source: r.source, score: r.score, createdAt: new Date(r.created_at).toISOString() }));
  }

  addUser(photoId: number, text: string, source: string): void {
    this.db
      .prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, 1, ?)')
      .run(photoId, text, source, Date.now());
  }

  addModel(photoId: number, caption: ModelCaption, now: number): void {
    this.db
      .prepare('INSERT INTO captions (photo_id, text, source, is_user, score, alternatives, created_at) VALUES (?, ?, ?, 0, ?, ?, ?)')
      .run(photoId, caption.text, caption.modelId, caption.score, JSON.stringify(caption.alternatives), now);
  }

  clearUser(photoId: number): void {
    this.db.prepare('DELETE FROM captions WHERE photo_id = ? AND is_user = 1').run(photoId);
  }

  /**
   * Add user captions in one transaction, skipping empty texts and photos whose newest user
   * caption already says the same. `photoIdOf` finds a path's photo. Returns the photos changed.
   */
  importUser(
    items: Iterable<{ path: string; text: string }>,
    source: string,
    photoIdOf: (path: string) => number | null,
  ): ImportOutcome & { changed: number[] } {
    const out = { imported: 0, unchanged: 0, notInLibrary: [] as string[], changed: [] as number[] };
    const newest = this.db.prepare('SELECT text FROM captions WHERE photo_id = ? AND is_user = 1 ORDER BY id DESC LIMIT 1');
    const insert = this.db.prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, 1, ?)');
    this.db.transaction(() => {
      for (const { path, text } of items) {
        const clean = cleanCaption(text);
        if (!clean) continue;
        const id = photoIdOf(path);
        if (id === null) {
          out.notInLibrary.push(path);
          continue;
        }
        const cur = newest.get(id) as { text: string } | undefined;
        if (cur?.text === clean) {
          out.unchanged++;
          continue;
        }
        insert.run(id, clean, source, Date.now());
        out.changed.push(id);
        out.imported++;
      }
    })();
    return out;
  }

  /** The beam-search alternatives stored with a photo's newest model caption (from `modelId` when given). */
  storedAlternatives(photoId: number, modelId: string | null): Alternative[] | null {
    const stored = this.db
      .prepare(
        'SELECT alternatives FROM captions WHERE photo_id = ? AND is_user = 0 AND alternatives IS NOT NULL AND (? IS NULL OR source = ?) ORDER BY id DESC LIMIT 1',
      )
      .get(photoId, modelId, modelId) as { alternatives: string } | undefined;
    return stored ? (JSON.parse(stored.alternatives) as Alternative[]) : null;
  }

  /** Present photos with a user caption, with the newest one, by photo id (what teaching learns from). */
  newestUserCaptions(): Array<{ id: number; path: string; caption: string }> {
    return this.db
      .prepare(
        `SELECT p.id, p.path, (SELECT text FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1 ORDER BY c.id DESC LIMIT 1) AS caption
         FROM photos p WHERE p.status != 'missing' AND EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1) ORDER BY p.id`,
      )
      .all() as Array<{ id: number; path: string; caption: string }>;
  }
}
