/**
 * Reading the photos table as the API shows it: pages, details, counts, errors, export rows,
 * and the few status changes outside ingest (captioned, failed, retried). Writing rows for
 * files found on disk is PhotoWriter's (ingest.ts); captions are CaptionStore's.
 */
import { relative, sep } from 'node:path';
import type { CaptionEntry, PhotoDetail, PhotoPage, PhotoSummary, PhotoTag } from '../../shared/api-contract.js';
import type { DB } from './db.js';
import { PhotoCountsTable } from './photo-counts.js';
import { photoHasTag, type PhotoFilter } from './tags.js';

export interface PhotoRow {
  id: number;
  folder_id: number;
  folder_path: string;
  path: string;
  name: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  width: number | null;
  height: number | null;
  taken_at: number | null;
  status: PhotoSummary['status'];
  error_kind: string | null;
  error: string | null;
  thumb: string | null;
  caption: string | null;
  caption_source: string | null;
  caption_id: number | null;
}

export interface ExportRow {
  path: string;
  folder: string;
  caption: string | null;
  source: string | null;
  userCaption: string | null;
  modelCaption: string | null;
  status: string;
  error: string | null;
  takenAt: string | null;
  width: number | null;
  height: number | null;
  hash: string | null;
  /** Filled in by the Library from the tags store (photos.ts reads no tags). */
  tags?: PhotoTag[];
}

export interface PhotoCounts {
  total: number;
  pending: number;
  captioned: number;
  error: number;
  missing: number;
  userCaptioned: number;
}

export interface PhotoListOptions {
  folderId?: number;
  /** Only photos whose path starts with this (a subfolder's tree: its absolute path and a separator). */
  pathPrefix?: string;
  status?: PhotoSummary['status'];
  /** Only photos showing the user's caption (typed or imported) or the model's (its own or a picked alternative). */
  captionBy?: 'user' | 'model';
  /** Only photos with this tag (any case; tags.ts). */
  tag?: string;
  sort?: 'path' | 'taken' | 'added' | 'name';
  /** Taken (the file's date without EXIF) at or after / at or before these times, ms since the epoch. */
  from?: number;
  to?: number;
  offset?: number;
  limit?: number;
}

const PHOTO_COLUMNS = `p.id, p.folder_id, f.path AS folder_path, p.path, p.name, p.size, p.mtime_ms, p.hash, p.width, p.height,
  p.taken_at, p.status, p.error_kind, p.error, p.thumb, p.caption, p.caption_source, p.caption_id`;
const SELECT_PHOTOS = `SELECT ${PHOTO_COLUMNS} FROM photos p JOIN folders f ON f.id = p.folder_id`;

/** Photos whose path starts with `prefix` (a subfolder's tree): the grid's condition, and search's. */
export function pathPrefixFilter(prefix: string): PhotoFilter {
  return { sql: 'substr(p.path, 1, @prefixLength) = @pathPrefix', params: { pathPrefix: prefix, prefixLength: prefix.length } };
}

export function toIso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

export function toSummary(r: PhotoRow): PhotoSummary {
  return {
    id: r.id,
    folderId: r.folder_id,
    relPath: relative(r.folder_path, r.path).split(sep).join('/'),
    name: r.name,
    status: r.status,
    caption: r.caption,
    captionSource: r.caption_source,
    thumb: r.thumb,
    width: r.width,
    height: r.height,
  };
}

export function toDetail(r: PhotoRow, history: CaptionEntry[], tags: PhotoTag[]): PhotoDetail {
  const shown = history.find((c) => c.id === r.caption_id);
  return {
    ...toSummary(r),
    path: r.path,
    size: r.size,
    mtime: toIso(r.mtime_ms) ?? new Date(0).toISOString(),
    takenAt: toIso(r.taken_at),
    error: r.error ? (r.error_kind ? `${r.error_kind}: ${r.error}` : r.error) : null,
    history,
    captionId: shown?.id ?? null,
    captionKind: shown?.kind ?? null,
    captionImportedFrom: shown?.importedFrom ?? null,
    tags,
  };
}

