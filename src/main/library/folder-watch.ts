/**
 * Watching the library's folders: each folder's tree is watched by directory (watcher.ts), its
 * events collected, debounced, and applied in order — deletions first, so a move finds its
 * missing row — one file at a time, one file's trouble never stopping the others.
 *
 * Bounded (issue 17): the directories watched, all folders together, stay within a budget (a cap,
 * and on Linux half of fs.inotify.max_user_watches). A folder over it, or one the system runs out
 * of watches for, falls back to periodic rescans (the scanner skips unchanged files) and says so:
 * a warning, and its WatchState in folders.list, recorded for other processes (watch-state.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { rescanInterval, type Folder, type WatchState } from '../../shared/api-contract.js';
import type { Scanned } from './folder-scan.js';
import type { FolderStore } from './folders.js';
import type { KeptCaptions } from './kept-captions.js';
import { hasPhotoExtension } from './formats.js';
import type { PhotoWriter } from './ingest.js';
import type { PhotoStore } from './photos.js';
import { clearWatchStates, readWatchStates, writeWatchStates } from './watch-state.js';
import { FolderWatcher, WatchLimitError, type FolderWatcherOptions, type WatchBudget, type WatchEvent } from './watcher.js';

/** Directories one library watches at most by default, all its folders together. */
export const DEFAULT_MAX_WATCHED_DIRS = 20_000;
/** How often a folder too big to watch is walked again, at least (ms). */
export const DEFAULT_RESCAN_EVERY_MS = 5 * 60_000;

export interface WatchOptions extends Omit<FolderWatcherOptions, 'libraryDir'> {
  /** Quiet time before collected changes are applied (ms, default 200). */
  debounceMs?: number;
  /**
   * Directories watched at most, all folders together; a folder that does not fit is rescanned
   * periodically instead. Default $LENSCRIBE_WATCH_MAX_DIRS, else DEFAULT_MAX_WATCHED_DIRS; on
   * Linux never more than half of fs.inotify.max_user_watches. Tests lower it.
   */
  maxDirs?: number;
  /** How often such a folder is rescanned (ms, default 5 min); never more often than ten times a rescan's length. */
  rescanEveryMs?: number;
}

/** The directory budget for these options, and the limit that set it (for the fallback's message). */
export function watchBudget(maxDirs?: number): WatchBudget {
  const fromEnv = Number(process.env.LENSCRIBE_WATCH_MAX_DIRS);
  const cap = maxDirs ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_WATCHED_DIRS);
  const budget: WatchBudget = { used: 0, max: cap, limit: `the limit of ${cap.toLocaleString('en')} watched folders` };
  if (process.platform === 'linux') {
    // Other apps (editors, sync clients) share the user's inotify watches: take half at most.
    let system = NaN;
    try {
      system = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
    } catch {
      // not readable: the cap alone
    }
    const share = Math.floor(system / 2);
    if (share < cap)
      Object.assign(budget, { max: share, limit: `half the system's file watches (fs.inotify.max_user_watches = ${system})` });
  }
  return budget;
}

export interface WatchContext {
  /** The library's own folder (never watched; the watch states are recorded there). */
  libraryDir: string;
  folders: FolderStore;
  photos: PhotoStore;
  writer: PhotoWriter;
  /** A photo new to the library gets back the captions kept from a removed folder. */
  kept: KeptCaptions;
  stopped: () => boolean;
  /** Read the descriptions of new and changed photos (and of photos whose sidecar changed). */
  importMetadata: (paths: string[]) => Promise<void>;
  /** After every applied round: the photos that changed, the folders with new or changed files, and the files it could not read. */
  applied: (photoIds: number[], folderIds: Set<number>, failedIds: number[]) => void;
  /** Walk a folder again (FolderSync.rescan), for folders watched by periodic rescans. */
  rescan: (folderId: number) => Promise<Scanned>;
  /** Whether a scan of the folder is running now (a periodic one then waits for its next turn). */
  scanning: (folderId: number) => boolean;
  warn: (message: string) => void;
  /** A folder's WatchState changed (folders.list then says something new). */
  watchChanged: () => void;
}

/** What one round of changes did. */
interface Round {
  changed: number[];
  fresh: string[];
  folders: Set<number>;
  failed: number[];
}

/** One library folder being kept in step: by its tree's events, or by rescans every so often. */
interface Watched {
  id: number;
  path: string;
  tree: FolderWatcher | null;
  timer: NodeJS.Timeout | null;
  state: WatchState;
}

