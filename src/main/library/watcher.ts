/**
 * Keeps the library in step with one folder tree without rescanning, at a cost that grows with
 * its directories, not its files: every directory gets one fs.watch (one inotify watch on Linux),
 * which reports the names of the files in it that change. A changed name is looked at once it
 * has stopped changing (settleMs): a file becomes an upsert, a vanished name a delete, a new
 * directory is watched and swept. Moves arrive as delete + add of the same content and are
 * joined by content hash in PhotoWriter.ingest (captions follow the file).
 *
 * Nothing per file is held (chokidar, used before, kept an fs.watch and a stat per file: a tree
 * of 200k photos passed Linux's inotify limit, and watching `/` grew `serve` to 5.8 GB). The
 * directories are counted against a budget shared by all the library's folders; a tree over it,
 * or one the system refuses watches for (ENOSPC, EMFILE), is reported through `onLimit` and left
 * to folder-watch.ts's periodic rescans.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { isInside } from './folders.js';
import { holdsLibrary } from './library-layout.js';
import { isSkippedFileName, isSkippedFolderName } from './scanner.js';

/** `sidecar`: an .xmp, .txt or .caption file beside photos was written (another app described them). */
export type WatchEvent = { type: 'upsert'; path: string } | { type: 'delete'; path: string } | { type: 'sidecar'; path: string };

/** Sidecars other apps and dataset tools keep beside photos (src/main/metadata reads them). */
export function isSidecarName(name: string): boolean {
  return !name.startsWith('.') && /\.(xmp|txt|caption)$/i.test(name);
}

export interface FolderWatcherOptions {
  /** How long a file must stay unchanged before it counts as written (ms). */
  settleMs?: number;
  /**
   * The library's own folder: never watched. Folders holding a library are recognised on disk
   * too, but a library being created is not one until both its files exist.
   */
  libraryDir?: string;
}

/** Directories watched by all of a library's trees together, and how many may be. */
export interface WatchBudget {
  used: number;
  max: number;
  /** Why `max` is what it is, for the fallback's message ("the limit of 20,000 watched folders"). */
  limit: string;
}

/** A tree cannot be watched by events: over the budget, or the system refused (ENOSPC, EMFILE). */
export class WatchLimitError extends Error {}

function limitError(err: NodeJS.ErrnoException): WatchLimitError | null {
  if (err.code === 'ENOSPC') return new WatchLimitError('the system ran out of file watches (ENOSPC: fs.inotify.max_user_watches)');
  if (err.code === 'EMFILE' || err.code === 'ENFILE') return new WatchLimitError(`the system ran out of file handles (${err.code})`);
  return null;
}

export class FolderWatcher {
  /** Watched directory (as found under the root) → its watch and real path. */
  private readonly dirs = new Map<string, { watcher: FSWatcher; real: string }>();
  /** Real paths watched: a folder reached twice (a symlink to it) is watched once. */
  private readonly reals = new Set<string>();
  /** Names seen changing, waiting to settle: path → timer. */
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly settleMs: number;
  private closed = false;
  private failed = false;

  constructor(
    private readonly root: string,
    private readonly budget: WatchBudget,
    private readonly onEvent: (e: WatchEvent) => void,
    /** The tree can no longer be watched by events (it grew over the budget, the system refused): it has been closed. */
    private readonly onLimit: (err: WatchLimitError) => void,
    private readonly options: FolderWatcherOptions = {},
  ) {
    this.settleMs = options.settleMs ?? 300;
  }

  /** Directories watched now. */
  get size(): number {
    return this.dirs.size;
  }

  /** Watch the whole tree; rejects with WatchLimitError (everything closed) when it does not fit. */
  async start(): Promise<void> {
    try {
      await this.watchTree(this.root, false);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    this.closed = true;
    for (const d of this.dirs.values()) d.watcher.close();
    this.budget.used -= this.dirs.size;
    this.dirs.clear();
    this.reals.clear();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private skipDir(path: string): boolean {
    if (this.options.libraryDir && isInside(path, this.options.libraryDir)) return true;
    if (path !== this.root && isSkippedFolderName(basename(path))) return true;
    return holdsLibrary(path);
  }

  /**
   * Watch `top` and every folder under it, each real folder once (symlink loops end). A folder's
   * watch starts before it is listed, so a file written meanwhile is either listed or reported.
   * `sweep`: the files found are passed on too (a folder new to the tree, or moved into it).
   */
  private async watchTree(top: string, sweep: boolean): Promise<void> {
    const stack = [top];
    while (stack.length && !this.closed) {
      const dir = stack.pop()!;
      const real = await realpath(dir).catch(() => null);
      if (real === null || this.reals.has(real) || this.dirs.has(dir) || this.skipDir(dir)) continue;
      if (!this.watchDir(dir, real)) continue;
      stack.push(...(await this.list(dir, sweep)));
    }
  }

  /** The folders in `dir`; with `sweep`, its files are passed on to settle and be reported. */
  private async list(dir: string, sweep: boolean): Promise<string[]> {
    const subdirs: string[] = [];
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) isDir = (await stat(path).catch(() => null))?.isDirectory() ?? false;
      if (isDir) subdirs.push(path);
      else if (sweep && !e.name.startsWith('.')) this.changed(path);
    }
    return subdirs;
  }

