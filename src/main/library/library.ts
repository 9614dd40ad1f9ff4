/**
 * The photo library: one folder holding `library.db` (SQLite) and `thumbs/`. This class is
 * the whole API the CLI, the HTTP server and Electron's IPC call; it prints nothing and
 * reports through typed events. Shapes follow src/shared/api-contract.ts.
 *
 * A façade: the stores own the tables (stores.ts lists them), FolderSync keeps the library in
 * step with the disk, Captioning runs the models, Searcher ranks; this class wires them.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type {
  Alternative,
  BulkCaptionResult,
  BulkQueueResult,
  BulkTagResult,
  BulkUndoResult,
  CameraFacts,
  CaptionEntry,
  Folder,
  ModelInfo,
  PhotoDetail,
  PhotoPage,
  PhotoTag,
  SearchResult,
  Settings,
  Subfolder,
  TagCount,
} from '../../shared/api-contract.js';
import { Emitter } from '../../shared/emitter.js';
import { UserError } from '../../shared/errors.js';
import { defaultModelDir, userFolder } from '../../shared/paths.js';
import { addTags, removeTags, setCaptions, undoCaptions, type CaptionMode } from './bulk-edits.js';
import { Captioning, noSuch, type ActivateOptions, type QueueOptions } from './captioning.js';
import { cleanCaption, type ImportOutcome } from './captions.js';
import { isReadOnly, openDatabase, type DB } from './db.js';
import { backupInSteps, backupNow, dailyBackupDue } from './db-backup.js';
import { integrityProblems, LibraryDamagedError, recordChecked, unchangedSinceCheck } from './db-health.js';
import { mendPhotoCounts } from './photo-counts.js';
import { readCameraFacts } from './exif.js';
import { ActiveModelNeighbours } from './expansion.js';
import type { ScanProgress } from './folder-scan.js';
import { FolderSync } from './folder-sync.js';
import { LIBRARY_DB_FILE, THUMBS_DIR } from './library-layout.js';
import type { FolderPlan } from './folders.js';
import type { WatchOptions } from './folder-watch.js';
import type { JobInfo, JobRunner } from './jobs.js';
import type { LibraryEvents, LibraryOptions, LibraryStatus } from './library-types.js';
import { makeDir } from './make-dir.js';
import type { ModelRecord } from './model-registry.js';
import { toDetail, toSummary, type ExportRow, type PhotoListOptions } from './photos.js';
import { dateBound, type SearchOptions } from './search.js';
import { openStores, type LibraryStores } from './stores.js';
import { cleanTag } from './tags.js';

export type { JobInfo, PhotoCaptioned } from './jobs.js';
export type { ScanProgress } from './folder-scan.js';
export type { FolderPlan } from './folders.js';
export type { ModelRecord } from './model-registry.js';
export type { ExportRow } from './photos.js';
export type { SearchOptions } from './search.js';
export type { LibraryEvents, LibraryOptions, LibraryStatus } from './library-types.js';

/** A list's options as callers give them: a subfolder of the folder, and dates taken as YYYY-MM-DD (whole days, UTC). */
export type ListOptions = Omit<PhotoListOptions, 'pathPrefix' | 'from' | 'to'> & { under?: string; from?: string; to?: string };
export { modelIdOf } from './model-registry.js';

/** Where a library lives when the user does not say: $LENSCRIBE_LIBRARY, else the OS's per-user data folder. */
export function defaultLibraryDir(): string {
  if (process.env.LENSCRIBE_LIBRARY) return resolve(process.env.LENSCRIBE_LIBRARY);
  return join(userFolder('data'), 'library');
}

export class Library {
  readonly dir: string;
  readonly dbPath: string;
  readonly db: DB;
  /** The tables (stores.ts), for src/main/teach and src/main/metadata: nothing outside the library runs SQL. */
  readonly stores: LibraryStores;
  readonly jobs: JobRunner;
  /**
   * How the database was opened: read-only (it cannot be written, or is damaged and opened to
   * read: options.mode 'read'), and what the integrity check at open found ([] = nothing).
   */
  readonly health: { readOnly: boolean; problems: string[] };
  private readonly thumbs: string;
  /** The day's backup, copying while the library works; close() waits for it. */
  private backup: Promise<unknown> = Promise.resolve();
  private readonly events = new Emitter<LibraryEvents>();
  private readonly sync: FolderSync;
  private readonly captioning: Captioning;
  private readonly neighbours: ActiveModelNeighbours;
  private closed = false;

