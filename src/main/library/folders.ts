/**
 * The folders table: which folders on disk the library holds, with their photo counts. A store
 * of its own because adding a folder can absorb the library folders inside it (their photos and
 * jobs move over in one transaction), which no other table's code should need to know. What an
 * add would do is told first (planFolder), so the user can be asked before folders merge.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import type { Folder, Subfolder } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import type { DB } from './db.js';
import type { KeptCaptions } from './kept-captions.js';
import { PhotoCountsTable } from './photo-counts.js';

export interface FolderRef {
  id: number;
  path: string;
}

/**
 * What adding a folder does: `new` adds it (absorbing the library folders it `contains`), `same`
 * is a folder already in the library, `inside` lies under library folder `folder` (it is rescanned there).
 */
export type FolderPlan =
  | { kind: 'new'; root: string; contains: FolderRef[] }
  | { kind: 'same'; root: string; folder: FolderRef }
  | { kind: 'inside'; root: string; folder: FolderRef };

/** `child` is `parent` or lies under it. */
export function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** A leading `~` is the home folder of the user the core runs as (a shell would expand it; an API call has no shell). */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') || path.startsWith(`~${sep}`) ? homedir() + path.slice(1) : path;
}

/** Folders of the system, never a photo collection: adding one would scan and watch most of the machine. */
const SYSTEM_FOLDERS = new Set(
  // prettier-ignore
  ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/media', '/mnt', '/opt', '/private', '/proc', '/root', '/run',
    '/sbin', '/snap', '/srv', '/sys', '/usr', '/var', '/Applications', '/Library', '/System', '/Users', '/Volumes'],
);
/** The kernel's and the devices' virtual file systems: nothing anywhere under them is a photo. */
const VIRTUAL_FOLDERS = ['/proc', '/sys', '/dev'];

/** Windows' own folders (C:\Windows, Program Files, ProgramData), where the environment names them. */
function windowsSystemFolders(): string[] {
  if (process.platform !== 'win32') return [];
  const env = process.env;
  return [env.SystemRoot, env.ProgramFiles, env['ProgramFiles(x86)'], env.ProgramData]
    .filter((d): d is string => !!d)
    .map((d) => resolve(d).toLowerCase());
}

/** A UserError when `abs` is a drive's root or a system folder. */
function refuseSystemFolder(abs: string): void {
  if (parse(abs).root === abs)
    throw new UserError(`${abs} is the root of a drive, not a photo folder: add the folders that hold your photos`);
  const system =
    SYSTEM_FOLDERS.has(abs) || VIRTUAL_FOLDERS.some((v) => isInside(abs, v)) || windowsSystemFolders().includes(abs.toLowerCase());
  if (system) throw new UserError(`${abs} is a system folder, not a photo folder: add the folders that hold your photos`);
}

/**
 * The real path of a folder the user named, or a UserError saying why it cannot be added: a
 * relative path (relative to what? the server's working folder is no place the user chose), no
 * folder, a drive's root or a system folder (checked as named and once symlinks are resolved).
 */
export function realFolder(path: string): string {
  if (typeof path !== 'string' || !path || path.includes('\0')) throw new UserError('give a folder path');
  const expanded = expandHome(path);
  if (!isAbsolute(expanded))
    throw new UserError(`"${path}" is a relative path: give the folder's full path, e.g. ${join(homedir(), 'Pictures')}`);
  const abs = resolve(expanded);
  refuseSystemFolder(abs);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UserError(`folder not found: ${abs}`);
  }
  if (!st.isDirectory()) throw new UserError(`not a folder: ${abs}`);
  const real = realpathSync(abs);
  refuseSystemFolder(real);
  return real;
}

/** `root` (a real path) is the whole home folder of the user the core runs as. */
export function isHomeFolder(root: string): boolean {
  try {
    return root === realpathSync(homedir());
  } catch {
    return false;
  }
}

