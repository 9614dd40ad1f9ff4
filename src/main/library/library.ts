/**
 * The photo library: one folder holding `library.db` (SQLite) and `thumbs/`. This class is
 * the whole API the CLI, the HTTP server and Electron's IPC call; it prints nothing and
 * reports through typed events. Shapes follow src/shared/api-contract.ts.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import type {
  Alternative,
  Caption,
  Folder,
  ModelInfo,
  PhotoDetail,
  PhotoPage,
  PhotoSummary,
  SearchResult,
  Settings,
} from '../../shared/api-contract.js';
import { defaultSettings } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import { defaultModelDir } from '../../shared/paths.js';
import type { Captioner } from '../../inference/caption-pipeline.js';
import { openDatabase, type DB } from './db.js';
import { WordNeighbours, type EmbeddingTable } from './expansion.js';
import { PhotoWriter, type IngestOutcome } from './ingest.js';
import { JobRunner, type JobInfo, type PhotoCaptioned } from './jobs.js';
import { hasPhotoExtension } from './formats.js';
import { scanFolder } from './scanner.js';
import { Searcher } from './search.js';
import { FolderWatcher, type WatchEvent } from './watcher.js';

export type { JobInfo, PhotoCaptioned } from './jobs.js';

export interface ScanProgress {
  folderId: number;
  path: string;
  scanned: number;
  added: number;
  updated: number;
  moved: number;
  unchanged: number;
  errors: number;
  missing: number;
}

export interface LibraryEvents {
  /** A job changed state or finished a batch. */
  job: JobInfo;
  /** Photos changed (captioned, edited, failed, added, deleted); null = many. */
  photos: number[] | null;
  /** Per-photo results of a captioning batch (the CLI prints these). */
  captioned: PhotoCaptioned[];
  /** Folder list or counts changed. */
  folders: null;
  /** Scan progress, every 100 files and at the end. */
  scan: ScanProgress;
  /** Something worth a log line that is not an error of a call (watcher trouble, model fallback). */
  warning: string;
}

export interface ModelRecord {
  id: string;
  name: string;
  path: string;
  active: boolean;
}

export interface LibraryOptions {
  /** Creates the captioner for a model; default: the encoder+decoder worker pipeline. */
  createCaptioner?: (model: ModelRecord) => Promise<Captioner>;
  /** Loads the word-embedding table of a model for query expansion; default: the decoder's W_embed. */
  loadEmbeddings?: (model: ModelRecord) => Promise<EmbeddingTable | null>;
  /** Register models/default when present (default true). */
  registerDefaultModel?: boolean;
  /** Photos per pipeline batch (default 16). */
  batchSize?: number;
  /** Caption new photos found by addFolder, rescan and the watcher (default true). */
  autoCaption?: boolean;
  /** Concurrent file probes while scanning (default 4). */
  scanConcurrency?: number;
  /**
   * Import descriptions other apps wrote (XMP, IPTC, EXIF, .txt/.caption sidecars) as user
   * captions when photos are added or changed (default true; src/main/metadata does the reading).
   */
  importMetadata?: boolean;
}

export interface LibraryStatus {
  libraryDir: string;
  folders: Folder[];
  photos: { total: number; pending: number; captioned: number; error: number; missing: number; userCaptioned: number };
  errorsByKind: Record<string, number>;
  jobs: JobInfo[];
  activeModel: string | null;
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
}

export interface SearchOptions {
  folderId?: number;
  /** ISO date (YYYY-MM-DD) or ms since epoch, inclusive; on date taken, else file time. */
  from?: string | number;
  to?: string | number;
  similarWords?: boolean;
  limit?: number;
  offset?: number;
}

interface PhotoRow {
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
}

const PHOTO_COLUMNS = `p.id, p.folder_id, f.path AS folder_path, p.path, p.name, p.size, p.mtime_ms, p.hash, p.width, p.height,
  p.taken_at, p.status, p.error_kind, p.error, p.thumb, p.caption, p.caption_source`;

type Listener<K extends keyof LibraryEvents> = (payload: LibraryEvents[K]) => void;

/** Where a library lives when the user does not say: the OS's per-user app-data folder. */
export function defaultLibraryDir(): string {
  if (process.env.LENSCRIBE_LIBRARY) return resolve(process.env.LENSCRIBE_LIBRARY);
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Lenscribe', 'library');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Lenscribe', 'library');
  return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'lenscribe', 'library');
}

function toIso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

function toMs(d: string | number | undefined, endOfDay: boolean): number | undefined {
  if (d === undefined) return undefined;
  if (typeof d === 'number') return d;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : d);
  if (Number.isNaN(t)) throw new UserError(`not a date: ${d}`);
  return t;
}

