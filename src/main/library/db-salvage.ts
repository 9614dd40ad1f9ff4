/**
 * Reading what can still be read from a damaged library.db and merging it into another library
 * database (a backup being restored, or a new one): folders and photos by path, the caption
 * history, tags, the kept captions and tags of removed folders, settings, models, the metadata
 * ledger and cached features. A table is walked in key order until a damaged page stops the walk;
 * the next readable key is found by galloping and bisection (a few dozen b-tree seeks, whatever the
 * keys), so one bad page costs only the rows on it and the time spent is proportional to what is there.
 */
import { isCorruption } from './db-health.js';
import type { DB } from './db.js';

type Row = Record<string, unknown>;

export interface Salvaged {
  rows: Row[];
  /** Rows known to exist (an index lists their keys) that could not be read. */
  unreadable: number;
  /** Damage was met where no index says how many rows were lost: there may be more than `unreadable`. */
  uncounted: boolean;
}

/** Runs `read`; false when it met a damaged page (what it collected before that stays collected). */
function tolerate(read: () => void): boolean {
  try {
    read();
    return true;
  } catch (err) {
    if (!isCorruption(err)) throw err;
    return false;
  }
}

/**
 * The rowids an index of `table` lists, read from the index alone (every index of a rowid table holds
 * them): which rows exist, though their table pages are damaged. Null when no index could be read whole.
 */
function indexedKeys(db: DB, table: string, key: string): Set<number> | null {
  const indexes = db.prepare(`SELECT name FROM pragma_index_list(?) WHERE partial = 0`).pluck().all(table) as string[];
  let best: Set<number> | null = null;
  for (const index of indexes) {
    const keys = new Set<number>();
    let whole: boolean;
    try {
      whole = tolerate(() => {
        for (const k of db.prepare(`SELECT ${key} FROM ${table} INDEXED BY "${index}"`).pluck().iterate()) keys.add(k as number);
      });
    } catch (err) {
      if (/no query solution/.test((err as Error).message)) continue; // an index SQLite will not scan on its own
      throw err;
    }
    if (whole && (!best || keys.size > best.size)) best = keys;
  }
  return best;
}

/**
 * The smallest x past `x0` from which the b-tree seek works, or null: gallop (x0 + 1, 2, 4, …; a seek
 * costs a few page reads, and a cut-off tail fails every one, ~53 up to 2^53), then bisect back.
 * `tryX0`: x0 itself may work (a composite key, whose rows past x0's first column were not tried).
 */
