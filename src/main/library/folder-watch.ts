/**
 * Watching the library's folders: the watcher's events (watcher.ts) are collected, debounced,
 * and applied in order — deletions first, so a move finds its missing row — one file at a
 * time, one file's trouble never stopping the others. Separate from the scan: it works on
 * single paths as they change, not on a walk of a folder.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import type { FolderStore } from './folders.js';
import type { KeptCaptions } from './kept-captions.js';
import { hasPhotoExtension } from './formats.js';
import type { PhotoWriter } from './ingest.js';
import type { PhotoStore } from './photos.js';
import { FolderWatcher, type FolderWatcherOptions, type WatchEvent } from './watcher.js';

export interface WatchOptions extends Omit<FolderWatcherOptions, 'libraryDir'> {
  /** Quiet time before collected changes are applied (ms, default 200). */
  debounceMs?: number;
}

export interface WatchContext {
  /** The library's own folder (never watched). */
  libraryDir: string;
  folders: FolderStore;
  photos: PhotoStore;
  writer: PhotoWriter;
  /** A photo new to the library gets back the captions kept from a removed folder. */
  kept: KeptCaptions;
  stopped: () => boolean;
  /** Read the descriptions of new and changed photos (and of photos whose sidecar changed). */
  importMetadata: (paths: string[]) => Promise<void>;
  /** After every applied round: the photos that changed, and the folders with new or changed files. */
  applied: (photoIds: number[], folderIds: Set<number>) => void;
  warn: (message: string) => void;
}

/** What one round of changes did. */
interface Round {
  changed: number[];
  fresh: string[];
  folders: Set<number>;
}

export class FolderWatch {
  private watcher: FolderWatcher | null = null;
  private readonly queue = new Map<string, WatchEvent>();
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: WatchContext) {}

  /** Watch every library folder until stop(). */
  async start(options: WatchOptions = {}): Promise<void> {
    if (this.watcher) return;
    const roots = this.ctx.folders.all().map((f) => f.path);
    const debounce = options.debounceMs ?? 200;
    this.watcher = new FolderWatcher(
      roots,
      (e) => {
        this.queue.set(e.path, e);
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          // A failure must not reject the chain: every later change would be silently dropped.
          this.busy = this.busy
            .then(() => this.apply())
            .catch((err: Error) => this.ctx.warn(`applying folder changes failed: ${err.message}`));
        }, debounce);
      },
      (err) => this.ctx.warn(`folder watcher: ${err.message}`),
      { ...options, libraryDir: this.ctx.libraryDir },
    );
    await this.watcher.whenReady();
  }

  add(root: string): void {
    this.watcher?.add(root);
  }

  unwatch(root: string): void {
    this.watcher?.unwatch(root);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const w = this.watcher;
    this.watcher = null;
    await w?.close();
    await this.busy;
  }

  /** Resolves once every change seen so far has been applied. */
  async settled(): Promise<void> {
    while (this.timer || this.queue.size) {
      await new Promise((r) => setTimeout(r, 50));
      await this.busy;
    }
    await this.busy;
  }

  private async apply(): Promise<void> {
    const events = [...this.queue.values()];
    this.queue.clear();
    // Deletions first, so a move (delete + add of the same content) finds its missing row.
    events.sort((a, b) => (a.type === b.type ? 0 : a.type === 'delete' ? -1 : 1));
    const round: Round = { changed: [], fresh: [], folders: new Set() };
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
    this.ctx.applied(round.changed, round.folders);
  }

  private async applyOne(e: WatchEvent, round: Round): Promise<void> {
    if (e.type === 'delete') {
      if (existsSync(e.path)) return;
      const id = this.ctx.writer.markMissing(e.path);
      if (id !== null) round.changed.push(id);
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