/** Folder order's key, term for term as its index (migration 10): a folder's photos, then its subfolders' trees. */
export const FOLDER_ORDER = `replace(replace(substr(p.path, 1, length(p.path) - length(p.name) - 1), '/', char(2)), '\\', char(2)) || char(1) || p.name, p.id`;

/** page()'s WHERE clause, its parameters and its order. */
function listQuery(opts: PhotoListOptions): { where: string; params: Record<string, unknown>; order: string } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (opts.folderId !== undefined) {
    where.push('p.folder_id = @folderId');
    params.folderId = opts.folderId;
  }
  for (const f of [opts.pathPrefix ? pathPrefixFilter(opts.pathPrefix) : null, opts.tag !== undefined ? photoHasTag(opts.tag) : null]) {
    if (!f) continue;
    where.push(f.sql);
    Object.assign(params, f.params);
  }
  // The same date as the 'taken' order and its index: EXIF's, else the file's.
  if (opts.from !== undefined) {
    where.push('coalesce(p.taken_at, p.mtime_ms) >= @from');
    params.from = opts.from;
  }
  if (opts.to !== undefined) {
    where.push('coalesce(p.taken_at, p.mtime_ms) <= @to');
    params.to = opts.to;
  }
  if (opts.status) {
    where.push('p.status = @status');
    params.status = opts.status;
  } else where.push(`p.status != 'missing'`);
  if (opts.captionBy) {
    // The same split as the library's userCaptioned count: an alternative is the model's words.
    const users = `SELECT 1 FROM captions c WHERE c.id = p.caption_id AND c.is_user = 1 AND c.kind != 'alternative'`;
    where.push(opts.captionBy === 'user' ? `EXISTS (${users})` : `p.caption_id IS NOT NULL AND NOT EXISTS (${users})`);
  }
  // Each order matches an index (migrations 1 and 9) term for term.
  const order = {
    path: FOLDER_ORDER,
    taken: 'coalesce(p.taken_at, p.mtime_ms) DESC, p.id',
    added: 'p.id DESC',
    name: 'p.name COLLATE NOCASE, p.path',
  }[opts.sort ?? 'path'];
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params, order };
}

/** Whether the counts table (photo-counts.ts) answers how many photos a list holds: no filter it does not key on. */
function countable(opts: Omit<PhotoListOptions, 'offset' | 'limit' | 'sort'>): boolean {
  return opts.tag === undefined && !opts.captionBy && opts.from === undefined && opts.to === undefined;
}

export class PhotoStore {
  private readonly countsTable: PhotoCountsTable;

  constructor(private readonly db: DB) {
    this.countsTable = new PhotoCountsTable(db);
  }

  row(id: number): PhotoRow | undefined {
    return this.db.prepare(`${SELECT_PHOTOS} WHERE p.id = ?`).get(id) as PhotoRow | undefined;
  }

  /** rows()' statement, prepared once: every search page runs it. */
  private rowsStmt: ReturnType<DB['prepare']> | null = null;

  /** The rows of these photos, by id (ids not in the library are left out). */
  rows(ids: number[]): Map<number, PhotoRow> {
    const out = new Map<number, PhotoRow>();
    if (!ids.length) return out;
    this.rowsStmt ??= this.db.prepare(`${SELECT_PHOTOS} WHERE p.id IN (SELECT value FROM json_each(?))`);
    const found = this.rowsStmt.all(JSON.stringify(ids)) as PhotoRow[];
    for (const r of found) out.set(r.id, r);
    return out;
  }