/** "A", "A and B", "A, B and C"; past six names, "A, B, C, D, E and 3 more". */
function listOf(names: string[]): string {
  if (names.length > 6) return `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** One sentence of what adding the folder does, for the user to agree to (null: nothing to ask). */
export function describePlan(plan: FolderPlan): string | null {
  const name = basename(plan.root) || plan.root;
  if (plan.kind === 'same') return `${name} is already in the library.`;
  if (plan.kind === 'inside') {
    const parent = basename(plan.folder.path) || plan.folder.path;
    return `${name} is already in the library, inside ${parent}, where it is shown as a subfolder. Adding it rescans it there.`;
  }
  if (plan.contains.length === 0) return null;
  const inner = plan.contains.map((f) => relative(plan.root, f.path).split(sep).join('/'));
  const them = inner.length === 1 ? 'it' : 'they';
  return (
    `${name} contains ${listOf(inner)}, already in the library; ${them} will be shown as ${inner.length === 1 ? 'a subfolder' : 'subfolders'} ` +
    `of ${name}, and ${inner.length === 1 ? 'its' : 'their'} captions are kept.`
  );
}

export class FolderStore {
  private readonly countsTable: PhotoCountsTable;

  constructor(private readonly db: DB) {
    this.countsTable = new PhotoCountsTable(db);
  }

  all(): FolderRef[] {
    return this.db.prepare('SELECT id, path FROM folders').all() as FolderRef[];
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM folders').get() as { n: number }).n;
  }

  /** Absolute path of a library folder, or null. */
  root(id: number): string | null {
    const row = this.db.prepare('SELECT path FROM folders WHERE id = ?').get(id) as { path: string } | undefined;
    return row?.path ?? null;
  }

  /** The library folder a file lies in (strictly under its root), or null. */
  holding(path: string): number | null {
    const hit = this.all().find((f) => path.startsWith(f.path.endsWith(sep) ? f.path : f.path + sep));
    return hit?.id ?? null;
  }

  /** Add a folder; library folders inside it are absorbed (their photos and jobs become its own). */
  add(root: string): number {
    const inner = this.all().filter((f) => isInside(f.path, root));
    return this.db.transaction(() => {
      const id = Number(this.db.prepare('INSERT INTO folders (path, added_at) VALUES (?, ?)').run(root, Date.now()).lastInsertRowid);
      for (const f of inner) {
        this.db.prepare('UPDATE photos SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
        this.db.prepare('UPDATE jobs SET folder_id = ? WHERE folder_id = ?').run(id, f.id);
        this.db.prepare('DELETE FROM folders WHERE id = ?').run(f.id);
      }
      return id;
    })();
  }

  /** What adding the folder at real path `root` would do. */
  plan(root: string): FolderPlan {
    const all = this.all();
    const same = all.find((f) => f.path === root);
    if (same) return { kind: 'same', root, folder: same };
    const outer = all.find((f) => isInside(root, f.path));
    if (outer) return { kind: 'inside', root, folder: outer };
    return { kind: 'new', root, contains: all.filter((f) => isInside(f.path, root)).sort((a, b) => a.path.localeCompare(b.path)) };
  }

  /**
   * Remove a folder; its photos and their model captions and tags go with it (ON DELETE CASCADE),
   * the user's captions and tags are kept first (kept-captions.ts). Returns the photos whose captions were kept.
   */
  remove(id: number, kept: KeptCaptions): number {
    return this.db.transaction(() => {
      const n = kept.keepFolder(id, Date.now());
      this.db.prepare('DELETE FROM folders WHERE id = ?').run(id);
      return n;
    })();
  }

  /**
   * The folders under a library folder that hold photos, each with the counts of its whole
   * subtree, as '/'-separated paths relative to the root, sorted. Derived from the directories
   * of the photos' paths (photo-counts.ts), so a folder the library absorbed stays browsable.
   */
  subfolders(id: number): Subfolder[] {
    const root = this.root(id);
    if (root === null) return [];
    const base = root.endsWith(sep) ? root : root + sep;
    const tree = new Map<string, Subfolder>();
    for (const r of this.countsTable.dirs(id)) {
      if (!r.dir.startsWith(base) || r.photoCount === 0) continue;
      const parts = r.dir.slice(base.length).split(sep).filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const path = parts.slice(0, i).join('/');
        const node = tree.get(path) ?? { path, photoCount: 0, captionedCount: 0, pendingCount: 0 };
        node.photoCount += r.photoCount;
        node.captionedCount += r.captionedCount;
        node.pendingCount += r.pendingCount;
        tree.set(path, node);
      }
    }
    return [...tree.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Every folder with its counts and status: missing (gone from disk), scanning, captioning
   * (pending photos and a queued or running job for it, or for the whole library: folder null),
   * paused (pending photos, a model to caption them, and no job at work on them: the job was
   * paused or cancelled, or none was started), ready.
   */
  list(scanning: ReadonlySet<number>, busy: ReadonlySet<number | null>, canCaption: boolean): Folder[] {
    const counts = this.countsTable.byFolder();
    const none = { photoCount: 0, captionedCount: 0, pendingCount: 0, errorCount: 0 };
    const folders = this.db.prepare('SELECT id, path FROM folders ORDER BY path').all() as FolderRef[];
    const rows: Array<Omit<Folder, 'status'>> = folders.map((f) => ({ ...f, ...(counts.get(f.id) ?? none) }));
    return rows.map((r) => ({
      ...r,
      status: !existsSync(r.path)
        ? 'missing'
        : scanning.has(r.id)
          ? 'scanning'
          : r.pendingCount > 0 && (busy.has(r.id) || busy.has(null))
            ? 'captioning'
            : r.pendingCount > 0 && canCaption
              ? 'paused'
              : 'ready',
    }));
  }
}