  private constructor(
    dir: string,
    private readonly options: LibraryOptions,
  ) {
    this.dir = resolve(dir);
    this.dbPath = join(this.dir, LIBRARY_DB_FILE);
    this.thumbs = join(this.dir, THUMBS_DIR);
    const { db, health, backupDue } = this.openChecked(options.mode ?? 'write');
    [this.db, this.health] = [db, health];
    const stores = (this.stores = openStores(this.db));
    const events = this.events;
    const captioning = { thumbsDir: this.thumbs, batchSize: options.batchSize ?? 16, createCaptioner: options.createCaptioner, events };
    this.captioning = new Captioning(stores, captioning);
    this.jobs = this.captioning.jobs;
    this.neighbours = new ActiveModelNeighbours(options.loadEmbeddings, (message) => events.emit('warning', message));
    this.sync = new FolderSync({
      library: this,
      libraryDir: realpathSync(this.dir), // as the watcher sees paths (real, under real roots)
      stores,
      options,
      events,
      changedFolders: (ids, failedAtScan) => {
        if (options.autoCaption ?? true) for (const folderId of ids) this.queueCaptioning({ folderId, failedAtScan });
      },
      stopped: () => this.closed,
    });
    if (backupDue)
      this.backup = backupInSteps(db, this.dir, 'daily').catch((err: Error) => events.emit('warning', `backup: ${err.message}`));
    if (health.readOnly) return; // a read-only library gets no model registered and no tags derived
    if (options.registerDefaultModel !== false && existsSync(join(defaultModelDir, 'model.json'))) {
      try {
        this.registerModel(defaultModelDir, { activateIfNone: true });
      } catch (err) {
        events.emit('warning', `default model not usable: ${(err as Error).message}`);
      }
    }
    // Tags of photos captioned before tags existed, or by a model no longer active (after this call returns).
    setImmediate(() => void this.captioning.deriveStaleTags().catch((err: Error) => events.emit('warning', `tags: ${err.message}`)));
    // Query expansion's embeddings load from the start, so the first search need not wait long for them.
    setImmediate(() => {
      if (!this.closed && this.getSettings().searchSimilarWords) this.neighbours.now(this.activeModel());
    });
  }

  /**
   * The database, checked: the search index at every open unless the file is as a checked session
   * left it (db-health.ts), every page at the first open to write of the day (before the day's
   * backup). Damage refuses opening to write (LibraryDamagedError); opened to read, the library
   * stays readable, writes nothing, and says what is wrong in `health`.
   */
  private openChecked(mode: 'write' | 'read'): { db: DB; health: Library['health']; backupDue: boolean } {
    if (mode === 'write') makeDir(this.thumbs, 'thumbnail folder');
    const unchanged = unchangedSinceCheck(this.dbPath); // before connecting, which makes a -wal file
    const db = openDatabase(this.dbPath, { mode, beforeMigrate: (d) => backupNow(d, this.dir, 'before-migration') });
    let readOnly = isReadOnly(db);
    const full = mode === 'write' && !readOnly && dailyBackupDue(this.dir);
    const problems = full || !unchanged ? integrityProblems(db, { full }) : [];
    if (problems.length && mode === 'write') {
      db.close();
      throw new LibraryDamagedError(this.dbPath, problems);
    }
    if (problems.length) db.pragma('query_only = ON');
    readOnly ||= problems.length > 0;
    // The day's full check also recounts the photo counts the triggers keep (derived, so mended in place).
    if (full && !readOnly) mendPhotoCounts(db);
    if (!readOnly) makeDir(this.thumbs, 'thumbnail folder');
    return { db, health: { readOnly, problems }, backupDue: full && !readOnly };
  }

  /** Open (creating if needed) the library in `dir`. */
  static open(dir: string, options: LibraryOptions = {}): Library {
    return new Library(dir, options);
  }

  /** Whether `dir` holds a library (its database), without creating one. */
  static existsIn(dir: string): boolean {
    return existsSync(join(dir, LIBRARY_DB_FILE));
  }