  /** One directory's watch; false when it cannot be read (gone, no permission). Throws WatchLimitError. */
  private watchDir(dir: string, real: string): boolean {
    if (this.budget.used >= this.budget.max) throw new WatchLimitError(`it holds more folders than ${this.budget.limit} allows`);
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: true }, (_type, name) => this.onRaw(dir, name));
    } catch (err) {
      const limit = limitError(err as NodeJS.ErrnoException);
      if (limit) throw limit;
      return false;
    }
    w.on('error', (err: NodeJS.ErrnoException) => {
      const limit = limitError(err);
      if (limit) this.fail(limit);
      else this.forget(dir); // the folder went away under its watch
    });
    this.dirs.set(dir, { watcher: w, real });
    this.reals.add(real);
    this.budget.used++;
    return true;
  }

  private fail(err: WatchLimitError): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.close();
    this.onLimit(err);
  }

  private onRaw(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    // The folder itself went (Linux reports its own name); its photos go with it.
    if (!existsSync(dir)) {
      this.changed(dir);
      return;
    }
    if (name === null) {
      // No name (some platforms, overflowing queues): the folder's files are looked at again.
      void this.list(dir, true)
        .then((subdirs) => Promise.all(subdirs.map((d) => this.watchTree(d, true))))
        .catch((err: Error) => err instanceof WatchLimitError && this.fail(err));
      return;
    }
    const file = String(name);
    // Hidden names (editors' temp files, ._ resource forks, .DS_Store) are never photos.
    if (file.startsWith('.') || file.includes(sep)) return;
    this.changed(join(dir, file));
  }

  /** `path` changed: look at it once it has been quiet for settleMs. */
  private changed(path: string): void {
    const t = this.pending.get(path);
    if (t) clearTimeout(t);
    this.pending.set(
      path,
      setTimeout(() => void this.settle(path), this.settleMs),
    );
  }

  private async settle(path: string): Promise<void> {
    this.pending.delete(path);
    if (this.closed) return;
    const s = await stat(path).catch(() => null);
    if (this.closed) return;
    const name = basename(path);
    if (!s) {
      if (this.isWatchedTree(path)) this.forget(path);
      // A sidecar's removal changes no photo; anything else may be a photo or a folder of them.
      if (!isSidecarName(name)) this.onEvent({ type: 'delete', path });
      return;
    }
    if (s.isDirectory()) {
      if (this.dirs.has(path)) return;
      await this.watchTree(path, true).catch((err: Error) => {
        if (err instanceof WatchLimitError) this.fail(err);
      });
      return;
    }
    if (!s.isFile()) return;
    const quietFor = Date.now() - s.mtimeMs;
    if (quietFor < this.settleMs) {
      // Still being written: look again once it can have been quiet long enough.
      this.pending.set(
        path,
        setTimeout(() => void this.settle(path), Math.max(20, this.settleMs - quietFor)),
      );
      return;
    }
    if (isSidecarName(name)) this.onEvent({ type: 'sidecar', path });
    else if (!isSkippedFileName(name)) this.onEvent({ type: 'upsert', path });
  }

  private isWatchedTree(path: string): boolean {
    if (this.dirs.has(path)) return true;
    const prefix = path + sep;
    for (const d of this.dirs.keys()) if (d.startsWith(prefix)) return true;
    return false;
  }

  /** Stop watching `path` and everything under it (it is gone). */
  private forget(path: string): void {
    const prefix = path + sep;
    for (const [d, { watcher, real }] of this.dirs) {
      if (d !== path && !d.startsWith(prefix)) continue;
      watcher.close();
      this.dirs.delete(d);
      this.reals.delete(real);
      this.budget.used--;
    }
  }
}
