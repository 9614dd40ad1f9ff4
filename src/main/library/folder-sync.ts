/**
 * Keeping the library in step with its folders on disk: adding, rescanning and removing a
 * folder (folders.ts, folder-scan.ts), the watcher (folder-watch.ts), and reading the
 * descriptions other apps wrote into new and changed photos (src/main/metadata). Captioning
 * what was found is the caller's: it knows the active model and the queue.
 */
import type { Emitter } from '../../shared/emitter.js';
import { UserError } from '../../shared/errors.js';
import type { MetadataLibrary } from '../metadata/library-sync.js';
import { scanIntoFolder, type Scanned, type ScanProgress } from './folder-scan.js';
import { FolderWatch } from './folder-watch.js';
import { realFolder, type FolderPlan } from './folders.js';
import { libraryAround } from './library-layout.js';
import type { LibraryEvents, LibraryOptions } from './library-types.js';
import type { LibraryStores } from './stores.js';

export interface FolderSyncContext {
  /** The library, for src/main/metadata's import of descriptions. */
  library: MetadataLibrary;
  /** The library's own folder: never scanned or watched. */
  libraryDir: string;
  stores: Pick<LibraryStores, 'folders' | 'photos' | 'writer' | 'kept'>;
  options: Pick<LibraryOptions, 'scanConcurrency' | 'importMetadata'>;
  events: Emitter<LibraryEvents>;
  /** The watcher found new or changed files in these folders; `failedIds`: the files among them it could not read. */
  changedFolders: (folderIds: Set<number>, failedIds: number[]) => void;
  stopped: () => boolean;
}

/** A folder that is or lies in a Lenscribe library holds its database and thumbnails, not photos. */
function notALibrary(root: string): void {
  const library = libraryAround(root);
  if (library === root)
    throw new UserError(`${root} holds a Lenscribe library, whose thumbnails are not photos: keep the library outside your photo folders`);
  if (library) throw new UserError(`${root} is inside the Lenscribe library at ${library}: its thumbnails are not photos`);
}

export class FolderSync {
  /** Folders being scanned now (their status says so). */
  readonly scanning = new Set<number>();
  readonly watch: FolderWatch;
  private usedExiftool = false;

  constructor(private readonly ctx: FolderSyncContext) {
    this.watch = new FolderWatch({
      ...ctx.stores,
      libraryDir: ctx.libraryDir,
      stopped: ctx.stopped,
      importMetadata: (paths) => this.importMetadata(paths),
      applied: (changed, folders, failedIds) => {
        if (changed.length) ctx.events.emit('photos', changed);
        ctx.events.emit('folders', null);
        ctx.changedFolders(folders, failedIds);
      },
      rescan: (folderId) => this.rescan(folderId),
      scanning: (folderId) => this.scanning.has(folderId),
      warn: (message) => ctx.events.emit('warning', message),
      watchChanged: () => ctx.events.emit('folders', null),
    });
  }

  /** What adding the folder at `path` would do (FolderStore.plan); a UserError when it is no folder or a library's. */
  plan(path: string): FolderPlan {
    const root = realFolder(path);
    notALibrary(root);
    return this.ctx.stores.folders.plan(root);
  }

  /**
   * Add a folder (recursively) and ingest its photos. A folder inside one already in the
   * library is that folder (rescanned there); a folder containing library folders absorbs them.
   */
  async add(path: string): Promise<{ folderId: number } & Scanned> {
    const plan = this.plan(path);
    const folderId = plan.kind === 'new' ? this.ctx.stores.folders.add(plan.root) : plan.folder.id;
    if (plan.kind === 'new') this.watch.add(plan.root);
    this.ctx.events.emit('folders', null);
    return { folderId, ...(await this.scan(folderId, plan.root)) };
  }

  /**
   * Remove a folder and its photos from the library; the user's captions of them are kept and
   * return when the photos do. Files (photos, sidecars, metadata) are not touched. Null: no such folder.
   */
  remove(id: number): { keptCaptions: number } | null {
    const path = this.ctx.stores.folders.root(id);
    if (!path) return null;
    const keptCaptions = this.ctx.stores.folders.remove(id, this.ctx.stores.kept);
    this.watch.unwatch(path);
    this.ctx.events.emit('folders', null);
    this.ctx.events.emit('photos', null);
    return { keptCaptions };
  }

  /** Walk the folder again: new, changed, moved and deleted files are reflected. */
  async rescan(id: number): Promise<Scanned> {
    const path = this.ctx.stores.folders.root(id);
    if (!path) throw new UserError(`no library folder with id ${id}`);
    return this.scan(id, path);
  }

  private async scan(folderId: number, root: string): Promise<Scanned> {
    notALibrary(root);
    const { events } = this.ctx;
    const { writer, photos } = this.ctx.stores;
    this.scanning.add(folderId);
    let progress: ScanProgress;
    let failedIds: number[];
    try {
      const concurrency = this.ctx.options.scanConcurrency ?? 4;
      const scanContext = {
        writer,
        photos,
        kept: this.ctx.stores.kept,
        concurrency,
        stopped: this.ctx.stopped,
        onProgress: (p: ScanProgress) => events.emit('scan', p),
      };
      const found = await scanIntoFolder(scanContext, folderId, root);
      ({ scan: progress, failedIds } = found);
      await this.importMetadata(found.changedPaths);
    } finally {
      this.scanning.delete(folderId);
    }
    events.emit('scan', { ...progress });
    events.emit('folders', null);
    events.emit('photos', null);
    return { scan: progress, failedIds };
  }

  /** Descriptions already written into (or beside) new and changed photos become user captions. */
  private async importMetadata(paths: string[]): Promise<void> {
    if (this.ctx.options.importMetadata === false || paths.length === 0 || this.ctx.stopped()) return;
    try {
      const { importDescriptions } = await import('../metadata/index.js');
      this.usedExiftool = true;
      const summary = await importDescriptions(this.ctx.library, paths);
      if (summary.imported > 0) this.ctx.events.emit('photos', null);
    } catch (err) {
      this.ctx.events.emit('warning', `reading existing descriptions failed: ${(err as Error).message}`);
    }
  }

  /** End the ExifTool processes reading descriptions started (when it did). */
  async endExiftool(): Promise<void> {
    if (!this.usedExiftool) return;
    try {
      const { endExiftool } = await import('../metadata/index.js');
      await endExiftool();
    } catch {
      // nothing running
    }
  }
}
