/**
 * Reading what can still be read from a damaged library.db and merging it into another library
 * database (a backup being restored, or a new one): folders and photos by path, the caption
 * history, tags, the kept captions and tags of removed folders, settings, models, the metadata
 * ledger and cached features. Rows are read in ranges of their key; a range that hits a damaged
 * page is read again row by row, so one bad page costs only the rows on it.
 */
import { isCorruption } from './db-health.js';
import type { DB } from './db.js';

type Row = Record<string, unknown>;

/** Rows per range read; a damaged range is read again one key at a time. */
const RANGE = 500;
/** When even max(key) cannot be read: probe keys up to this. */
const KEY_CEILING = 1 << 22;

export interface Salvaged {
  rows: Row[];
  /** Keys (or, for scans, reads) that hit damage. */
  unreadable: number;
}

/** A table's readable rows, by ranges of an integer key (`id`, or `photo_id` of tags). */
export function readByKey(db: DB, table: string, key: string): Salvaged {
  let max: number;
  try {
    max = ((db.prepare(`SELECT max(${key}) AS m FROM ${table}`).get() as { m: number | null }).m ?? 0) as number;
  } catch (err) {
    if (!isCorruption(err)) throw err;
    max = KEY_CEILING;
  }
  const range = db.prepare(`SELECT * FROM ${table} WHERE ${key} BETWEEN ? AND ? ORDER BY ${key}`);
  const one = db.prepare(`SELECT * FROM ${table} WHERE ${key} = ?`);
  const rows: Row[] = [];
  let unreadable = 0;
  for (let lo = 0; lo <= max; lo += RANGE) {
    try {
      rows.push(...(range.all(lo, lo + RANGE - 1) as Row[]));
    } catch (err) {
      if (!isCorruption(err)) throw err;
      for (let k = lo; k < lo + RANGE && k <= max; k++) {
        try {
          rows.push(...(one.all(k) as Row[]));
        } catch (e) {
          if (!isCorruption(e)) throw e;
          unreadable++;
        }
      }
    }
  }
  return { rows, unreadable };
}

/** A table's rows in storage order, up to the first damaged page (small tables and caches). */
export function readScan(db: DB, table: string): Salvaged {
  const rows: Row[] = [];
  try {
    for (const r of db.prepare(`SELECT * FROM ${table}`).iterate()) rows.push(r as Row);
    return { rows, unreadable: 0 };
  } catch (err) {
    if (!isCorruption(err) && !/no such table/.test((err as Error).message)) throw err;
    return { rows, unreadable: 1 };
  }
}

function columnsOf(db: DB, table: string): Set<string> {
  return new Set(db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]);
}

