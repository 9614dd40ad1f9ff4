/**
 * The caption history: rows are only ever added (or removed with their photo, when the user
 * clears their own, or when they undo picking an alternative). Which caption a photo shows is
 * kept by triggers on this table (migrations.ts), so every write of a caption goes through here.
 *
 * Each row has a kind: the model's, the user's own words, a description imported from the
 * photo's metadata, or one of the model's alternatives the user picked. All but the model's are
 * shown over the model's captions (is_user); only the user's and imported ones are teaching labels.
 */
import type { Alternative, CaptionEntry, CaptionKind } from '../../shared/api-contract.js';
import type { DB } from './db.js';

export interface ModelCaption {
  text: string;
  modelId: string;
  score: number | null;
  alternatives: Alternative[];
}

/** A caption row, as restore and undo need it. */
export interface CaptionRow {
  id: number;
  photoId: number;
  text: string;
  source: string;
  kind: CaptionKind;
  app: string | null;
}

export interface ImportOutcome {
  imported: number;
  unchanged: number;
  notInLibrary: string[];
}

/** The kind of a caption the user gave: 'import:<where>' sources are descriptions found in the photo's metadata. */
const kindOfSource = (source: string): CaptionKind => (source.startsWith('import:') ? 'imported' : 'user');

/** Captions are one line: runs of whitespace become one space. */
export function cleanCaption(text: string): string {
  return String(text).replace(/\s+/g, ' ').trim();
}

export class CaptionStore {
  constructor(private readonly db: DB) {}

  /** Newest first. */
  history(photoId: number): CaptionEntry[] {
    const rows = this.db
      .prepare('SELECT id, text, source, kind, app, score, created_at FROM captions WHERE photo_id = ? ORDER BY id DESC')
      .all(photoId) as Array<{
      id: number;
      text: string;
      source: string;
      kind: CaptionKind;
      app: string | null;
      score: number | null;
      created_at: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      text: r.text,
      source: r.source,
      kind: r.kind,
      importedFrom: r.kind === 'imported' ? { place: r.source.slice('import:'.length), app: r.app } : null,
      score: r.score,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** A caption the user gave (`source` 'user', or 'import:<where>' for a description found in the photo's metadata). */
  addUser(photoId: number, text: string, source: string): number {
    return Number(
      this.db
        .prepare('INSERT INTO captions (photo_id, text, source, kind, is_user, created_at) VALUES (?, ?, ?, ?, 1, ?)')
        .run(photoId, text, source, kindOfSource(source), Date.now()).lastInsertRowid,
    );
  }

  /** One of `modelId`'s alternatives, picked by the user: shown over the model's captions, but the model's words, not a label. */
  addAlternative(photoId: number, text: string, modelId: string): number {
    return Number(
      this.db
        .prepare(`INSERT INTO captions (photo_id, text, source, kind, is_user, created_at) VALUES (?, ?, ?, 'alternative', 1, ?)`)
        .run(photoId, text, modelId, Date.now()).lastInsertRowid,
    );
  }

  /**
   * Show an earlier caption again: a copy of it joins the history as the newest. A model's caption
   * brought back is the user's pick of the model's words (kind 'alternative'), so still no label.
   */
  restore(row: CaptionRow): number {
    const kind: CaptionKind = row.kind === 'model' ? 'alternative' : row.kind;
    return Number(
      this.db
        .prepare('INSERT INTO captions (photo_id, text, source, kind, app, is_user, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)')
        .run(row.photoId, row.text, row.source, kind, row.app, Date.now()).lastInsertRowid,
    );
  }

  row(captionId: number): CaptionRow | undefined {
    return this.db.prepare('SELECT id, photo_id AS photoId, text, source, kind, app FROM captions WHERE id = ?').get(captionId) as
      CaptionRow | undefined;
  }

  /** Id of the photo's newest caption row, or null. */
  newestId(photoId: number): number | null {
    return (this.db.prepare('SELECT max(id) AS id FROM captions WHERE photo_id = ?').get(photoId) as { id: number | null }).id;
  }

  /** Source (model id) of the photo's newest model caption, or null. */
  newestModelSource(photoId: number): string | null {
    const r = this.db.prepare('SELECT source FROM captions WHERE photo_id = ? AND is_user = 0 ORDER BY id DESC LIMIT 1').get(photoId) as
      { source: string } | undefined;
    return r?.source ?? null;
  }

  remove(captionId: number): void {
    this.db.prepare('DELETE FROM captions WHERE id = ?').run(captionId);
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
   * caption already says the same. `photoIdOf` finds a path's photo; `app` is the program that
   * wrote an imported description, when its file says. Returns the photos changed.
   */
  importUser(
    items: Iterable<{ path: string; text: string; app?: string | null }>,
    source: string,
    photoIdOf: (path: string) => number | null,
  ): ImportOutcome & { changed: number[] } {
    const out = { imported: 0, unchanged: 0, notInLibrary: [] as string[], changed: [] as number[] };
    const newest = this.db.prepare('SELECT text FROM captions WHERE photo_id = ? AND is_user = 1 ORDER BY id DESC LIMIT 1');
    const insert = this.db.prepare(
      'INSERT INTO captions (photo_id, text, source, kind, app, is_user, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)',
    );
    this.db.transaction(() => {
      for (const { path, text, app } of items) {
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
        insert.run(id, clean, source, kindOfSource(source), app ?? null, Date.now());
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

  /**
   * Present photos whose newest user-given caption is a label (the user's words or an imported
   * description), with it, by photo id: what teaching learns from. A photo whose newest one is an
   * alternative the user picked is left out — the model would learn its own output.
   */
  newestUserCaptions(): Array<{ id: number; path: string; caption: string }> {
    return this.db
      .prepare(
        // From the user captions' own index (captions_user), not a probe per photo of the library.
        `SELECT p.id, p.path, c.text AS caption
         FROM (SELECT photo_id, max(id) AS newest FROM captions WHERE is_user = 1 GROUP BY photo_id) u
         JOIN captions c ON c.id = u.newest JOIN photos p ON p.id = u.photo_id
         WHERE p.status != 'missing' AND c.kind IN ('user', 'imported') ORDER BY p.id`,
      )
      .all() as Array<{ id: number; path: string; caption: string }>;
  }
}
