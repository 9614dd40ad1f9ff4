/**
 * How many photos each folder, subfolder and month holds, per status: a small table the photos'
 * triggers keep (migration 13), so the sidebar's counts, the subfolder tree, the timeline and a
 * list's total read a few hundred rows instead of every photo (at 100k photos those four took
 * 60, 200, 150 and 10 ms, and the library answers one call at a time: the grid's first page
 * waited behind them).
 *
 * A row's `dir` is the photo's path without its file name, cut after the last '/' or '\' (the
 * triggers cannot know the platform's separator; readers cut again at `sep`, so a POSIX file name
 * holding a '\' still lands in its folder). `month` is 'YYYY-MM' (UTC) of the date the 'taken'
 * order uses (EXIF's, else the file's), '' when there is none.
 */
import { sep } from 'node:path';
import type { DB } from './db.js';
import { FILL, KEPT, RECOUNT } from './photo-counts-sql.js';

/** How many rows of the table differ from counting the photos again (0 when in step; a full check, O(photos)). */
export function photoCountsDrift(db: DB): number {
  const n = (sql: string) => (db.prepare(`SELECT count(*) AS n FROM (${sql})`).get() as { n: number }).n;
  return n(`${RECOUNT} EXCEPT ${KEPT}`) + n(`${KEPT} EXCEPT ${RECOUNT}`);
}

/**
 * Recount when the table is out of step with the photos (it is derived: nothing the user wrote is
 * in it, so it is mended rather than reported as damage). How many rows were off; 0: untouched.
 */
export function mendPhotoCounts(db: DB): number {
  const drift = photoCountsDrift(db);
  if (drift > 0) rebuildPhotoCounts(db);
  return drift;
}

/** Fill the table again from the photos (a repaired library). */
export function rebuildPhotoCounts(db: DB): void {
  db.transaction(() => {
    db.exec('DELETE FROM photo_counts');
    db.exec(FILL);
  })();
}

export interface StatusCounts {
  photoCount: number;
  captionedCount: number;
  pendingCount: number;
  errorCount: number;
}

const STATUS_SUMS = `coalesce(sum(n) FILTER (WHERE status != 'missing'), 0) AS photoCount,
  coalesce(sum(n) FILTER (WHERE status = 'captioned'), 0) AS captionedCount,
  coalesce(sum(n) FILTER (WHERE status = 'pending'), 0) AS pendingCount,
  coalesce(sum(n) FILTER (WHERE status = 'error'), 0) AS errorCount`;

/** Which photos a count covers: a folder, a subtree of it (a path prefix ending in a separator), a status ('missing' left out without one). */
export interface CountScope {
  folderId?: number;
  pathPrefix?: string;
  status?: string;
}

function scopeWhere(scope: CountScope): { where: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (scope.folderId !== undefined) {
    where.push('folder_id = @folderId');
    params.folderId = scope.folderId;
  }
  if (scope.pathPrefix !== undefined) {
    where.push('substr(dir, 1, @prefixLength) = @pathPrefix');
    Object.assign(params, { pathPrefix: scope.pathPrefix, prefixLength: scope.pathPrefix.length });
  }
  if (scope.status !== undefined) {
    where.push('status = @status');
    params.status = scope.status;
  } else where.push(`status != 'missing'`);
  return { where: `WHERE ${where.join(' AND ')}`, params };
}

export class PhotoCountsTable {
  constructor(private readonly db: DB) {}

  /** Each folder's counts by status, by folder id. */
  byFolder(): Map<number, StatusCounts> {
    const rows = this.db.prepare(`SELECT folder_id AS id, ${STATUS_SUMS} FROM photo_counts GROUP BY folder_id`).all() as Array<
      StatusCounts & { id: number }
    >;
    return new Map(rows.map(({ id, ...c }) => [id, c]));
  }

  /** A folder's directories that hold photos (absolute, ending in `sep`) with their own photos' counts. */
  dirs(folderId: number): Array<StatusCounts & { dir: string }> {
    const rows = this.db.prepare(`SELECT dir, ${STATUS_SUMS} FROM photo_counts WHERE folder_id = ? GROUP BY dir`).all(folderId) as Array<
      StatusCounts & { dir: string }
    >;
    const merged = new Map<string, StatusCounts & { dir: string }>();
    for (const r of rows) {
      const dir = r.dir.slice(0, r.dir.lastIndexOf(sep) + 1);
      const m = merged.get(dir);
      if (!m) merged.set(dir, { ...r, dir });
      else for (const k of ['photoCount', 'captionedCount', 'pendingCount', 'errorCount'] as const) m[k] += r[k];
    }
    return [...merged.values()];
  }

  /** How many photos `scope` covers. */
  total(scope: CountScope): number {
    const { where, params } = scopeWhere(scope);
    return (this.db.prepare(`SELECT coalesce(sum(n), 0) AS n FROM photo_counts ${where}`).get(params) as { n: number }).n;
  }

  /** How many photos of `scope` each month holds, oldest first (months without a date left out). */
  months(scope: CountScope): Array<{ month: string; count: number }> {
    const { where, params } = scopeWhere(scope);
    return this.db
      .prepare(`SELECT month, sum(n) AS count FROM photo_counts ${where} AND month != '' GROUP BY month HAVING count > 0 ORDER BY month`)
      .all(params) as Array<{ month: string; count: number }>;
  }
}