/** INSERT [OR verb] of a row's columns that the target table has (less `omit`); the new rowid. */
function insert(db: DB, table: string, row: Row, opts: { verb?: 'OR IGNORE' | 'OR REPLACE'; omit?: string[] } = {}): number {
  const have = columnsOf(db, table);
  const cols = Object.keys(row).filter((c) => have.has(c) && !opts.omit?.includes(c));
  const sql = `INSERT ${opts.verb ?? ''} INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
  const r = db.prepare(sql).run(...cols.map((c) => row[c] as never));
  return r.changes ? Number(r.lastInsertRowid) : 0;
}

export interface MergeCounts {
  folders: number;
  photos: number;
  photosUpdated: number;
  userCaptions: number;
  modelCaptions: number;
  userTags: number;
  kept: number;
  /** Your captions and tags read from the damaged file whose photo could not be placed. */
  unplaced: number;
  /** Rows that could not be read at all, by table. */
  unreadable: Record<string, number>;
}

/** The photo columns a newer row of the damaged file brings over (not the shown caption: triggers keep it). */
const PHOTO_STATE = ['size', 'mtime_ms', 'hash', 'width', 'height', 'format', 'taken_at', 'orientation', 'gps_lat', 'gps_lon'];
const PHOTO_STATUS = ['status', 'error_kind', 'error', 'thumb', 'updated_at'];

/** Folders by path, then photos by path: the damaged file's ids mapped to the target's. */
function mergePhotos(source: DB, target: DB, counts: MergeCounts): Map<number, number> {
  const folders = readScan(source, 'folders');
  counts.unreadable.folders = folders.unreadable;
  const folderByPath = new Map(
    (target.prepare('SELECT id, path FROM folders').all() as Array<{ id: number; path: string }>).map((f) => [f.path, f.id]),
  );
  const folderOf = new Map<number, number>();
  for (const f of folders.rows) {
    let id = folderByPath.get(f.path as string);
    if (id === undefined) {
      id = insert(target, 'folders', f, { omit: ['id'] });
      folderByPath.set(f.path as string, id);
      counts.folders++;
    }
    folderOf.set(f.id as number, id);
  }
  const inFolder = (path: string) =>
    [...folderByPath].filter(([p]) => path.startsWith(p)).sort((a, b) => b[0].length - a[0].length)[0]?.[1];
  const photos = readByKey(source, 'photos', 'id');
  counts.unreadable.photos = photos.unreadable;
  const existing = target.prepare('SELECT id, updated_at FROM photos WHERE path = ?');
  const photoOf = new Map<number, number>();
  for (const p of photos.rows) {
    const now = existing.get(p.path) as { id: number; updated_at: number } | undefined;
    if (now) {
      photoOf.set(p.id as number, now.id);
      if ((p.updated_at as number) <= now.updated_at) continue;
      const cols = [...PHOTO_STATE, ...PHOTO_STATUS];
      target
        .prepare(`UPDATE photos SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`)
        .run(...cols.map((c) => p[c] as never), now.id);
      counts.photosUpdated++;
      continue;
    }
    const folderId = folderOf.get(p.folder_id as number) ?? inFolder(p.path as string);
    if (folderId === undefined) continue;
    const id = insert(
      target,
      'photos',
      { ...p, folder_id: folderId },
      { omit: ['id', 'caption_id', 'caption', 'caption_source', 'fts_key'] },
    );
    photoOf.set(p.id as number, id);
    counts.photos++;
  }
  return photoOf;
}

/** The caption history: rows the target does not have (same photo, text, source and time), oldest first. */
function mergeCaptions(source: DB, target: DB, photoOf: Map<number, number>, counts: MergeCounts): void {
  const captions = readByKey(source, 'captions', 'id');
  counts.unreadable.captions = captions.unreadable;
  const have = target.prepare('SELECT 1 FROM captions WHERE photo_id = ? AND text = ? AND source = ? AND created_at = ?');
  for (const c of captions.rows) {
    const photoId = photoOf.get(c.photo_id as number);
    const theirs = c.kind !== undefined ? c.kind !== 'model' : c.is_user === 1;
    if (photoId === undefined) {
      if (theirs) counts.unplaced++;
      continue;
    }
    if (have.get(photoId, c.text, c.source, c.created_at)) continue;
    insert(target, 'captions', { ...c, photo_id: photoId }, { omit: ['id'] });
    if (theirs) counts.userCaptions++;
    else counts.modelCaptions++;
  }
}

/** Tags: the user's own and removed ones replace the target's; the model's fill in. */
function mergeTags(source: DB, target: DB, photoOf: Map<number, number>, counts: MergeCounts): void {
  const tags = readByKey(source, 'tags', 'photo_id');
  counts.unreadable.tags = tags.unreadable;
  for (const t of tags.rows) {
    const photoId = photoOf.get(t.photo_id as number);
    const theirs = t.kind !== 'model';
    if (photoId === undefined) {
      if (theirs) counts.unplaced++;
      continue;
    }
    if (insert(target, 'tags', { ...t, photo_id: photoId }, { verb: theirs ? 'OR REPLACE' : 'OR IGNORE' }) && theirs) counts.userTags++;
  }
}

/** Rows matched on content (kept captions and tags, by path and time), settings, models, ledger, features. */
function mergeTheRest(source: DB, target: DB, counts: MergeCounts): void {
  for (const [table, match] of [
    ['kept_captions', 'path = ? AND caption = ? AND removed_at = ?'],
    ['kept_tags', 'path = ? AND tag = ? AND kind = ? AND removed_at = ?'],
  ] as const) {
    const got = readByKey(source, table, 'id');
    counts.unreadable[table] = got.unreadable;
    const keys = match.split(' AND ').map((c) => c.split(' ')[0]);
    const have = target.prepare(`SELECT 1 FROM ${table} WHERE ${match}`);
    for (const r of got.rows) {
      if (have.get(...keys.map((k) => r[k] as never))) continue;
      insert(target, table, r, { omit: ['id'] });
      counts.kept++;
    }
  }
  for (const [table, verb] of [
    ['settings', 'OR REPLACE'],
    ['models', 'OR IGNORE'],
    ['metadata_ledger', 'OR REPLACE'],
    ['features', 'OR IGNORE'],
  ] as const) {
    const got = readScan(source, table);
    counts.unreadable[table] = got.unreadable;
    for (const r of got.rows) insert(target, table, table === 'models' ? { ...r, active: 0 } : r, { verb });
  }
  const active = readScan(source, 'models').rows.find((m) => m.active === 1);
  if (active && target.prepare('SELECT 1 FROM models WHERE id = ?').get(active.id)) {
    target.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
    target.prepare('UPDATE models SET active = 1 WHERE id = ?').run(active.id);
  }
}

/**
 * Merge every readable row of `source` (damaged) into `target`, in one transaction. Jobs are not
 * carried over: the target's stay as they were (unfinished ones resume at the next start, a
 * re-captioning after an activation included), and photos left without a caption are pending again.
 */
export function mergeReadable(source: DB, target: DB): MergeCounts {
  const counts: MergeCounts = {
    folders: 0,
    photos: 0,
    photosUpdated: 0,
    userCaptions: 0,
    modelCaptions: 0,
    userTags: 0,
    kept: 0,
    unplaced: 0,
    unreadable: {},
  };
  target.transaction(() => {
    const restoredIds = target.prepare('SELECT id FROM photos').pluck().all() as number[];
    const photoOf = mergePhotos(source, target, counts);
    // A photo whose row is unreadable in the damaged file but is in the restored backup keeps its id
    // there (the backup is the same database, earlier), unless a readable row now claims that id.
    const claimed = new Set(photoOf.values());
    for (const id of restoredIds) if (!photoOf.has(id) && !claimed.has(id)) photoOf.set(id, id);
    mergeCaptions(source, target, photoOf, counts);
    mergeTags(source, target, photoOf, counts);
    mergeTheRest(source, target, counts);
    target.prepare(`UPDATE photos SET status = 'pending' WHERE status = 'captioned' AND caption_id IS NULL`).run();
  })();
  return counts;
}