function nextReadable(seeks: (x: number) => boolean, x0: number, tryX0: boolean): number | null {
  let bad = x0 - 1;
  let good: number | null = null;
  for (let step = tryX0 ? 0 : 1; x0 + step <= Number.MAX_SAFE_INTEGER; step = step ? step * 2 : 1) {
    if (seeks(x0 + step)) {
      good = x0 + step;
      break;
    }
    bad = x0 + step;
  }
  if (good === null) return null;
  while (good - bad > 1) {
    const mid: number = bad + Math.floor((good - bad) / 2);
    if (seeks(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/**
 * A table's readable rows in the order of its key: `id` (the rowid), or tags' (photo_id, tag), whose
 * first column is an integer. Rows on damaged pages are skipped; rows an index lists that the walk
 * skipped are tried one by one, and those that stay unreadable are counted.
 */
export function readByKey(db: DB, table: string, key: string | string[]): Salvaged {
  const cols = typeof key === 'string' ? [key] : key;
  const first = cols[0]!;
  const walk = db.prepare(`SELECT * FROM ${table} WHERE ${first} > ? ORDER BY ${cols.join(', ')}`);
  const probe = db.prepare(`SELECT * FROM ${table} WHERE ${first} > ? ORDER BY ${cols.join(', ')} LIMIT 1`);
  /** Do the b-tree seek to the first row past `x`, and reading that row, work? */
  const seeks = (x: number) => tolerate(() => probe.get(x));
  const rows: Row[] = [];
  let damaged = false;
  // The keys Lenscribe gives start at 1.
  let past = -1;
  for (;;) {
    let last: Row | undefined;
    try {
      for (const r of walk.iterate(past)) rows.push((last = r as Row));
      break;
    } catch (err) {
      if (!isCorruption(err)) throw err;
    }
    // What follows `last` is on a damaged page: go on from the next key whose seek works.
    damaged = true;
    const next = nextReadable(seeks, last ? (last[first] as number) : past, cols.length > 1 && last !== undefined);
    if (next === null) break;
    past = next;
  }
  if (!damaged || cols.length > 1) return { rows, unreadable: 0, uncounted: damaged };
  // Rows that the index lists and the walk did not read: on readable pages the gallop stepped over, or lost.
  const listed = indexedKeys(db, table, first);
  if (!listed) return { rows, unreadable: 0, uncounted: true };
  const read = new Set(rows.map((r) => r[first] as number));
  const one = db.prepare(`SELECT * FROM ${table} WHERE ${first} = ?`);
  let unreadable = 0;
  for (const k of listed) {
    if (read.has(k)) continue;
    if (!tolerate(() => rows.push(...(one.all(k) as Row[])))) unreadable++;
  }
  rows.sort((a, b) => (a[first] as number) - (b[first] as number));
  return { rows, unreadable, uncounted: false };
}

/** A table's rows in storage order, up to the first damaged page (small tables and caches). */
export function readScan(db: DB, table: string): Salvaged {
  const rows: Row[] = [];
  try {
    for (const r of db.prepare(`SELECT * FROM ${table}`).iterate()) rows.push(r as Row);
    return { rows, unreadable: 0, uncounted: false };
  } catch (err) {
    // An older library without the table has lost nothing.
    if (/no such table/.test((err as Error).message)) return { rows, unreadable: 0, uncounted: false };
    if (!isCorruption(err)) throw err;
    return { rows, unreadable: 0, uncounted: true };
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
  /** Of `userCaptions`, those read from a photo's row (the caption it shows) because their history row is unreadable. */
  userCaptionsFromPhotos: number;
  /** Rows that could not be read at all, by table (those an index still lists). */
  unreadable: Record<string, number>;
  /** Tables where damage was met that no index could count: more rows than `unreadable` says may be lost. */
  uncounted: string[];
}

function note(counts: MergeCounts, table: string, got: Salvaged): void {
  counts.unreadable[table] = got.unreadable;
  if (got.uncounted) counts.uncounted.push(table);
}

/** The photo columns a newer row of the damaged file brings over (not the shown caption: triggers keep it). */
const PHOTO_STATE = ['size', 'mtime_ms', 'hash', 'width', 'height', 'format', 'taken_at', 'orientation', 'gps_lat', 'gps_lon'];
const PHOTO_STATUS = ['status', 'error_kind', 'error', 'thumb', 'updated_at'];

/** Folders by path, then photos by path: the damaged file's ids mapped to the target's, and the photo rows read. */
function mergePhotos(source: DB, target: DB, counts: MergeCounts): { photoOf: Map<number, number>; rows: Row[] } {
  const folders = readScan(source, 'folders');
  note(counts, 'folders', folders);
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
  note(counts, 'photos', photos);
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
  return { photoOf, rows: photos.rows };
}

/**
 * A photo row of the damaged file that shows a caption the user gave, which the merged history does
 * not show: its history row is on a damaged page (the newest rows are on the last page, the first a
 * cut-off file loses), but the photo row still holds the words. They go back into the history as the
 * newest of the photo's captions, so they are shown again. When they were written is lost with the row:
 * the photo's last change or its newest caption, whichever is later, stands for it.
 */
function keepShownUserCaptions(target: DB, photos: Row[], photoOf: Map<number, number>, counts: MergeCounts): void {
  const shown = target.prepare('SELECT caption, caption_source AS source FROM photos WHERE id = ?');
  const newest = target.prepare('SELECT max(created_at) FROM captions WHERE photo_id = ?').pluck();
  for (const p of photos) {
    const source = p.caption_source as string | null;
    if (p.caption == null || !(source === 'user' || source?.startsWith('import:'))) continue;
    const photoId = photoOf.get(p.id as number);
    if (photoId === undefined) continue;
    const now = shown.get(photoId) as { caption: string | null; source: string | null };
    if (now.caption === p.caption && now.source === source) continue;
    const createdAt = Math.max(p.updated_at as number, (newest.get(photoId) as number | null) ?? 0);
    const kind = source === 'user' ? 'user' : 'imported';
    insert(target, 'captions', { photo_id: photoId, text: p.caption, source, kind, is_user: 1, created_at: createdAt });
    counts.userCaptions++;
    counts.userCaptionsFromPhotos++;
  }
}

/** The caption history: rows the target does not have (same photo, text, source and time), oldest first. */
function mergeCaptions(source: DB, target: DB, photoOf: Map<number, number>, counts: MergeCounts): void {
  const captions = readByKey(source, 'captions', 'id');
  note(counts, 'captions', captions);
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
  const tags = readByKey(source, 'tags', ['photo_id', 'tag']);
  note(counts, 'tags', tags);
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
    note(counts, table, got);
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
    note(counts, table, got);
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
    userCaptionsFromPhotos: 0,
    unreadable: {},
    uncounted: [],
  };
  target.transaction(() => {
    const restoredIds = target.prepare('SELECT id FROM photos').pluck().all() as number[];
    const { photoOf, rows: photos } = mergePhotos(source, target, counts);
    // A photo whose row is unreadable in the damaged file but is in the restored backup keeps its id
    // there (the backup is the same database, earlier), unless a readable row now claims that id.
    const claimed = new Set(photoOf.values());
    for (const id of restoredIds) if (!photoOf.has(id) && !claimed.has(id)) photoOf.set(id, id);
    mergeCaptions(source, target, photoOf, counts);
    keepShownUserCaptions(target, photos, photoOf, counts);
    mergeTags(source, target, photoOf, counts);
    mergeTheRest(source, target, counts);
    target.prepare(`UPDATE photos SET status = 'pending' WHERE status = 'captioned' AND caption_id IS NULL`).run();
  })();
  return counts;
}
