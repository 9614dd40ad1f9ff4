/**
 * File snapshots (mtime, size, hash) and the commit step every write goes through:
 * the new content is prepared in a temp file beside the target, then — only if the target is
 * still what we read — it replaces the target in one rename (or, for a new file, appears by a
 * hard link that fails if another program created the file meanwhile). A crash leaves either the
 * old file or the new one, never half of either.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { TEMP_MARK } from './sidecars.js';
import type { FileSnapshot } from './types.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function snapshot(path: string): Promise<FileSnapshot> {
  try {
    const st = await stat(path);
    return { path, exists: true, mtimeMs: st.mtimeMs, size: st.size, sha256: await sha256File(path) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, mtimeMs: 0, size: 0, sha256: '' };
    throw err;
  }
}

/** Below this size (sidecars, text files) a file is always re-hashed: coarse mtimes (FAT: 2 s) cannot hide an edit. */
const ALWAYS_HASH_BELOW = 1 << 20;

/**
 * Whether the file at `before.path` still holds what `before` saw. A big file (a photo) with the
 * same mtime and size is taken as unchanged without hashing; a changed mtime with identical bytes
 * (a touch, a copy back) is unchanged too.
 */
export async function unchangedSince(before: FileSnapshot): Promise<boolean> {
  let st;
  try {
    st = await stat(before.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return !before.exists;
    throw err;
  }
  if (!before.exists) return false;
  if (st.size !== before.size) return false;
  if (st.mtimeMs === before.mtimeMs && st.size >= ALWAYS_HASH_BELOW) return true;
  return (await sha256File(before.path)) === before.sha256;
}

/** A fresh temp path beside `target` with the same extension (ExifTool picks the format by it). */
export function tempPathFor(target: string): string {
  const ext = extname(target);
  const stem = basename(target, ext);
  return join(dirname(target), `.${stem}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}${ext}`);
}

export class ConcurrentChangeError extends Error {
  constructor(readonly path: string) {
    super(`${path} was changed by another program while Lenscribe was writing it; nothing was overwritten`);
    this.name = 'ConcurrentChangeError';
  }
}

/**
 * Replace `before.path` with `tempPath` if nobody changed it since `before` was taken.
 * Throws ConcurrentChangeError (temp removed, target untouched) otherwise.
 */
export async function commitTemp(tempPath: string, before: FileSnapshot): Promise<void> {
  const target = before.path;
  try {
    if (!(await unchangedSince(before))) throw new ConcurrentChangeError(target);
    if (before.exists) {
      await rename(tempPath, target);
      return;
    }
    try {
      // link() refuses to replace: if another program created the file a moment ago, we lose, not it.
      await link(tempPath, target);
      await unlink(tempPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new ConcurrentChangeError(target);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      // File systems without hard links (FAT, exFAT on memory cards): check, then rename.
      if (!(await unchangedSince(before))) throw new ConcurrentChangeError(target);
      await rename(tempPath, target);
    }
  } catch (err) {
    await unlink(tempPath).catch(() => {});
    throw err;
  }
}
