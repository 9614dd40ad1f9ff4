/**
 * The folders table: which folders on disk the library holds, with their photo counts. A store
 * of its own because adding a folder can absorb the library folders inside it (their photos and
 * jobs move over in one transaction), which no other table's code should need to know.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Folder } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import type { DB } from './db.js';

export interface FolderRef {
  id: number;
  path: string;
}

/** `child` is `parent` or lies under it. */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** The real path of a folder the user named, or a UserError saying why it cannot be added. */
export function realFolder(path: string): string {
  if (typeof path !== 'string' || !path || path.includes('\0')) throw new UserError('give a folder path');
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UserError(`folder not found: ${abs}`);
  }
  if (!st.isDirectory()) throw new UserError(`not a folder: ${abs}`);
  return realpathSync(abs);
}

export class FolderStore {
  constructor(private readonly db: DB) {}

  all(): FolderRef[] {
    return this.db.prepare('SELECT id, path FROM folders').all() as FolderRef[];
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM folders').get() as { n: number }).n;
  }

  /** Absolute path of a library folder, or null. */
  root(id: number): string | null {
    const row = this.db.prepare('SELECT path FROM folders WHERE id = ?').get(id) as { path: string } | undefined;
    return row?.path ?? null;
  }

  /** The library folder a file lies in (strictly under its root), or null. */
  holding(path: string): number | null {
    const hit = this.all().find((f) => path.startsWith(f.path.endsWith(sep) ? f.path : f.path + sep));
    return hit?.id ?? null;
  }

  /** Add a folder; library folders inside it are absorbed (their photos and jobs become its own). */
  add(root: string): number {
    const inner = this.all().filter((f) => isInside(f.path, root));
    return this.db.transaction(() => {
      const id = Number(this.db.prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)').run(root, Date.now()).lastInsertRowid);
      for (const f of inner) {
        this.db.prepare('UPDATE photos SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
        this.db.prepare('UPDATE jobs SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
        this.db.prepare('DELETE FROM folders WHERE id = ?').run(f.id);
      }
      return id;
    })();
  }

  /** Remove a folder; its photos and their captions go with it (ON DELETE CASCADE). */
  remove(id: number): void {
    this.db.prepare('DELETE FROM folders WHERE id = ?').run(id);
  }

  /**
   * Every folder with its counts and status: missing (gone from disk), scanning, captioning
   * (pending photos and an unfinished job for it, or for the whole library: folder null), ready.
   */
  list(scanning: ReadonlySet<number>, busy: ReadonlySet<number | null>): Folder[] {
    const rows = this.db
      .prepare(
        `SELECT f.id, f.path,
           count(p.id) FILTER (WHERE p.status != 'missing') AS photoCount,
           count(p.id) FILTER (WHERE p.status = 'captioned') AS captionedCount,
           count(p.id) FILTER (WHERE p.status = 'pending') AS pendingCount,
           count(p.id) FILTER (WHERE p.status = 'error') AS errorCount
         FROM folders f LEFT JOIN photos p ON p.folder_id = f.id GROUP BY f.id ORDER BY f.path`,
      )
      .all() as Array<Omit<Folder, 'status'>>;
    return rows.map((r) => ({
      ...r,
      status: !existsSync(r.path)
        ? 'missing'
        : scanning.has(r.id)
          ? 'scanning'
          : r.pendingCount > 0 && (busy.has(r.id) || busy.has(null))
            ? 'captioning'
            : 'ready',
    }));
  }
}