  on<K extends keyof LibraryEvents>(event: K, listener: (payload: LibraryEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  info(): { libraryDir: string; photoCount: number; folderCount: number; activeModel: string | null } {
    const activeModel = this.activeModel()?.id ?? null;
    return { libraryDir: this.dir, photoCount: this.stores.photos.countPresent(), folderCount: this.stores.folders.count(), activeModel };
  }

  /** Absolute path of the thumbnail cache (thumbnail files are `<content hash>.webp`). */
  thumbsDir(): string {
    return this.thumbs;
  }

  listFolders(): Folder[] {
    const atWork = this.jobs.unfinished().filter((j) => j.status !== 'paused');
    const folders = this.stores.folders.list(this.sync.scanning, new Set(atWork.map((j) => j.folderId)), this.activeModel() !== null);
    return this.sync.watch.describe(folders);
  }

  /** The folders under a library folder that hold photos (its subfolder tree, flat and sorted). */
  subfolders(id: number): Subfolder[] {
    if (!this.folderRoot(id)) noSuch(`library folder with id ${id}`);
    return this.stores.folders.subfolders(id);
  }

  getFolder(id: number): Folder | null {
    return this.listFolders().find((f) => f.id === id) ?? null;
  }

  /** Absolute path of a library folder, or null (for media routes). */
  folderRoot(id: number): string | null {
    return this.stores.folders.root(id);
  }

  /** Whether library folder `folderId` holds a photo at `path` (absolute): the media routes serve nothing else. */
  hasPhoto(folderId: number, path: string): boolean {
    return this.stores.photos.isIndexed(folderId, path);
  }

  /** Whether `name` (a file name in thumbsDir) is the thumbnail of a photo in the library. */
  hasThumbnail(name: string): boolean {
    return this.stores.photos.isThumbnail(name);
  }

  /**
   * Add a folder (recursively) and ingest its photos (see FolderSync.add). With autoCaption
   * (default), queues captioning of the new photos and starts the queue.
   */
  async addFolder(path: string, opts: { caption?: boolean } = {}): Promise<{ folder: Folder; jobId: number | null; scan: ScanProgress }> {
    const { folderId, scan, failedIds } = await this.sync.add(path);
    return { folder: this.getFolder(folderId)!, jobId: this.captionFound(folderId, failedIds, opts), scan };
  }

  /** What adding the folder at `path` would do, to ask the user first (FolderStore.plan). */
  planFolder(path: string): FolderPlan {
    return this.sync.plan(path);
  }

  /** What removing a folder would take away: how many of its photos have the user's own captions (those are kept). */
  folderRemoval(id: number): { folder: Folder; userCaptions: number } {
    const folder = this.getFolder(id) ?? noSuch(`library folder with id ${id}`);
    return { folder, userCaptions: this.stores.kept.userCaptionedIn(id) };
  }

  /**
   * Remove a folder and its photos from the library; the user's captions and tags of them are kept
   * and come back when the folder is added again. Files, sidecars and metadata are not touched.
   */
  removeFolder(id: number): boolean {
    return this.sync.remove(id) !== null;
  }

  /** Walk the folder again: new, changed, moved and deleted files are reflected. */
  async rescan(id: number, opts: { caption?: boolean } = {}): Promise<{ jobId: number | null; scan: ScanProgress }> {
    const { scan, failedIds } = await this.sync.rescan(id);
    return { jobId: this.captionFound(id, failedIds, opts), scan };
  }

  /** Caption what a scan found; the job also counts the files the scan could not read, so it and the folder agree. */
  private captionFound(folderId: number, failedAtScan: number[], opts: { caption?: boolean }): number | null {
    return (opts.caption ?? this.options.autoCaption ?? true) ? this.queueCaptioning({ folderId, failedAtScan }) : null;
  }

  /** Watch every library folder for changes until unwatch() or close(). */
  watch(options: WatchOptions = {}): Promise<void> {
    return this.sync.watch.start(options);
  }

  unwatch(): Promise<void> {
    return this.sync.watch.stop();
  }

  /** Resolves once the watcher has applied every change it has seen so far. */
  watchSettled(): Promise<void> {
    return this.sync.watch.settled();
  }

  photoIdByPath(path: string): number | null {
    return this.stores.writer.get(resolve(path))?.id ?? null;
  }

  /** A page of photos; `under` (with folderId) keeps to one subfolder's tree ('/'-separated, relative to the folder). */
  listPhotos(opts: ListOptions = {}): PhotoPage {
    return this.stores.photos.page(this.listFilter(opts));
  }

  /** The store's form of a list's options: the subfolder as a path prefix, the dates (YYYY-MM-DD, whole days, UTC) as times. */
  private listFilter(opts: ListOptions): PhotoListOptions {
    const { under, from, to, ...rest } = opts;
    const pathPrefix = this.subtreePrefix(opts.folderId, under);
    const f: PhotoListOptions = { ...rest, ...(pathPrefix ? { pathPrefix } : {}) };
    if (from !== undefined) f.from = dateBound(from, false);
    if (to !== undefined) f.to = dateBound(to, true);
    return f;
  }

  /** How many of the list's photos were taken in each month (the timeline above the grid). */
  photoMonths(opts: Omit<ListOptions, 'sort' | 'offset' | 'limit' | 'from' | 'to'> = {}): Array<{ month: string; count: number }> {
    return this.stores.photos.months(this.listFilter(opts));
  }

  /** Every id of listPhotos' list, in its order (up to `max`): the grid selecting all of it, or a range. */
  listPhotoIds(opts: Omit<ListOptions, 'offset' | 'limit'>, max: number): number[] {
    return this.stores.photos.ids(this.listFilter(opts), max);
  }

  /** Where a subfolder's tree starts (its absolute path and a separator); undefined without a folder and subfolder. */
  private subtreePrefix(folderId: number | undefined, under: string | undefined): string | undefined {
    const root = under && folderId !== undefined ? this.folderRoot(folderId) : null;
    const parts = under?.split('/').filter(Boolean) ?? [];
    // "." and ".." would climb out of the folder (the API refuses them; other callers get no photo).
    if (parts.some((p) => p === '.' || p === '..' || p.includes(sep))) return root ? join(root, '\0') : undefined;
    const rel = parts.join(sep);
    return root && rel ? join(root, rel) + sep : undefined;
  }

  getPhoto(id: number): PhotoDetail | null {
    const r = this.stores.photos.row(id);
    return r ? toDetail(r, this.stores.captions.history(id), this.stores.tags.forPhoto(id)) : null;
  }

  /** What the camera recorded in the photo's file (read now: the file may have changed since the scan). */
  async cameraFacts(id: number): Promise<CameraFacts> {
    const path = this.stores.photos.path(id) ?? noSuch(`photo with id ${id}`);
    return readCameraFacts(path);
  }

  /** Every tag of the library with how many photos have it, most used first. */
  listTags(limit?: number): TagCount[] {
    return this.stores.tags.list(limit);
  }

  /** The tags of many photos at once (search hits, the CLI), by photo id. */
  tagsOfPhotos(photoIds: readonly number[]): Map<number, PhotoTag[]> {
    return this.stores.tags.ofPhotos(photoIds);
  }

  /** Present photos inside a folder on disk (any depth), by path order. */
  photoIdsUnder(dir: string): number[] {
    const prefix = resolve(dir).replace(/[\\/]+$/, '') + sep;
    // The range of paths starting with prefix: up to the prefix with its last character's successor.
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return this.stores.photos
      .presentInRange(prefix, end)
      .sort()
      .map((p) => this.photoIdByPath(p))
      .filter((id): id is number => id !== null);
  }

  /** A photo's tags: the user's, then the model's by score (removed ones left out). */
  photoTags(photoId: number): PhotoTag[] {
    this.mustGet(photoId);
    return this.stores.tags.forPhoto(photoId);
  }

  /** The user's own tag of a photo: kept when the model derives tags again. */
  addTag(photoId: number, tag: string): PhotoDetail {
    const clean = cleanTag(tag);
    this.mustGet(photoId);
    this.stores.tags.add(photoId, clean);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** Take a tag away from a photo; a model tag removed stays removed through re-derivations. */
  removeTag(photoId: number, tag: string): PhotoDetail {
    const clean = cleanTag(tag);
    this.mustGet(photoId);
    if (!this.stores.tags.remove(photoId, clean)) noSuch(`tag "${clean}" on photo ${photoId}`);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /**
   * Keywords read from a photo's metadata as the user's tags (source `import:<field>`): they take
   * the place of the model's tag of the same word, never of one the user removed. How many were new.
   */
  importTags(path: string, keywords: ReadonlyArray<{ tag: string; field: string }>): number {
    const id = this.photoIdByPath(path);
    if (id === null) return 0;
    let added = 0;
    for (const { tag, field } of keywords) {
      let clean: string;
      try {
        clean = cleanTag(tag);
      } catch {
        continue; // a keyword no tag can be (control characters, too long): left in the file, not imported
      }
      added += this.stores.tags.importUser(id, [clean], `import:${field}`);
    }
    if (added) this.events.emit('photos', [id]);
    return added;
  }

  /** Derive the active model's tags where they are missing or another model's (see Captioning.deriveStaleTags). */
  deriveStaleTags(): Promise<number> {
    return this.captioning.deriveStaleTags();
  }

  private mustGet(id: number): PhotoDetail {
    return this.getPhoto(id) ?? noSuch(`photo with id ${id}`);
  }

  /** Newest first. */
  captionHistory(photoId: number): CaptionEntry[] {
    return this.stores.captions.history(photoId);
  }

  /** The user's own caption: shown from now on, never replaced by a model. */
  setUserCaption(photoId: number, text: string, source = 'user'): PhotoDetail {
    const clean = cleanCaption(text);
    if (!clean) throw new UserError('a caption cannot be empty');
    this.mustGet(photoId);
    this.stores.captions.addUser(photoId, clean, source);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** Drop the user's captions for a photo (an explicit user action): the newest model caption shows again. */
  clearUserCaption(photoId: number): PhotoDetail {
    this.mustGet(photoId);
    this.stores.captions.clearUser(photoId);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** The user's caption for many photos at once (bulk-edits.ts); `undo` in the answer takes it back. */
  setUserCaptions(photoIds: readonly number[], text: string, mode: CaptionMode): BulkCaptionResult & { photoIds: number[] } {
    const out = setCaptions(this.db, this.stores, photoIds, text, mode);
    if (out.photoIds.length) this.events.emit('photos', out.photoIds);
    return out;
  }

  /** Take back setUserCaptions (its answer's `undo`): photos captioned again since keep that caption. */
  undoUserCaptions(captionIds: readonly number[]): BulkUndoResult & { photoIds: number[] } {
    const out = undoCaptions(this.db, this.stores, captionIds);
    if (out.photoIds.length) this.events.emit('photos', out.photoIds);
    return out;
  }

  /** The user's tag on many photos: the ones changed, with the counts (bulk-edits.ts). */
  addTagToPhotos(photoIds: readonly number[], tag: string): BulkTagResult & { photoIds: number[] } {
    const out = addTags(this.db, this.stores, photoIds, tag);
    if (out.photoIds.length) this.events.emit('photos', out.photoIds);
    return out;
  }

  /** Take a tag away from many photos (those that have it). */
  removeTagFromPhotos(photoIds: readonly number[], tag: string): BulkTagResult & { photoIds: number[] } {
    const out = removeTags(this.db, this.stores, photoIds, tag);
    if (out.photoIds.length) this.events.emit('photos', out.photoIds);
    return out;
  }

  /**
   * Show one of the model's alternatives as the caption: shown over the model's captions like the
   * user's, but kept as the model's words (kind 'alternative'), so teaching does not learn from it.
   */
  chooseAlternative(photoId: number, text: string): PhotoDetail {
    const clean = cleanCaption(text);
    if (!clean) throw new UserError('a caption cannot be empty');
    this.mustGet(photoId);
    const modelId = this.stores.captions.newestModelSource(photoId);
    if (modelId === null) throw new UserError(`photo ${photoId} has no model caption to choose an alternative of`);
    this.stores.captions.addAlternative(photoId, clean, modelId);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** Take back a picked alternative while it is still the photo's newest caption: what was shown before shows again. */
  undoChoice(photoId: number, captionId: number): PhotoDetail {
    this.mustGet(photoId);
    const row = this.stores.captions.row(captionId);
    if (!row || row.photoId !== photoId) noSuch(`caption ${captionId} of photo ${photoId}`);
    if (row.kind !== 'alternative') throw new UserError(`caption ${captionId} was not chosen from the model's alternatives`);
    if (this.stores.captions.newestId(photoId) !== captionId) {
      throw new UserError(`caption ${captionId} is no longer the photo's newest caption; restore another one from the history instead`);
    }
    this.stores.captions.remove(captionId);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /** Show an earlier caption of the photo's history again (see CaptionStore.restore). */
  restoreCaption(photoId: number, captionId: number): PhotoDetail {
    this.mustGet(photoId);
    const row = this.stores.captions.row(captionId);
    if (!row || row.photoId !== photoId) noSuch(`caption ${captionId} of photo ${photoId}`);
    this.stores.captions.restore(row);
    this.events.emit('photos', [photoId]);
    return this.mustGet(photoId);
  }

  /**
   * Import user captions (from a dataset file or sidecars). Paths are matched against photos
   * in the library; a photo whose newest user caption already has this text is left alone.
   */
  importUserCaptions(items: Iterable<{ path: string; text: string; app?: string | null }>, source = 'user'): ImportOutcome {
    const { changed, ...outcome } = this.stores.captions.importUser(items, source, (path) => this.photoIdByPath(path));
    if (changed.length) this.events.emit('photos', changed);
    return outcome;
  }

  /** Re-read an errored (or any) photo and queue it for captioning again. */
  retryPhoto(photoId: number): Promise<{ jobId: number | null }> {
    return this.captioning.retry(photoId);
  }

  /** Re-read the failed photos among these and queue the readable ones. */
  retryPhotos(photoIds: readonly number[]): Promise<BulkQueueResult> {
    return this.captioning.retryMany(photoIds);
  }

  /** Caption these photos again with the active model and today's settings (user captions stay shown). */
  recaptionPhotos(photoIds: readonly number[]): BulkQueueResult {
    return this.captioning.recaptionMany(photoIds);
  }

  /** Beam-search alternatives for a photo (stored, or computed now with another beam width). */
  alternatives(photoId: number, beam?: number): Promise<Alternative[]> {
    return this.captioning.alternatives(photoId, beam);
  }

  search(query: string, opts: SearchOptions = {}): SearchResult {
    const similarWords = opts.similarWords ?? this.getSettings().searchSimilarWords;
    const neighbours = similarWords ? this.neighbours.now(this.activeModel()) : null;
    const { under, ...rest } = opts;
    const pathPrefix = this.subtreePrefix(opts.folderId, under);
    const filters = {
      ...rest,
      ...(pathPrefix ? { pathPrefix } : {}),
      from: dateBound(opts.from, false),
      to: dateBound(opts.to, true),
      similarWords,
    };
    const raw = this.stores.searcher.search(query, filters, neighbours);
    const rows = this.stores.photos.rows(raw.hits.map((h) => h.id));
    const hits = raw.hits.filter((h) => rows.has(h.id));
    const toHit = (h: (typeof hits)[number]) => ({
      photo: toSummary(rows.get(h.id)!),
      snippet: h.snippet,
      score: h.score,
      viaSimilar: h.viaSimilar,
      matched: h.matched,
    });
    return { query, total: raw.total, hits: hits.map(toHit), expanded: raw.expanded, didYouMean: raw.didYouMean };
  }

  /** search() once query expansion is loaded (the API's search: the first search answers as later ones do). */
  async searchWhenReady(query: string, opts: SearchOptions = {}): Promise<SearchResult> {
    if (opts.similarWords ?? this.getSettings().searchSimilarWords) await this.expansionReady();
    return this.search(query, opts);
  }

  /** Absolute path of a hit (for the CLI). */
  photoPath(id: number): string | null {
    return this.stores.photos.path(id);
  }

  /** Wait until query expansion for the active model is loaded (or known unavailable). */
  expansionReady(): Promise<boolean> {
    return this.neighbours.ready(this.activeModel());
  }

  /** Add a model directory (holding model.json) to the registry. */
  registerModel(dir: string, opts: { activate?: boolean; activateIfNone?: boolean } = {}): ModelInfo {
    return this.captioning.register(dir, opts);
  }

  listModels(): ModelInfo[] {
    return this.stores.models.list();
  }

  activeModel(): ModelRecord | null {
    return this.stores.models.active();
  }

  /**
   * Make a model the active one and queue re-captioning of every photo whose shown model
   * caption is not its own (user captions stay shown; the model's captions join the history).
   */
  activateModel(id: string, opts: ActivateOptions = {}): { model: ModelInfo; jobId: number | null } {
    this.backupBeforeActivation();
    return this.captioning.activate(id, opts);
  }

  /** A backup before the library's captions start turning into another model's (repair can go back to it). */
  private backupBeforeActivation(): void {
    try {
      backupNow(this.db, this.dir, 'before-activation');
    } catch (err) {
      this.events.emit('warning', `backup before activation: ${(err as Error).message}`);
    }
  }

  /**
   * Queue captioning (pending photos; with recaption, all photos whose newest model caption
   * is missing or from another model) and start the queue. Null when there is nothing to caption or no model.
   */
  queueCaptioning(opts: QueueOptions = {}): number | null {
    return this.captioning.queue(opts);
  }

  listJobs(): JobInfo[] {
    return this.jobs.list();
  }

  /** Run every queued job (resuming ones a killed process left) until the queue is empty. */
  runJobs(): Promise<void> {
    return this.jobs.start();
  }

  /**
   * Caption a folder's waiting photos again after its job was paused or cancelled: paused jobs
   * covering it resume, and the photos no job holds are queued. The job that does it, or null.
   */
  resumeCaptioning(folderId: number): number | null {
    if (!this.folderRoot(folderId)) noSuch(`library folder with id ${folderId}`);
    let resumed: number | null = null;
    for (const job of this.jobs.unfinished()) {
      if (job.status === 'paused' && (job.folderId === folderId || job.folderId === null))
        resumed = this.jobs.resume(job.id)?.id ?? resumed;
    }
    return this.queueCaptioning({ folderId }) ?? resumed;
  }

  pauseJob(id: number): JobInfo {
    return this.jobs.pause(id) ?? noSuch(`job ${id}`);
  }

  resumeJob(id: number): JobInfo {
    return this.jobs.resume(id) ?? noSuch(`job ${id}`);
  }

  /** The photos on the user's screen: the jobs still to caption them take them next (the grid fills top-down). */
  captionFirst(photoIds: readonly number[]): number {
    return this.stores.jobs.want(photoIds);
  }

  /** Forget the jobs that ended (done, cancelled, failed); the jobs still running or waiting are left. */
  clearFinishedJobs(): number {
    return this.jobs.clearFinished();
  }

  cancelJob(id: number): JobInfo {
    return this.jobs.cancel(id) ?? noSuch(`job ${id}`);
  }

  waitForJob(id: number): Promise<JobInfo> {
    return this.jobs.waitFor(id);
  }

  getSettings(): Settings {
    return this.stores.settings.get();
  }

  setSettings(patch: Partial<Settings>): Settings {
    return this.stores.settings.set(patch);
  }

  status(): LibraryStatus {
    const [photos, errorsByKind, jobs] = [this.stores.photos.counts(), this.errorsByKind(), this.jobs.list(10)];
    return { libraryDir: this.dir, folders: this.listFolders(), photos, errorsByKind, jobs, activeModel: this.activeModel()?.id ?? null };
  }

  /** Photos in status 'error', counted per error kind (optionally within some photos). */
  errorsByKind(photoIds?: number[]): Record<string, number> {
    return this.stores.photos.errorsByKind(photoIds);
  }

  /** Every photo (not missing) with its shown, newest user and newest model caption, and its tags. */
  *exportRows(): Generator<ExportRow> {
    const tags = this.stores.tags.byPath();
    for (const row of this.stores.photos.exportRows()) yield { ...row, tags: tags.get(row.path) ?? [] };
  }

  /** Stop watching, let the batch in flight finish (jobs stay resumable), close workers and the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.unwatch();
    await this.captioning.close();
    await this.sync.endExiftool();
    await this.backup;
    this.db.close();
    if (!this.health.readOnly) recordChecked(this.dbPath);
  }
}