const EVENTS: WatchState = { mode: 'events', reason: null, rescanEveryMs: null };
const OFF: WatchState = {
  mode: 'off',
  reason: 'nothing is watching the library now (the app and lenscribe serve do while they run)',
  rescanEveryMs: null,
};

export class FolderWatch {
  private options: WatchOptions | null = null;
  private budget: WatchBudget = { used: 0, max: 0, limit: '' };
  private readonly roots = new Map<number, Watched>();
  private readonly queue = new Map<string, WatchEvent>();
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  /** Periodic rescans, one at a time. */
  private rescans: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: WatchContext) {}

  /** Watch every library folder until stop(); resolves once each is watched or rescanned. */
  async start(options: WatchOptions = {}): Promise<void> {
    if (this.options) return;
    this.options = options;
    this.budget = watchBudget(options.maxDirs);
    for (const f of this.ctx.folders.all()) {
      if (this.options !== options) return; // stopped meanwhile
      await this.watchRoot(f.id, f.path, options);
    }
    this.record();
  }

  /** A folder new to the library (FolderSync.add); folders it absorbed are watched through it. */
  add(root: string): void {
    if (!this.options) return;
    const folders = this.ctx.folders.all();
    for (const w of [...this.roots.values()]) if (!folders.some((f) => f.id === w.id)) this.drop(w);
    const folder = folders.find((f) => f.path === root);
    if (folder && !this.roots.has(folder.id))
      void this.watchRoot(folder.id, folder.path, this.options)
        .then(() => this.record())
        .catch((err: Error) => this.ctx.warn(`watching ${root}: ${err.message}`));
  }

  unwatch(root: string): void {
    for (const w of [...this.roots.values()]) if (w.path === root) this.drop(w);
    if (this.options) this.record();
  }

  async stop(): Promise<void> {
    const watching = this.options !== null;
    this.options = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of [...this.roots.values()]) this.drop(w);
    await this.busy;
    await this.rescans;
    if (watching) clearWatchStates(this.ctx.libraryDir);
  }

  /** Resolves once every change seen so far has been applied. */
  async settled(): Promise<void> {
    while (this.timer || this.queue.size) {
      await new Promise((r) => setTimeout(r, 50));
      await this.busy;
    }
    await this.busy;
  }

  /** The folders with how changes reach each: this process's states, else those of the process watching the library. */
  describe(folders: Folder[]): Folder[] {
    const elsewhere = this.options ? null : readWatchStates(this.ctx.libraryDir);
    return folders.map((f) => ({ ...f, watch: this.roots.get(f.id)?.state ?? elsewhere?.get(f.path) ?? OFF }));
  }

  private async watchRoot(id: number, path: string, options: WatchOptions): Promise<void> {
    const w: Watched = { id, path, tree: null, timer: null, state: EVENTS };
    this.roots.set(id, w);
    const tree = new FolderWatcher(
      path,
      this.budget,
      (e) => this.enqueue(e),
      (err) => this.fallBack(w, err, true),
      { settleMs: options.settleMs, libraryDir: this.ctx.libraryDir },
    );
    w.tree = tree;
    try {
      await tree.start();
    } catch (err) {
      if (!(err instanceof WatchLimitError)) throw err;
      if (this.roots.get(id) === w) this.fallBack(w, err, false);
      return;
    }
    if (this.roots.get(id) !== w) tree.close(); // stopped or removed meanwhile
  }

  /** `w` cannot be watched by events: rescan it every so often (at once when changes may have been missed). */
  private fallBack(w: Watched, err: WatchLimitError, missedSome: boolean): void {
    w.tree?.close();
    w.tree = null;
    const every = this.options?.rescanEveryMs ?? DEFAULT_RESCAN_EVERY_MS;
    w.state = { mode: 'rescans', reason: err.message, rescanEveryMs: every };
    this.ctx.warn(`watching ${w.path}: ${err.message}; it is rescanned every ${rescanInterval(every)} instead`);
    this.schedule(w, missedSome ? 0 : every);
    if (missedSome) this.record();
  }

  private schedule(w: Watched, delay: number): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = null;
      this.rescans = this.rescans
        .then(() => this.rescanOnce(w))
        .catch((err: Error) => this.ctx.warn(`rescanning ${w.path}: ${err.message}`));
    }, delay);
  }

  private async rescanOnce(w: Watched): Promise<void> {
    const current = () => this.options !== null && this.roots.get(w.id) === w && !this.ctx.stopped();
    if (!current()) return;
    const every = this.options!.rescanEveryMs ?? DEFAULT_RESCAN_EVERY_MS;
    if (this.ctx.scanning(w.id)) return this.schedule(w, every); // someone's scan is walking it now
    const t0 = Date.now();
    try {
      const { scan: p, failedIds } = await this.ctx.rescan(w.id);
      if (p.added + p.updated + p.moved > 0 || failedIds.length) this.ctx.applied([], new Set([w.id]), failedIds);
    } catch (err) {
      this.ctx.warn(`rescanning ${w.path}: ${(err as Error).message}`);
    }
    if (!current()) return;
    // A tree that takes long to walk is walked less often: rescans take a tenth of the time at most.
    const next = Math.max(every, 10 * (Date.now() - t0));
    if (next !== w.state.rescanEveryMs) {
      w.state = { ...w.state, rescanEveryMs: next };
      this.record();
    }
    this.schedule(w, next);
  }

  private drop(w: Watched): void {
    w.tree?.close();
    if (w.timer) clearTimeout(w.timer);
    this.roots.delete(w.id);
  }

  private record(): void {
    writeWatchStates(this.ctx.libraryDir, new Map([...this.roots.values()].map((w) => [w.path, w.state])));
    this.ctx.watchChanged();
  }

  private enqueue(e: WatchEvent): void {
    this.queue.set(e.path, e);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      // A failure must not reject the chain: every later change would be silently dropped.
      this.busy = this.busy.then(() => this.apply()).catch((err: Error) => this.ctx.warn(`applying folder changes failed: ${err.message}`));
    }, this.options?.debounceMs ?? 200);
  }

  private async apply(): Promise<void> {
    const events = [...this.queue.values()];
    this.queue.clear();
    // Deletions first, so a move (delete + add of the same content) finds its missing row.
    events.sort((a, b) => (a.type === b.type ? 0 : a.type === 'delete' ? -1 : 1));
    const round: Round = { changed: [], fresh: [], folders: new Set(), failed: [] };
    for (const e of events) {
      if (this.ctx.stopped()) return;
      try {
        await this.applyOne(e, round);
      } catch (err) {
        // One file's trouble (locked database, vanished mid-read) must not stop the others.
        this.ctx.warn(`${e.path}: ${(err as Error).message}`);
      }
    }
    await this.ctx.importMetadata([...new Set(round.fresh)]);
    this.ctx.applied(round.changed, round.folders, round.failed);
  }

  private async applyOne(e: WatchEvent, round: Round): Promise<void> {
    if (e.type === 'delete') {
      if (existsSync(e.path)) return;
      const id = this.ctx.writer.markMissing(e.path);
      if (id !== null) round.changed.push(id);
      else {
        // No photo there: it may have been a folder, whose photos went with it.
        const after = String.fromCharCode(sep.charCodeAt(0) + 1);
        for (const path of this.ctx.photos.presentInRange(e.path + sep, e.path + after)) {
          const gone = this.ctx.writer.markMissing(path);
          if (gone !== null) round.changed.push(gone);
        }
      }
    } else if (e.type === 'sidecar') {
      // Another app described photos in a sidecar: read their descriptions again (only a changed
      // one is imported, as a user caption; the caption history keeps what was there).
      round.fresh.push(...this.photosOfSidecar(e.path));
    } else {
      const folderId = this.ctx.folders.holding(e.path);
      if (folderId === null) return;
      let known: { size: number; mtimeMs: number } | undefined;
      try {
        const s = statSync(e.path);
        known = { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
      } catch {
        known = undefined;
      }
      const r = await this.ctx.writer.ingest(folderId, e.path, known);
      if (r.outcome === 'added') this.ctx.kept.restore(r.photoId);
      if (r.photoId) round.changed.push(r.photoId);
      if (r.outcome === 'error' && r.photoId && !r.again) round.failed.push(r.photoId);
      if (r.outcome !== 'unchanged') round.folders.add(folderId);
      if (r.outcome === 'added' || r.outcome === 'updated' || r.outcome === 'moved') round.fresh.push(e.path);
    }
  }

  /** Library photos a sidecar describes: photo.jpg.xmp → photo.jpg; photo.xmp / photo.txt → photo.<any>. */
  private photosOfSidecar(sidecar: string): string[] {
    const base = sidecar.slice(0, sidecar.length - extname(sidecar).length);
    if (hasPhotoExtension(base)) return this.ctx.writer.get(resolve(base)) ? [base] : [];
    const prefix = `${base}.`;
    // A range on the path index: every path starting with "base." sorts before "base/" ('.' + 1).
    const rows = this.ctx.photos.presentInRange(prefix, `${base}/`);
    return rows.filter((p) => !p.slice(prefix.length).includes(sep) && !p.slice(prefix.length).includes('.'));
  }
}
