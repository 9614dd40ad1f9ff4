/**
 * Keeps the library in step with the folders without rescanning: chokidar reports new,
 * changed and deleted files; moves arrive as delete + add of the same content and are joined
 * by content hash in PhotoWriter.ingest (captions follow the file).
 */
import { watch, type FSWatcher } from 'chokidar';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
}

export class FolderWatcher {
  private readonly watcher: FSWatcher;
  private readonly ready: Promise<void>;

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
    // Files written into a folder in the moment between its creation and chokidar watching it
    // can go unreported (a known race, worst under load), so a new folder is listed once itself.
    // Upserts of files already known are cheap no-ops.
    this.watcher.on('addDir', (path) => {
      if (roots.includes(path)) return;
      void listFiles(path).then((files) => files.forEach((f) => onEvent({ type: 'upsert', path: f })), () => undefined);
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
    return this.watcher.close();
  }
}

/** Every file below `dir` that a scan would consider (skipped names and hidden folders left out). */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!isSkippedFolderName(entry.name)) out.push(...(await listFiles(path).catch(() => [])));
    } else if (entry.isFile() && !isSkippedFileName(entry.name)) out.push(path);
  }
  return out;
}
