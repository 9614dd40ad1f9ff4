/**
 * Keeps the library in step with the folders without rescanning: chokidar reports new,
 * changed and deleted files; moves arrive as delete + add of the same content and are joined
 * by content hash in PhotoWriter.ingest (captions follow the file).
 */
import { watch, type FSWatcher } from 'chokidar';
import { basename } from 'node:path';
import { isSkippedFileName, isSkippedFolderName } from './scanner.js';

export type WatchEvent = { type: 'upsert'; path: string } | { type: 'delete'; path: string };

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
        if (stats?.isFile()) return isSkippedFileName(name);
        return name.startsWith('.') && name.length > 1;
      },
    });
    this.watcher.on('add', (path) => onEvent({ type: 'upsert', path }));
    this.watcher.on('change', (path) => onEvent({ type: 'upsert', path }));
    this.watcher.on('unlink', (path) => onEvent({ type: 'delete', path }));
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
