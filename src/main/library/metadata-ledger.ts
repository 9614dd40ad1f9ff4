/**
 * The metadata_ledger table: per photo and write target, the text Lenscribe last knew to be in
 * the photo's metadata and whether Lenscribe wrote it. It is what lets an export tell "the user
 * changed this caption in Lenscribe" from "another program changed the file since", and lets a
 * re-import pick up only what changed on disk (src/main/metadata/library-sync.ts uses it).
 */
import type { CaptionKind, KnownState, WriteTarget } from '../metadata/types.js';
import type { DB } from './db.js';

export class MetadataLedger {
  private readonly getStmt;
  private readonly putStmt;
  private readonly seenStmt;

  /** `db` is a library database: its migrations created metadata_ledger. */
  constructor(db: DB) {
    this.seenStmt = db.prepare('SELECT 1 FROM metadata_ledger WHERE photo_path = ? LIMIT 1');
    this.getStmt = db.prepare('SELECT text, lenscribe_kind FROM metadata_ledger WHERE photo_path = ? AND target = ?');
    this.putStmt = db.prepare(
      `INSERT INTO metadata_ledger (photo_path, target, file, text, lenscribe_kind, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (photo_path, target) DO UPDATE SET file = excluded.file, text = excluded.text,
         lenscribe_kind = excluded.lenscribe_kind, updated_at = excluded.updated_at`,
    );
  }

  /** Whether Lenscribe has read (or written) this photo's metadata before. */
  seen(photoPath: string): boolean {
    return this.seenStmt.get(photoPath) !== undefined;
  }

  get(photoPath: string, target: WriteTarget): KnownState | undefined {
    const r = this.getStmt.get(photoPath, target) as { text: string | null; lenscribe_kind: CaptionKind | null } | undefined;
    if (!r) return undefined;
    return { text: r.text, ...(r.lenscribe_kind ? { lenscribeKind: r.lenscribe_kind } : {}) };
  }

  put(photoPath: string, target: WriteTarget, file: string, state: KnownState): void {
    this.putStmt.run(photoPath, target, file, state.text, state.lenscribeKind ?? null, Date.now());
  }
}