export class Library {
  readonly dir: string;
  readonly dbPath: string;
  private readonly thumbs: string;
  readonly db: DB;
  private readonly writer: PhotoWriter;
  private readonly searcher: Searcher;
  readonly jobs: JobRunner;
  private readonly listeners = new Map<keyof LibraryEvents, Set<Listener<keyof LibraryEvents>>>();
  private readonly captioners = new Map<string, Promise<Captioner>>();
  private neighbours: { modelId: string; value: Promise<WordNeighbours | null>; ready: WordNeighbours | null } | null = null;
  private watcher: FolderWatcher | null = null;
  private readonly watchQueue = new Map<string, WatchEvent>();
  private watchTimer: NodeJS.Timeout | null = null;
  private watchBusy: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    dir: string,
    private readonly options: LibraryOptions,
  ) {
    this.dir = resolve(dir);
    this.dbPath = join(this.dir, 'library.db');
    this.thumbs = join(this.dir, 'thumbs');
    mkdirSync(this.thumbs, { recursive: true });
    this.db = openDatabase(this.dbPath);
    this.writer = new PhotoWriter(this.db);
    this.searcher = new Searcher(this.db);
    this.jobs = new JobRunner(this.db, {
      thumbsDir: this.thumbs,
      batchSize: options.batchSize ?? 16,
      captioner: (modelId) => this.captionerFor(modelId),
      onJob: (job) => this.emit('job', job),
      onPhotos: (items) => {
        this.emit('captioned', items);
        this.emit(
          'photos',
          items.map((i) => i.photoId),
        );
      },
    });
    if (options.registerDefaultModel !== false && existsSync(join(defaultModelDir, 'model.json'))) {
      try {
        this.registerModel(defaultModelDir, { activateIfNone: true });
      } catch (err) {
        this.emit('warning', `default model not usable: ${(err as Error).message}`);
      }
    }
  }

  /** Open (creating if needed) the library in `dir`. */
  static open(dir: string, options: LibraryOptions = {}): Library {
    return new Library(dir, options);
  }

  // ------------------------------------------------------------------ events

  on<K extends keyof LibraryEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<keyof LibraryEvents>);
    return () => set.delete(listener as Listener<keyof LibraryEvents>);
  }

  private emit<K extends keyof LibraryEvents>(event: K, payload: LibraryEvents[K]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as Listener<K>)(payload);
      } catch {
        // A listener's failure is the listener's problem; the library goes on.
      }
    }
  }

  // ------------------------------------------------------------------ info

  info(): { libraryDir: string; photoCount: number; folderCount: number; activeModel: string | null } {
    const c = this.db
      .prepare(`SELECT (SELECT count(*) FROM photos WHERE status != 'missing') AS photos, (SELECT count(*) FROM folders) AS folders`)
      .get() as { photos: number; folders: number };
    return { libraryDir: this.dir, photoCount: c.photos, folderCount: c.folders, activeModel: this.activeModel()?.id ?? null };
  }

  /** Absolute path of the thumbnail cache (thumbnail files are `<content hash>.webp`). */
  thumbsDir(): string {
    return this.thumbs;
  }

  // ------------------------------------------------------------------ folders

  listFolders(): Folder[] {
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
    const busy = new Set(this.jobs.unfinished().map((j) => j.folderId));
    return rows.map((r) => ({
      ...r,
      status: !existsSync(r.path)
        ? 'missing'
        : this.scanning.has(r.id)
          ? 'scanning'
          : r.pendingCount > 0 && (busy.has(r.id) || busy.has(null))
            ? 'captioning'
            : 'ready',
    }));
  }

  getFolder(id: number): Folder | null {
    return this.listFolders().find((f) => f.id === id) ?? null;
  }

  /** Absolute path of a library folder, or null (for media routes). */
  folderRoot(id: number): string | null {
    const row = this.db.prepare('SELECT path FROM folders WHERE id = ?').get(id) as { path: string } | undefined;
    return row?.path ?? null;
  }

  private readonly scanning = new Set<number>();

  /**
   * Add a folder (recursively) and ingest its photos. A folder inside one already in the
   * library is that folder; a folder containing library folders absorbs them.
   * With autoCaption (default), queues captioning of the new photos and starts the queue.
   */
  async addFolder(path: string, opts: { caption?: boolean } = {}): Promise<{ folder: Folder; jobId: number | null; scan: ScanProgress }> {
    if (typeof path !== 'string' || !path || path.includes('\0')) throw new UserError('give a folder path');
    const abs = resolve(path);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new UserError(`folder not found: ${abs}`);
    }
    if (!st.isDirectory()) throw new UserError(`not a folder: ${abs}`);
    const root = realpathSync(abs);
    const folders = this.db.prepare('SELECT id, path FROM folders').all() as Array<{ id: number; path: string }>;
    const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
    let folderId: number;
    const parent = folders.find((f) => inside(root, f.path));
    if (parent) folderId = parent.id;
    else {
      folderId = this.db.transaction(() => {
        const id = Number(this.db.prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)').run(root, Date.now()).lastInsertRowid);
        for (const f of folders.filter((f) => inside(f.path, root))) {
          this.db.prepare('UPDATE photos SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
          this.db.prepare('UPDATE jobs SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
          this.db.prepare('DELETE FROM folders WHERE id = ?').run(f.id);
        }
        return id;
      })();
      this.watcher?.add(root);
    }
    this.emit('folders', null);
    const scan = await this.scanInto(folderId, parent ? parent.path : root, root);
    const jobId = (opts.caption ?? this.options.autoCaption ?? true) ? this.queueCaptioning({ folderId }) : null;
    return { folder: this.getFolder(folderId)!, jobId, scan };
  }

  /** Remove a folder and its photos (and their captions) from the library. Files are not touched. */
  removeFolder(id: number): boolean {
    const path = this.folderRoot(id);
    if (!path) return false;
    this.db.prepare('DELETE FROM folders WHERE id = ?').run(id);
    this.watcher?.unwatch(path);
    this.emit('folders', null);
    this.emit('photos', null);
    return true;
  }

  /** Walk the folder again: new, changed, moved and deleted files are reflected. */
  async rescan(id: number, opts: { caption?: boolean } = {}): Promise<{ jobId: number | null; scan: ScanProgress }> {
    const path = this.folderRoot(id);
    if (!path) throw new UserError(`no library folder with id ${id}`);
    const scan = await this.scanInto(id, path, path);
    const jobId = (opts.caption ?? this.options.autoCaption ?? true) ? this.queueCaptioning({ folderId: id }) : null;
    return { jobId, scan };
  }

  private async scanInto(folderId: number, folderPath: string, scanRoot: string): Promise<ScanProgress> {
    const progress: ScanProgress = {
      folderId,
      path: scanRoot,
      scanned: 0,
      added: 0,
      updated: 0,
      moved: 0,
      unchanged: 0,
      errors: 0,
      missing: 0,
    };
    this.scanning.add(folderId);
    const concurrency = Math.max(1, this.options.scanConcurrency ?? 4);
    const buffers = Array.from({ length: concurrency }, () => Buffer.allocUnsafe(1 << 20));
    const inFlight = new Set<Promise<void>>();
    const changedPaths: string[] = [];
    const count = (o: IngestOutcome) => {
      if (o === 'added') progress.added++;
      else if (o === 'updated') progress.updated++;
      else if (o === 'moved') progress.moved++;
      else if (o === 'unchanged') progress.unchanged++;
      else progress.errors++;
      if (++progress.scanned % 100 === 0) this.emit('scan', { ...progress });
    };
    try {
      for await (const entry of scanFolder(scanRoot)) {
        if (this.closed) break;
        if (entry.type !== 'file') continue;
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        const buf = buffers.pop()!;
        const p = this.writer
          .ingest(folderId, entry.path, entry, buf)
          .then((r) => {
            if (r.outcome === 'added' || r.outcome === 'updated' || r.outcome === 'moved') changedPaths.push(entry.path);
            count(r.outcome);
          })
          .catch(() => count('error'))
          .finally(() => {
            buffers.push(buf);
            inFlight.delete(p);
          });
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      // Photos under the scanned root whose file is gone are kept as 'missing'. Checked against
      // the disk rather than a set of the paths just seen, so memory stays flat however big the folder.
      const prefix = scanRoot.endsWith(sep) ? scanRoot : scanRoot + sep;
      const gone: string[] = [];
      const known = this.db
        .prepare(`SELECT path FROM photos WHERE folder_id = ? AND status != 'missing' AND substr(path, 1, ?) = ?`)
        .pluck();
      for (const path of known.iterate(folderId, prefix.length, prefix) as IterableIterator<string>) if (!existsSync(path)) gone.push(path);
      for (const path of gone) if (this.writer.markMissing(path) !== null) progress.missing++;
      await this.importMetadataOf(changedPaths);
    } finally {
      this.scanning.delete(folderId);
    }
    void folderPath;
    this.emit('scan', { ...progress });
    this.emit('folders', null);
    this.emit('photos', null);
    return progress;
  }

  private usedExiftool = false;

  /** Descriptions already written into (or beside) new and changed photos become user captions. */
  private async importMetadataOf(paths: string[]): Promise<void> {
    if (this.options.importMetadata === false || paths.length === 0 || this.closed) return;
    try {
      const { importDescriptions } = await import('../metadata/index.js');
      this.usedExiftool = true;
      const summary = await importDescriptions(this, paths);
      if (summary.imported > 0) this.emit('photos', null);
    } catch (err) {
      this.emit('warning', `reading existing descriptions failed: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ watching

  /** Watch every library folder for changes until unwatch() or close(). */
  async watch(options: { settleMs?: number; polling?: boolean; debounceMs?: number } = {}): Promise<void> {
    if (this.watcher) return;
    const roots = (this.db.prepare('SELECT path FROM folders').all() as Array<{ path: string }>).map((r) => r.path);
    const debounce = options.debounceMs ?? 200;
    this.watcher = new FolderWatcher(
      roots,
      (e) => {
        this.watchQueue.set(e.path, e);
        if (this.watchTimer) clearTimeout(this.watchTimer);
        this.watchTimer = setTimeout(() => {
          this.watchTimer = null;
          // A failure must not reject the chain: every later change would be silently dropped.
          this.watchBusy = this.watchBusy
            .then(() => this.applyWatchEvents())
            .catch((err: Error) => this.emit('warning', `applying folder changes failed: ${err.message}`));
        }, debounce);
      },
      (err) => this.emit('warning', `folder watcher: ${err.message}`),
      options,
    );
    await this.watcher.whenReady();
  }

  async unwatch(): Promise<void> {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = null;
    const w = this.watcher;
    this.watcher = null;
    await w?.close();
    await this.watchBusy;
  }

  /** Resolves once the watcher has applied every change it has seen so far. */
  async watchSettled(): Promise<void> {
    while (this.watchTimer || this.watchQueue.size) {
      await new Promise((r) => setTimeout(r, 50));
      await this.watchBusy;
    }
    await this.watchBusy;
  }

  private folderOf(path: string): number | null {
    const rows = this.db.prepare('SELECT id, path FROM folders').all() as Array<{ id: number; path: string }>;
    const hit = rows.find((f) => path.startsWith(f.path.endsWith(sep) ? f.path : f.path + sep));
    return hit?.id ?? null;
  }

  /** Library photos a sidecar describes: photo.jpg.xmp → photo.jpg; photo.xmp / photo.txt → photo.<any>. */
  private photosOfSidecar(sidecar: string): string[] {
    const base = sidecar.slice(0, sidecar.length - extname(sidecar).length);
    if (hasPhotoExtension(base)) return this.photoIdByPath(base) !== null ? [base] : [];
    const prefix = `${base}.`;
    // A range on the path index: every path starting with "base." sorts before "base/" ('.' + 1).
    const rows = this.db
      .prepare(`SELECT path FROM photos WHERE path >= ? AND path < ? AND status != 'missing'`)
      .pluck()
      .all(prefix, `${base}/`) as string[];
    return rows.filter((p) => !p.slice(prefix.length).includes(sep) && !p.slice(prefix.length).includes('.'));
  }

  private async applyWatchEvents(): Promise<void> {
    const events = [...this.watchQueue.values()];
    this.watchQueue.clear();
    // Deletions first, so a move (delete + add of the same content) finds its missing row.
    events.sort((a, b) => (a.type === b.type ? 0 : a.type === 'delete' ? -1 : 1));
    const changed: number[] = [];
    const fresh: string[] = [];
    const folders = new Set<number>();
    for (const e of events) {
      if (this.closed) return;
      try {
        await this.applyWatchEvent(e, changed, fresh, folders);
      } catch (err) {
        // One file's trouble (locked database, vanished mid-read) must not stop the others.
        this.emit('warning', `${e.path}: ${(err as Error).message}`);
      }
    }
    await this.importMetadataOf([...new Set(fresh)]);
    if (changed.length) this.emit('photos', changed);
    this.emit('folders', null);
    if (this.options.autoCaption ?? true) for (const f of folders) this.queueCaptioning({ folderId: f });
  }

  private async applyWatchEvent(e: WatchEvent, changed: number[], fresh: string[], folders: Set<number>): Promise<void> {
    if (e.type === 'delete') {
      if (existsSync(e.path)) return;
      const id = this.writer.markMissing(e.path);
      if (id !== null) changed.push(id);
    } else if (e.type === 'sidecar') {
      // Another app described photos in a sidecar: read their descriptions again (only a changed
      // one is imported, as a user caption; the caption history keeps what was there).
      fresh.push(...this.photosOfSidecar(e.path));
    } else {
      const folderId = this.folderOf(e.path);
      if (folderId === null) return;
      let known: { size: number; mtimeMs: number } | undefined;
      try {
        const s = statSync(e.path);
        known = { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
      } catch {
        known = undefined;
      }
      const r = await this.writer.ingest(folderId, e.path, known);
      if (r.photoId) changed.push(r.photoId);
      if (r.outcome !== 'unchanged') folders.add(folderId);
      if (r.outcome === 'added' || r.outcome === 'updated' || r.outcome === 'moved') fresh.push(e.path);
    }
  }

  // ------------------------------------------------------------------ photos

  private summary(r: PhotoRow): PhotoSummary {
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

  private row(id: number): PhotoRow | undefined {
    return this.db.prepare(`SELECT ${PHOTO_COLUMNS} FROM photos p JOIN folders f ON f.id = p.folder_id WHERE p.id = ?`).get(id) as
      PhotoRow | undefined;
  }

  photoIdByPath(path: string): number | null {
    const r = this.writer.get(resolve(path));
    return r?.id ?? null;
  }

  listPhotos(
    opts: { folderId?: number; status?: PhotoSummary['status']; sort?: 'path' | 'taken' | 'added'; offset?: number; limit?: number } = {},
  ): PhotoPage {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (opts.folderId !== undefined) (where.push('p.folder_id = @folderId'), (params.folderId = opts.folderId));
    if (opts.status) (where.push('p.status = @status'), (params.status = opts.status));
    else where.push(`p.status != 'missing'`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = opts.sort === 'taken' ? 'coalesce(p.taken_at, p.mtime_ms) DESC, p.id' : opts.sort === 'added' ? 'p.id DESC' : 'p.path';
    const limit = Math.max(1, Math.min(10_000, opts.limit ?? 200));
    const offset = Math.max(0, opts.offset ?? 0);
    const total = (this.db.prepare(`SELECT count(*) AS n FROM photos p ${w}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT ${PHOTO_COLUMNS} FROM photos p JOIN folders f ON f.id = p.folder_id ${w} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit, offset }) as PhotoRow[];
    return { total, offset, items: rows.map((r) => this.summary(r)) };
  }

  getPhoto(id: number): PhotoDetail | null {
    const r = this.row(id);
    if (!r) return null;
    return {
      ...this.summary(r),
      path: r.path,
      size: r.size,
      mtime: toIso(r.mtime_ms) ?? new Date(0).toISOString(),
      takenAt: toIso(r.taken_at),
      error: r.error ? (r.error_kind ? `${r.error_kind}: ${r.error}` : r.error) : null,
      history: this.captionHistory(id),
    };
  }

  private mustGet(id: number): PhotoDetail {
    const p = this.getPhoto(id);
    if (!p) throw Object.assign(new Error(`no photo with id ${id}`), { code: 'ENOENT' });
    return p;
  }

  /** Newest first. */
  captionHistory(photoId: number): Caption[] {
    const rows = this.db
      .prepare('SELECT id, text, source, score, created_at FROM captions WHERE photo_id = ? ORDER BY id DESC')
      .all(photoId) as Array<{ id: number; text: string; source: string; score: number | null; created_at: number }>;
    return rows.map((r) => ({ id: r.id, text: r.text, source: r.source, score: r.score, createdAt: new Date(r.created_at).toISOString() }));
  }

  /** The user's own caption: shown from now on, never replaced by a model. */
  setUserCaption(photoId: number, text: string, source = 'user'): PhotoDetail {
    const clean = String(text).replace(/\s+/g, ' ').trim();
    if (!clean) throw new UserError('a caption cannot be empty');
    this.mustGet(photoId);
    this.db
      .prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, 1, ?)')
      .run(photoId, clean, source, Date.now());
    this.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** Drop the user's captions for a photo (an explicit user action): the newest model caption shows again. */
  clearUserCaption(photoId: number): PhotoDetail {
    this.mustGet(photoId);
    this.db.prepare('DELETE FROM captions WHERE photo_id = ? AND is_user = 1').run(photoId);
    this.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /**
   * Import user captions (from a dataset file or sidecars). Paths are matched against photos
   * in the library; a photo whose newest user caption already has this text is left alone.
   */
  importUserCaptions(
    items: Iterable<{ path: string; text: string }>,
    source = 'user',
  ): { imported: number; unchanged: number; notInLibrary: string[] } {
    let imported = 0;
    let unchanged = 0;
    const notInLibrary: string[] = [];
    const newest = this.db.prepare('SELECT text FROM captions WHERE photo_id = ? AND is_user = 1 ORDER BY id DESC LIMIT 1');
    const insert = this.db.prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, 1, ?)');
    const ids: number[] = [];
    this.db.transaction(() => {
      for (const { path, text } of items) {
        const clean = String(text).replace(/\s+/g, ' ').trim();
        if (!clean) continue;
        const id = this.photoIdByPath(path);
        if (id === null) {
          notInLibrary.push(path);
          continue;
        }
        const cur = newest.get(id) as { text: string } | undefined;
        if (cur?.text === clean) {
          unchanged++;
          continue;
        }
        insert.run(id, clean, source, Date.now());
        ids.push(id);
        imported++;
      }
    })();
    if (ids.length) this.emit('photos', ids);
    return { imported, unchanged, notInLibrary };
  }

  /** Re-read an errored (or any) photo and queue it for captioning again. */
  async retryPhoto(photoId: number): Promise<{ jobId: number | null }> {
    const r = this.row(photoId);
    if (!r) throw Object.assign(new Error(`no photo with id ${photoId}`), { code: 'ENOENT' });
    this.db.prepare(`UPDATE photos SET status = 'pending', error = NULL, error_kind = NULL WHERE id = ? AND status = 'error'`).run(photoId);
    const res = await this.writer.ingest(r.folder_id, r.path);
    if (res.outcome === 'error') {
      this.emit('photos', [photoId]);
      return { jobId: null };
    }
    return { jobId: this.queueCaptioning({ photoIds: [photoId] }) };
  }

  /**
   * Beam-search alternatives for a photo: stored from its last model caption, or computed now
   * with another beam width (from the cached features, so without decoding the image again).
   */
  async alternatives(photoId: number, beam?: number): Promise<Alternative[]> {
    const r = this.row(photoId);
    if (!r) throw Object.assign(new Error(`no photo with id ${photoId}`), { code: 'ENOENT' });
    const model = this.activeModel();
    const stored = this.db
      .prepare(
        'SELECT alternatives FROM captions WHERE photo_id = ? AND is_user = 0 AND alternatives IS NOT NULL AND (? IS NULL OR source = ?) ORDER BY id DESC LIMIT 1',
      )
      .get(photoId, model?.id ?? null, model?.id ?? null) as { alternatives: string } | undefined;
    const parsed = stored ? (JSON.parse(stored.alternatives) as Alternative[]) : null;
    if (parsed && (beam === undefined || parsed.length === beam)) return parsed;
    if (!model) return parsed ?? [];
    const captioner = await this.captionerFor(model.id);
    const hit = r.hash
      ? (this.db.prepare('SELECT data FROM features WHERE hash = ? AND encoder_id = ?').get(r.hash, captioner.encoderId) as
          { data: Buffer } | undefined)
      : undefined;
    const feature = hit
      ? new Float32Array(hit.data.buffer.slice(hit.data.byteOffset, hit.data.byteOffset + hit.data.byteLength))
      : undefined;
    const [o] = await captioner.caption([{ id: photoId, path: r.path, feature }], { beam: beam ?? 3 });
    if (!o || !o.ok) throw new UserError(o && !o.ok ? `${o.kind}: ${o.message}` : 'no alternatives');
    return o.alternatives;
  }

  // ------------------------------------------------------------------ search

  search(query: string, opts: SearchOptions = {}): SearchResult {
    const similarWords = opts.similarWords ?? this.getSettings().searchSimilarWords;
    const neighbours = similarWords ? this.neighboursNow() : null;
    const raw = this.searcher.search(
      query,
      {
        folderId: opts.folderId,
        from: toMs(opts.from, false),
        to: toMs(opts.to, true),
        limit: opts.limit,
        offset: opts.offset,
        similarWords,
      },
      neighbours,
    );
    const rows = new Map<number, PhotoRow>();
    if (raw.hits.length) {
      const found = this.db
        .prepare(
          `SELECT ${PHOTO_COLUMNS} FROM photos p JOIN folders f ON f.id = p.folder_id WHERE p.id IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(raw.hits.map((h) => h.id))) as PhotoRow[];
      for (const r of found) rows.set(r.id, r);
    }
    return {
      query,
      total: raw.total,
      hits: raw.hits
        .filter((h) => rows.has(h.id))
        .map((h) => ({ photo: this.summary(rows.get(h.id)!), snippet: h.snippet, score: h.score, viaSimilar: h.viaSimilar })),
      expanded: raw.expanded,
    };
  }

  /** Absolute path of a hit (for the CLI). */
  photoPath(id: number): string | null {
    return (this.db.prepare('SELECT path FROM photos WHERE id = ?').get(id) as { path: string } | undefined)?.path ?? null;
  }

  /**
   * The active model's word neighbours, once loaded (loading starts on first use and
   * finishes in the background; searches before then run without expansion).
   */
  private neighboursNow(): WordNeighbours | null {
    const model = this.activeModel();
    if (!model) return null;
    if (!this.neighbours || this.neighbours.modelId !== model.id) {
      const load = this.options.loadEmbeddings ?? defaultEmbeddingLoader;
      const value = load(model)
        .then((t) => (t ? new WordNeighbours(t) : null))
        .catch((err) => {
          this.emit('warning', `query expansion off: ${(err as Error).message}`);
          return null;
        });
      const entry = { modelId: model.id, value, ready: null as WordNeighbours | null };
      void value.then((v) => (entry.ready = v));
      this.neighbours = entry;
    }
    return this.neighbours.ready;
  }

  /** Wait until query expansion for the active model is loaded (or known unavailable). */
  async expansionReady(): Promise<boolean> {
    this.neighboursNow();
    const v = await this.neighbours?.value;
    return !!v;
  }

  // ------------------------------------------------------------------ models

  /** Add a model directory (holding model.json) to the registry. */
  registerModel(dir: string, opts: { activate?: boolean; activateIfNone?: boolean } = {}): ModelInfo {
    const path = resolve(dir);
    const file = join(path, 'model.json');
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UserError(`not a caption model directory (${file}: ${(err as Error).message})`);
    }
    const id = modelIdOf(meta, basename(path));
    const name = String(meta.name ?? id);
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO models (id, name, path, added_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, path = excluded.path',
        )
        .run(id, name, path, Date.now());
      const anyActive = this.db.prepare('SELECT 1 FROM models WHERE active = 1').get();
      if (opts.activate || (opts.activateIfNone && !anyActive)) {
        this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
        this.db.prepare('UPDATE models SET active = 1 WHERE id = ?').run(id);
      }
    })();
    return this.listModels().find((m) => m.id === id)!;
  }

  listModels(): ModelInfo[] {
    const rows = this.db.prepare('SELECT id, name, path, active, added_at FROM models ORDER BY added_at').all() as Array<{
      id: string;
      name: string;
      path: string;
      active: number;
      added_at: number;
    }>;
    return rows.map((r) => {
      let meta: Record<string, unknown> = {};
      try {
        meta = JSON.parse(readFileSync(join(r.path, 'model.json'), 'utf8'));
      } catch {
        // A model folder that went away still lists; captioning with it fails with a clear error.
      }
      const metrics: Record<string, number> = {};
      const m = (meta.metrics ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
      const created = meta.createdAt ?? meta.date ?? null;
      return {
        id: r.id,
        name: r.name,
        active: r.active === 1,
        createdAt: typeof created === 'string' ? created : toIso(r.added_at),
        metrics,
      };
    });
  }

  activeModel(): ModelRecord | null {
    const r = this.db.prepare('SELECT id, name, path FROM models WHERE active = 1').get() as
      { id: string; name: string; path: string } | undefined;
    return r ? { ...r, active: true } : null;
  }

  private model(id: string): ModelRecord | null {
    const r = this.db.prepare('SELECT id, name, path, active FROM models WHERE id = ?').get(id) as
      { id: string; name: string; path: string; active: number } | undefined;
    return r ? { ...r, active: r.active === 1 } : null;
  }

  /**
   * Make a model the active one and queue re-captioning of every photo with it (user
   * captions stay shown; the model's captions join the history).
   */
  activateModel(id: string, opts: { recaption?: boolean } = {}): { model: ModelInfo; jobId: number | null } {
    if (!this.model(id)) throw Object.assign(new Error(`no model ${id}`), { code: 'ENOENT' });
    this.db.transaction(() => {
      this.db.prepare('UPDATE models SET active = 0 WHERE active = 1').run();
      this.db.prepare('UPDATE models SET active = 1 WHERE id = ?').run(id);
    })();
    const jobId = opts.recaption === false ? null : this.queueCaptioning({ recaption: true });
    return { model: this.listModels().find((m) => m.id === id)!, jobId };
  }

  private captionerFor(modelId: string): Promise<Captioner> {
    let c = this.captioners.get(modelId);
    if (!c) {
      const model = this.model(modelId);
      if (!model)
        return Promise.reject(new UserError(modelId ? `caption model ${modelId} is not installed` : 'no caption model is installed'));
      const create = this.options.createCaptioner ?? defaultCaptionerFactory;
      c = create(model);
      c.catch(() => this.captioners.delete(modelId));
      this.captioners.set(modelId, c);
    }
    return c;
  }

  // ------------------------------------------------------------------ jobs

  /**
   * Queue captioning (pending photos; with recaption, all photos lacking a caption from the
   * active model) and start the queue. Null when there is nothing to caption or no model.
   */
  queueCaptioning(opts: { folderId?: number; photoIds?: number[]; recaption?: boolean } = {}): number | null {
    const model = this.activeModel();
    if (!model) {
      this.emit('warning', 'no caption model is installed: photos stay pending');
      return null;
    }
    const id = this.jobs.enqueue({ modelId: model.id, ...opts });
    if (id !== null) {
      this.emit('job', this.jobs.get(id)!);
      void this.jobs.start();
    }
    return id;
  }

  listJobs(): JobInfo[] {
    return this.jobs.list();
  }

  /** Run every queued job (resuming ones a killed process left) until the queue is empty. */
  runJobs(): Promise<void> {
    return this.jobs.start();
  }

  pauseJob(id: number): JobInfo {
    return this.jobs.pause(id) ?? this.noJob(id);
  }

  resumeJob(id: number): JobInfo {
    return this.jobs.resume(id) ?? this.noJob(id);
  }

  cancelJob(id: number): JobInfo {
    return this.jobs.cancel(id) ?? this.noJob(id);
  }

  waitForJob(id: number): Promise<JobInfo> {
    return this.jobs.waitFor(id);
  }

  private noJob(id: number): never {
    throw Object.assign(new Error(`no job ${id}`), { code: 'ENOENT' });
  }

  // ------------------------------------------------------------------ settings

  getSettings(): Settings {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const out: Record<string, unknown> = { ...defaultSettings };
    for (const r of rows) {
      if (r.key in defaultSettings) {
        try {
          out[r.key] = JSON.parse(r.value);
        } catch {
          // keep the default
        }
      }
    }
    return out as unknown as Settings;
  }

  setSettings(patch: Partial<Settings>): Settings {
    const put = this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(patch)) if (k in defaultSettings && v !== undefined) put.run(k, JSON.stringify(v));
    })();
    return this.getSettings();
  }

  // ------------------------------------------------------------------ status and export

  status(): LibraryStatus {
    const c = this.db
      .prepare(
        `SELECT count(*) FILTER (WHERE status != 'missing') AS total, count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'captioned') AS captioned, count(*) FILTER (WHERE status = 'error') AS error,
           count(*) FILTER (WHERE status = 'missing') AS missing,
           count(*) FILTER (WHERE caption_source IS NOT NULL AND caption_id IN (SELECT id FROM captions WHERE is_user = 1)) AS userCaptioned
         FROM photos`,
      )
      .get() as LibraryStatus['photos'];
    return {
      libraryDir: this.dir,
      folders: this.listFolders(),
      photos: c,
      errorsByKind: this.errorsByKind(),
      jobs: this.jobs.list(10),
      activeModel: this.activeModel()?.id ?? null,
    };
  }

  /** Photos in status 'error', counted per error kind (optionally within some photos). */
  errorsByKind(photoIds?: number[]): Record<string, number> {
    const rows = (
      photoIds
        ? this.db
            .prepare(
              `SELECT coalesce(error_kind, 'unknown') AS kind, count(*) AS n FROM photos WHERE status = 'error' AND id IN (SELECT value FROM json_each(?)) GROUP BY 1 ORDER BY 2 DESC`,
            )
            .all(JSON.stringify(photoIds))
        : this.db
            .prepare(
              `SELECT coalesce(error_kind, 'unknown') AS kind, count(*) AS n FROM photos WHERE status = 'error' GROUP BY 1 ORDER BY 2 DESC`,
            )
            .all()
    ) as Array<{ kind: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  /** Every photo (not missing) with its shown, newest user and newest model caption. */
  *exportRows(): Generator<ExportRow> {
    const stmt = this.db.prepare(
      `SELECT p.path, f.path AS folder, p.caption, p.caption_source, p.status, p.error_kind, p.error, p.taken_at, p.width, p.height, p.hash,
         (SELECT text FROM captions c WHERE c.photo_id = p.id AND c.is_user = 1 ORDER BY c.id DESC LIMIT 1) AS user_caption,
         (SELECT text FROM captions c WHERE c.photo_id = p.id AND c.is_user = 0 ORDER BY c.id DESC LIMIT 1) AS model_caption
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

  // ------------------------------------------------------------------ lifecycle

  /** Stop watching, let the batch in flight finish (jobs stay resumable), close workers and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.unwatch();
    await this.jobs.stop();
    for (const c of this.captioners.values()) {
      try {
        await (await c).close();
      } catch {
        // a captioner that never started has nothing to close
      }
    }
    this.captioners.clear();
    if (this.usedExiftool) {
      try {
        const { endExiftool } = await import('../metadata/index.js');
        await endExiftool();
      } catch {
        // nothing running
      }
    }
    this.db.close();
  }
}

/**
 * A model's id names its exact weights (`<name>@<sha256 prefix of the decoder weights>`), so a
 * retrained model with the same name is a new caption source and re-captioning happens.
 */
export function modelIdOf(manifest: Record<string, unknown>, fallback: string): string {
  const name = String(manifest.id ?? manifest.name ?? fallback);
  const weights = (manifest.decoder as { weights?: string } | undefined)?.weights;
  const files = manifest.files as Record<string, { sha256?: string }> | undefined;
  const sha = weights && files?.[weights]?.sha256;
  return manifest.id ? name : sha ? `${name}@${sha.slice(0, 12)}` : name;
}

/** Overridable hooks resolved lazily, so importing the library does not load onnxruntime. */
async function defaultCaptionerFactory(model: ModelRecord): Promise<Captioner> {
  const { openCaptioner } = await import('../../inference/caption-pipeline.js');
  return openCaptioner(model.path, model.id);
}

async function defaultEmbeddingLoader(model: ModelRecord): Promise<EmbeddingTable | null> {
  const { loadWordEmbeddings } = await import('../../inference/caption-pipeline.js');
  return loadWordEmbeddings(model.path);
}
