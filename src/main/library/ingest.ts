/**
 * Bringing one file on disk into the library: hash it (streamed), check its bytes are an
 * image, read its header size and EXIF, and insert or update its row. A file whose content
 * matches a photo that is gone from its old path is a move: that row (and every caption the
 * user wrote for it) follows the file.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp from 'sharp';
import type { DB } from './db.js';
import { readExif } from './exif.js';
import { describeNonImage, sniffFormat } from './formats.js';
import { hashFile } from './hash.js';
import type { PhotoErrorKind } from '../../inference/encoder/errors.js';

/** Decoded-pixel limit: larger images are refused as decompression bombs (same as the encoder's default). */
export const MAX_PIXELS = 100_000_000;

/** The encoder's kinds, plus `not-image` (a photo extension on other content) and `internal`. */
export type FileErrorKind = PhotoErrorKind | 'not-image' | 'internal';

export class FileError extends Error {
  constructor(
    readonly kind: FileErrorKind | string,
    message: string,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

export type IngestOutcome = 'added' | 'updated' | 'unchanged' | 'moved' | 'error';

export interface IngestResult {
  outcome: IngestOutcome;
  photoId: number;
  /** For outcome 'error'. */
  kind?: string;
  message?: string;
  /** For outcome 'error': the same file failed before (same size and time), so it was counted then. */
  again?: boolean;
}

interface PhotoRow {
  id: number;
  folder_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string | null;
  status: string;
  caption_id: number | null;
}

interface Probe {
  hash: string;
  size: number;
  mtimeMs: number;
  width: number | null;
  height: number | null;
  format: string;
  takenAt: number | null;
  orientation: number | null;
  lat: number | null;
  lon: number | null;
}

function fsErrorKind(err: NodeJS.ErrnoException): FileErrorKind {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return 'not-found';
  if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EISDIR' || err.code === 'EIO') return 'unreadable';
  return 'unreadable';
}

/** Everything the library records about a file's content; throws FileError for bad files. */
export async function probeFile(path: string, buffer?: Buffer): Promise<Probe> {
  let st;
  let hashed;
  try {
    st = await stat(path);
    if (!st.isFile()) throw new FileError('unreadable', 'not a regular file');
    hashed = await hashFile(path, buffer);
  } catch (err) {
    if (err instanceof FileError) throw err;
    const e = err as NodeJS.ErrnoException;
    const kind = fsErrorKind(e);
    throw new FileError(kind, kind === 'not-found' ? 'file vanished while it was being read' : `cannot read file: ${e.code ?? e.message}`);
  }
  if (hashed.size === 0) throw new FileError('empty', 'file is empty (0 bytes)');
  const format = sniffFormat(hashed.head);
  if (!format) throw new FileError('not-image', `file has a photo extension but its content is ${describeNonImage(hashed.head)}`);
  let width: number | null = null;
  let height: number | null = null;
  try {
    const meta = await sharp(path, { limitInputPixels: false, failOn: 'none' }).metadata();
    width = meta.width ?? null;
    height = meta.height ?? null;
  } catch (err) {
    const msg = (err as Error).message;
    if (format === 'heif' && /heif|codec|compression format|bad seek|support/i.test(msg)) {
      throw new FileError('unsupported', `this build cannot decode HEIC/HEIF (${msg.split('\n')[0]})`);
    }
    throw new FileError('corrupt', `image header is unreadable: ${msg.split('\n')[0]}`);
  }
  if (width !== null && height !== null && width * height > MAX_PIXELS) {
    throw new FileError(
      'too-large',
      `image is ${width}×${height} pixels, over the ${MAX_PIXELS / 1e6} megapixel limit (possible decompression bomb)`,
    );
  }
  const exif = await readExif(path);
  return {
    hash: hashed.hash,
    size: hashed.size,
    mtimeMs: Math.floor(st.mtimeMs),
    width,
    height,
    format,
    takenAt: exif.takenAt,
    orientation: exif.orientation,
    lat: exif.lat,
    lon: exif.lon,
  };
}

/** A photo that comes back (moved, restored) is captioned if a model captioned it before. */
const RESTORED_STATUS = `(CASE WHEN EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = photos.id AND c.is_user = 0) THEN 'captioned' ELSE 'pending' END)`;

/** Prepared statements for writing photo rows; one per library connection. */
export class PhotoWriter {
  private readonly byPath;
  private readonly insert;
  private readonly updateContent;
  private readonly updateStat;
  private readonly moveRow;
  private readonly setError;
  private readonly insertError;
  private readonly goneWithHash;

  constructor(private readonly db: DB) {
    this.byPath = db.prepare<[string], PhotoRow>(
      'SELECT id, folder_id, path, size, mtime_ms, hash, status, caption_id FROM photos WHERE path = ?',
    );
    this.insert = db.prepare(
      `INSERT INTO photos (folder_id, path, name, size, mtime_ms, hash, width, height, format, taken_at, orientation, gps_lat, gps_lon, status, added_at, updated_at)
       VALUES (@folderId, @path, @name, @size, @mtimeMs, @hash, @width, @height, @format, @takenAt, @orientation, @lat, @lon, 'pending', @now, @now)`,
    );
    this.updateContent = db.prepare(
      `UPDATE photos SET folder_id = @folderId, size = @size, mtime_ms = @mtimeMs, hash = @hash, width = @width, height = @height, format = @format,
         taken_at = @takenAt, orientation = @orientation, gps_lat = @lat, gps_lon = @lon, status = 'pending', error_kind = NULL, error = NULL,
         thumb = NULL, updated_at = @now WHERE id = @id`,
    );
    this.updateStat = db.prepare(
      `UPDATE photos SET folder_id = @folderId, size = @size, mtime_ms = @mtimeMs,
         status = CASE WHEN status IN ('missing', 'error') THEN ${RESTORED_STATUS} ELSE status END,
         error_kind = CASE WHEN status IN ('missing', 'error') THEN NULL ELSE error_kind END,
         error = CASE WHEN status IN ('missing', 'error') THEN NULL ELSE error END,
         updated_at = @now WHERE id = @id`,
    );
    this.moveRow = db.prepare(
      `UPDATE photos SET folder_id = @folderId, path = @path, name = @name, size = @size, mtime_ms = @mtimeMs,
         status = ${RESTORED_STATUS}, error_kind = NULL, error = NULL, updated_at = @now
       WHERE id = @id`,
    );
    this.setError = db.prepare(
      `UPDATE photos SET folder_id = @folderId, size = @size, mtime_ms = @mtimeMs, status = 'error', error_kind = @kind, error = @message, updated_at = @now WHERE id = @id`,
    );
    this.insertError = db.prepare(
      `INSERT INTO photos (folder_id, path, name, size, mtime_ms, status, error_kind, error, added_at, updated_at)
       VALUES (@folderId, @path, @name, @size, @mtimeMs, 'error', @kind, @message, @now, @now)`,
    );
    this.goneWithHash = db.prepare<[string], PhotoRow>(
      `SELECT id, folder_id, path, size, mtime_ms, hash, status, caption_id FROM photos WHERE hash = ? ORDER BY (status = 'missing') DESC, id`,
    );
  }

  get(path: string): PhotoRow | undefined {
    return this.byPath.get(path);
  }

  /** Record a file the scanner or watcher found. `known` size/mtime let unchanged files skip hashing. */
  async ingest(folderId: number, path: string, known?: { size: number; mtimeMs: number }, buffer?: Buffer): Promise<IngestResult> {
    const existing = this.byPath.get(path);
    const now = Date.now();
    if (
      existing &&
      known &&
      existing.status !== 'missing' &&
      existing.status !== 'error' &&
      existing.size === known.size &&
      existing.mtime_ms === known.mtimeMs
    ) {
      if (existing.folder_id !== folderId) this.db.prepare('UPDATE photos SET folder_id = ? WHERE id = ?').run(folderId, existing.id);
      return { outcome: 'unchanged', photoId: existing.id };
    }
    let probe: Probe;
    try {
      probe = await probeFile(path, buffer);
    } catch (err) {
      const fe = err instanceof FileError ? err : new FileError('internal', (err as Error).message);
      const row = this.byPath.get(path);
      const params = {
        folderId,
        path,
        name: basename(path),
        size: known?.size ?? 0,
        mtimeMs: known?.mtimeMs ?? 0,
        kind: fe.kind,
        message: fe.message,
        now,
      };
      if (fe.kind === 'not-found') {
        // Gone before we could read it: nothing to record unless we knew it already.
        if (row) this.db.prepare(`UPDATE photos SET status = 'missing', updated_at = ? WHERE id = ?`).run(now, row.id);
        return { outcome: 'error', photoId: row?.id ?? 0, kind: fe.kind, message: fe.message };
      }
      const again = row?.status === 'error' && row.size === params.size && row.mtime_ms === params.mtimeMs;
      const id = row ? (this.setError.run({ ...params, id: row.id }), row.id) : Number(this.insertError.run(params).lastInsertRowid);
      return { outcome: 'error', photoId: id, kind: fe.kind, message: fe.message, again };
    }
    const params = { folderId, path, name: basename(path), now, ...probe };
    // Re-read: another ingest of the same path may have finished while we were hashing.
    const row = this.byPath.get(path);
    if (row) {
      if (row.hash === probe.hash) {
        this.updateStat.run({ ...params, id: row.id });
        return { outcome: 'unchanged', photoId: row.id };
      }
      this.updateContent.run({ ...params, id: row.id });
      return { outcome: 'updated', photoId: row.id };
    }
    for (const cand of this.goneWithHash.all(probe.hash)) {
      if (cand.path === path) continue;
      if (cand.status === 'missing' || !existsSync(cand.path)) {
        this.moveRow.run({ ...params, id: cand.id });
        return { outcome: 'moved', photoId: cand.id };
      }
    }
    return { outcome: 'added', photoId: Number(this.insert.run(params).lastInsertRowid) };
  }

  /** The file at `path` is gone: keep the row (and its captions) as 'missing'. */
  markMissing(path: string): number | null {
    const row = this.byPath.get(path);
    if (!row || row.status === 'missing') return null;
    this.db.prepare(`UPDATE photos SET status = 'missing', updated_at = ? WHERE id = ?`).run(Date.now(), row.id);
    return row.id;
  }
}
