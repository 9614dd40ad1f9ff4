/**
 * Recursive folder scan for photo files. Follows symlinks but visits each real directory
 * once (so symlink loops end), skips hidden and system folders and every folder holding a
 * Lenscribe library (library-layout.ts), and keeps only files with a photo extension (their
 * bytes are checked later, while hashing).
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hasPhotoExtension } from './formats.js';
import { holdsLibrary } from './library-layout.js';

export type ScanEntry =
  | { type: 'file'; path: string; size: number; mtimeMs: number }
  | { type: 'error'; path: string; kind: 'unreadable' | 'vanished'; message: string }
  | { type: 'loop'; path: string; target: string };

/** Folders that hold OS or app bookkeeping, never the user's photos. */
const SYSTEM_FOLDERS = new Set([
  '$recycle.bin',
  'system volume information',
  '@eadir',
  '#recycle',
  'lost+found',
  'node_modules',
  '__macosx',
  '.trashes',
  '.spotlight-v100',
  '.fseventsd',
  '.thumbnails',
  '.cache',
]);

export function isSkippedFolderName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FOLDERS.has(name.toLowerCase());
}

export function isSkippedFileName(name: string): boolean {
  // Hidden files and macOS resource forks (._IMG_0001.JPG) are not photos.
  return name.startsWith('.') || !hasPhotoExtension(name);
}

function errorKind(err: NodeJS.ErrnoException): 'unreadable' | 'vanished' {
  return err.code === 'ENOENT' || err.code === 'ENOTDIR' ? 'vanished' : 'unreadable';
}

export async function* scanFolder(root: string, visited: Set<string> = new Set()): AsyncGenerator<ScanEntry> {
  let real: string;
  try {
    real = await realpath(root);
  } catch (err) {
    yield { type: 'error', path: root, kind: errorKind(err as NodeJS.ErrnoException), message: (err as Error).message };
    return;
  }
  if (visited.has(real)) {
    yield { type: 'loop', path: root, target: real };
    return;
  }
  visited.add(real);
  if (holdsLibrary(real)) return;
  let dir;
  try {
    dir = await opendir(root);
  } catch (err) {
    yield {
      type: 'error',
      path: root,
      kind: errorKind(err as NodeJS.ErrnoException),
      message: `cannot read folder: ${(err as Error).message}`,
    };
    return;
  }
  const subdirs: string[] = [];
  try {
    for await (const ent of dir) {
      const path = join(root, ent.name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const s = await stat(path);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) {
        if (!isSkippedFolderName(ent.name)) subdirs.push(path);
      } else if (isFile && !isSkippedFileName(ent.name)) {
        try {
          const s = await stat(path);
          yield { type: 'file', path, size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
        } catch (err) {
          yield { type: 'error', path, kind: errorKind(err as NodeJS.ErrnoException), message: (err as Error).message };
        }
      }
    }
  } catch (err) {
    yield {
      type: 'error',
      path: root,
      kind: errorKind(err as NodeJS.ErrnoException),
      message: `cannot read folder: ${(err as Error).message}`,
    };
  }
  subdirs.sort();
  for (const sub of subdirs) yield* scanFolder(sub, visited);
}

/**
 * How many photo files a scan of `root` would find, counting at most `limit` of them and for at
 * most `ms` (a whole home folder can hold millions): `complete` false when the count stopped early.
 */
export async function countPhotoFiles(root: string, limit: number, ms: number): Promise<{ count: number; complete: boolean }> {
  const end = Date.now() + ms;
  let count = 0;
  for await (const entry of scanFolder(root)) {
    if (entry.type === 'file') count++;
    if (count >= limit || Date.now() > end) return { count, complete: false };
  }
  return { count, complete: true };
}
