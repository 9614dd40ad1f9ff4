/**
 * Thumbnail files: written whole or not at all (bytes into a temporary file beside the target,
 * then one rename), and the temporaries a failed or killed write leaves behind removed. A full
 * disk used to leave 0-byte `.tmp` files in the cache for good.
 */
import * as nodeFs from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isProcessAlive } from '../shared/process-alive.js';

/** The file operations a thumbnail write uses (node:fs; a test can hand in one that fails like a full disk). */
export type ThumbnailFs = Pick<typeof nodeFs, 'mkdirSync' | 'writeFileSync' | 'renameSync' | 'rmSync'>;

/** What a thumbnail's temporary file name ends with. */
export const TEMP_SUFFIX = '.tmp';

/**
 * A temporary file whose writer (the pid in its name) has ended, or older than this, is left
 * over from a failed or killed write (a write takes milliseconds); the others may be another
 * process's write in flight and are kept. The age covers a pid the system has since reused.
 */
export const STALE_TEMP_MS = 15 * 60_000;

/** `<thumbnail>.<pid>.<random>.tmp`: the pid of the process that writes it. */
const TEMP_WRITER = /\.(\d+)\.[a-z0-9]*\.tmp$/;

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

/** Whether the temporary file `name` (modified at `mtimeMs`) is left over, not a write in flight. */
export function isStaleTemp(name: string, mtimeMs: number, now = Date.now()): boolean {
  if (now - mtimeMs >= STALE_TEMP_MS) return true;
  const writer = TEMP_WRITER.exec(name);
  return writer !== null && !isProcessAlive(Number(writer[1]));
}

/** Removes the temporary files in `dir` that isStaleTemp finds left over; returns how many. A missing folder holds none. */
export async function removeStaleThumbnailTemps(dir: string, now = Date.now()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith(TEMP_SUFFIX)) continue;
    const file = join(dir, name);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile() || !isStaleTemp(name, st.mtimeMs, now)) continue;
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