  page(opts: PhotoListOptions): PhotoPage {
    const { where, params, order } = listQuery(opts);
    const limit = Math.max(1, Math.min(10_000, opts.limit ?? 200));
    const offset = Math.max(0, opts.offset ?? 0);
    const total = countable(opts)
      ? this.countsTable.total(opts)
      : (this.db.prepare(`SELECT count(*) AS n FROM photos p ${where}`).get(params) as { n: number }).n;
    // The page's ids first, from the order's index alone (it holds status: migration 14), then
    // only their rows: OFFSET would otherwise read every skipped photo and its folder.
    const rows = this.db
      .prepare(
        `SELECT ${PHOTO_COLUMNS} FROM (SELECT p.id FROM photos p ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset) page
         CROSS JOIN photos p ON p.id = page.id JOIN folders f ON f.id = p.folder_id ORDER BY ${order}`,
      )
      .all({ ...params, limit, offset }) as PhotoRow[];
    return { total, offset, items: rows.map(toSummary) };
  }

  /** How many of page()'s photos were taken in each month (UTC, 'YYYY-MM'), oldest first: the timeline above the grid. */
  months(opts: Omit<PhotoListOptions, 'offset' | 'limit' | 'sort' | 'from' | 'to'>): Array<{ month: string; count: number }> {
    if (countable(opts)) return this.countsTable.months(opts);
    const { where, params } = listQuery(opts);
    return this.db
      .prepare(
        `SELECT strftime('%Y-%m', coalesce(p.taken_at, p.mtime_ms) / 1000, 'unixepoch') AS month, count(*) AS count
         FROM photos p ${where} GROUP BY month HAVING month IS NOT NULL ORDER BY month`,
      )
      .all(params) as Array<{ month: string; count: number }>;
  }

  /** Every id of page()'s list, in its order (selecting all of a list, or a range of it, in the grid). */
  ids(opts: Omit<PhotoListOptions, 'offset' | 'limit'>, max: number): number[] {
    const { where, params, order } = listQuery(opts);
    return this.db
      .prepare(`SELECT p.id FROM photos p ${where} ORDER BY ${order} LIMIT @max`)
      .pluck()
      .all({ ...params, max }) as number[];
  }

  path(id: number): string | null {
    return (this.db.prepare('SELECT path FROM photos WHERE id = ?').get(id) as { path: string } | undefined)?.path ?? null;
  }

  /** Whether folder `folderId` holds a photo row for the file at `path` (a missing file's row too: the media routes check the disk). */
  isIndexed(folderId: number, path: string): boolean {
    return this.db.prepare('SELECT 1 FROM photos WHERE path = ? AND folder_id = ?').get(path, folderId) !== undefined;
  }

  /**
   * Whether `name` is some photo's thumbnail file. Thumbnails are named `<content hash>.webp`, so
   * the hash index answers for them; any other name is looked for row by row.
   */
  isThumbnail(name: string): boolean {
    const hash = name.endsWith('.webp') ? name.slice(0, -'.webp'.length) : null;
    if (hash && this.db.prepare('SELECT 1 FROM photos WHERE hash = ? AND thumb = ?').get(hash, name) !== undefined) return true;
    return this.db.prepare('SELECT 1 FROM photos WHERE thumb = ? LIMIT 1').get(name) !== undefined;
  }

  /** The caption shown for a photo now (the triggers on captions keep it). */
  shownCaption(id: number): string | null {
    return (this.db.prepare('SELECT caption FROM photos WHERE id = ?').get(id) as { caption: string | null }).caption;
  }

  /** Paths of the photos of a folder under `prefix` whose file was there last time. */
  presentUnder(folderId: number, prefix: string): IterableIterator<string> {
    return this.db
      .prepare(`SELECT path FROM photos WHERE folder_id = ? AND status != 'missing' AND substr(path, 1, ?) = ?`)
      .pluck()
      .iterate(folderId, prefix.length, prefix) as IterableIterator<string>;
  }

  /** Present photos whose path starts with `prefix` (a range on the path index: up to `end`, exclusive). */
  presentInRange(prefix: string, end: string): string[] {
    return this.db
      .prepare(`SELECT path FROM photos WHERE path >= ? AND path < ? AND status != 'missing'`)
      .pluck()
      .all(prefix, end) as string[];
  }

