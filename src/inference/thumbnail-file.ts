/**
 * Thumbnail files: written whole or not at all (bytes into a temporary file beside the target,
 * then one rename), and the temporaries a failed or killed write leaves behind removed. A full
 * disk used to leave 0-byte `.tmp` files in the cache for good.
 */
import * as nodeFs from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The file operations a thumbnail write uses (node:fs; a test can hand in one that fails like a full disk). */
export type ThumbnailFs = Pick<typeof nodeFs, 'mkdirSync' | 'writeFileSync' | 'renameSync' | 'rmSync'>;

/** What a thumbnail's temporary file name ends with. */
export const TEMP_SUFFIX = '.tmp';

/**
 * A temporary file older than this is left over from a failed or killed write (a write takes
 * milliseconds); younger ones may be another process's write in flight and are kept.
 */
export const STALE_TEMP_MS = 15 * 60_000;

/** Write `bytes` to `path` whole; false (and no temporary file left) when it cannot be written. */
export function writeThumbnailFile(path: string, bytes: Uint8Array, fs: ThumbnailFs = nodeFs): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMP_SUFFIX}`;
  try {
    fs.mkdirSync(dirname(path), { recursive: true });
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the sweep at the next start removes it
    }
    return false; // a thumbnail is a convenience: the caption still counts
  }
}

/** Removes the temporary files in `dir` older than STALE_TEMP_MS; returns how many. A missing folder holds none. */
export async function removeStaleThumbnailTemps(dir: string, now = Date.now()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(TEMP_SUFFIX)) continue;
    const file = join(dir, name);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile() || now - st.mtimeMs < STALE_TEMP_MS) continue;
    if (
      await unlink(file).then(
        () => true,
        () => false,
      )
    )
      removed++;
  }
  return removed;
}
