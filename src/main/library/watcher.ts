/**
 * Keeps the library in step with the folders without rescanning: chokidar reports new,
 * changed and deleted files; moves arrive as delete + add of the same content and are joined
 * by content hash in PhotoWriter.ingest (captions follow the file).
 */
import { watch, type FSWatcher } from 'chokidar';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
  /** How long a file must stay the same size before it counts as written (ms). */
  settleMs?: number;
  /** Use polling (network drives, some containers). */
  polling?: boolean;
  /**
   * The library's own folder: never watched. Folders holding a library are recognised on disk
   * too, but a library being created is not one until both its files exist.
   */
  libraryDir?: string;
}

export class FolderWatcher {
  private readonly watcher: FSWatcher;
  private readonly ready: Promise<void>;
  private readonly sweeps = new Set<ReturnType<typeof setTimeout>>();

  constructor(roots: string[], onEvent: (e: WatchEvent) => void, onError: (err: Error) => void, options: FolderWatcherOptions = {}) {
    this.watcher = watch(roots, {
      ignoreInitial: true,
      followSymlinks: true,
      persistent: true,
      usePolling: options.polling ?? false,
      interval: 200,
      awaitWriteFinish: { stabilityThreshold: options.settleMs ?? 300, pollInterval: 50 },
      ignored: (path, stats) => {
        const name = basename(path);
        if (options.libraryDir && isInside(path, options.libraryDir)) return true;
        if ((!stats || stats.isDirectory()) && holdsLibrary(path)) return true;
        if (roots.includes(path)) return false;
        if (stats?.isDirectory()) return isSkippedFolderName(name);
        if (stats?.isFile()) return isSkippedFileName(name) && !isSidecarName(name);
        return name.startsWith('.') && name.length > 1;
      },
    });
    const changed = (path: string) => onEvent({ type: isSidecarName(basename(path)) ? 'sidecar' : 'upsert', path });
    this.watcher.on('add', changed);
    this.watcher.on('change', changed);
    this.watcher.on('unlink', (path) => {
      if (!isSidecarName(basename(path))) onEvent({ type: 'delete', path });
    });
    // A file written into a new folder between chokidar's first listing of it and the start of
    // its watch is never reported (seen under load). So a new folder is swept twice more, once
    // its watch is surely running; only files that have stopped changing are passed on (ones
    // still being written will be reported by the watch). Upserts of known files are no-ops.
    const settle = options.settleMs ?? 300;
    this.watcher.on('addDir', (path) => {
      if (roots.includes(path)) return;
      for (const delay of [1000, 5000]) {
        const timer = setTimeout(() => {
          this.sweeps.delete(timer);
          void settledFiles(path, settle).then(
            (files) => files.forEach((f) => onEvent({ type: 'upsert', path: f })),
            () => undefined,
          );
        }, delay);
        this.sweeps.add(timer);
      }
    });
    this.watcher.on('error', (err) => onError(err as Error));
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  add(root: string): void {
    this.watcher.add(root);
  }

  unwatch(root: string): void {
    this.watcher.unwatch(root);
  }

  close(): Promise<void> {
    for (const t of this.sweeps) clearTimeout(t);
    this.sweeps.clear();
    return this.watcher.close();
  }
}

/** Photo files directly in `dir` unchanged for `settleMs` (its subfolders get their own addDir). */
async function settledFiles(dir: string, settleMs: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || isSkippedFileName(entry.name)) continue;
    const path = join(dir, entry.name);
    const s = await stat(path).catch(() => null);
    if (s && Date.now() - s.mtimeMs >= settleMs) out.push(path);
  }
  return out;
}