  /** Present photos (pending or captioned) that have no user caption, by id. */
  withoutUserCaption(): number[] {
    return this.db
      .prepare(
        `SELECT p.id FROM photos p WHERE p.status IN ('pending', 'captioned') AND NOT EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1) ORDER BY p.id`,
      )
      .pluck()
      .all() as number[];
  }

  countPresent(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM photos WHERE status != 'missing'`).get() as { n: number }).n;
  }

  counts(): PhotoCounts {
    return this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE status != 'missing') AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'captioned') AS captioned, count(*) FILTER (WHERE status = 'error') AS error,
           count(*) FILTER (WHERE status = 'missing') AS missing,
           count(*) FILTER (WHERE caption_source IS NOT NULL AND caption_id IN (SELECT id FROM captions WHERE is_user = 1 AND kind != 'alternative')) AS userCaptioned
         FROM photos`,
      )
      .get() as PhotoCounts;
  }

  /** Photos in status 'error', counted per error kind (optionally within some photos). */
  errorsByKind(photoIds?: number[]): Record<string, number> {
    const head = `SELECT coalesce(error_kind, 'unknown') AS kind, count(*) AS n FROM photos WHERE status = 'error'`;
    const tail = 'GROUP BY 1 ORDER BY 2 DESC';
    const rows = (
      photoIds
        ? this.db.prepare(`${head} AND id IN (SELECT value FROM json_each(?)) ${tail}`).all(JSON.stringify(photoIds))
        : this.db.prepare(`${head} ${tail}`).all()
    ) as Array<{ kind: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  /**
   * Every photo (not missing) with its shown, newest user and newest model caption. A model
   * alternative the user picked travels as the model's caption (it is the model's words), ahead of the model's own.
   */
  *exportRows(): Generator<ExportRow> {
    const stmt = this.db.prepare(
      `SELECT p.path, f.path AS folder, p.caption, p.caption_source, p.status, p.error_kind, p.error, p.taken_at, p.width, p.height, p.hash,
         (SELECT iif(c.kind = 'alternative', NULL, c.text) FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1 ORDER BY c.id DESC LIMIT 1) AS user_caption,
         (SELECT text FROM captions c WHERE c.photo_id = p.id AND (c.is_user = 0 OR c.kind = 'alternative') ORDER BY c.is_user DESC, c.id DESC LIMIT 1) AS model_caption
       FROM photos p JOIN folders f ON f.id = p.folder_id WHERE p.status != 'missing' ORDER BY p.path`,
    );
    for (const r of stmt.iterate() as IterableIterator<Record<string, unknown>>) {
      yield {
        path: r.path as string,
        folder: r.folder as string,
        caption: r.caption as string | null,
        source: r.caption_source as string | null,
        userCaption: r.user_caption as string | null,
        modelCaption: r.model_caption as string | null,
        status: r.status as string,
        error: r.error ? `${r.error_kind ?? 'error'}: ${r.error}` : null,
        takenAt: toIso(r.taken_at as number | null),
        width: r.width as number | null,
        height: r.height as number | null,
        hash: r.hash as string | null,
      };
    }
  }

  /** An errored photo goes back to pending (before it is read again). */
  clearError(id: number): void {
    this.db.prepare(`UPDATE photos SET status = 'pending', error = NULL, error_kind = NULL WHERE id = ? AND status = 'error'`).run(id);
  }

  markCaptioned(id: number, thumb: string | null, now: number): void {
    this.db
      .prepare(
        `UPDATE photos SET status = 'captioned', error_kind = NULL, error = NULL, thumb = ?, updated_at = ? WHERE id = ? AND status != 'missing'`,
      )
      .run(thumb, now, id);
  }

  markFailed(id: number, kind: string, message: string, now: number): void {
    this.db
      .prepare(`UPDATE photos SET status = 'error', error_kind = ?, error = ?, updated_at = ? WHERE id = ?`)
      .run(kind, message, now, id);
  }
}
