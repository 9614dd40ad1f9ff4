/**
 * How a library folder is laid out on disk: `library.db` (SQLite) beside `thumbs/` (and, once used,
 * teach/, models/, cache/). Recognising one lets scans and watches leave every library's own files
 * alone: a library kept inside a photo folder would otherwise ingest its own thumbnails, thumbnail
 * them, and so on without end.
 */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The library's database file inside its folder. */
export const LIBRARY_DB_FILE = 'library.db';
/** The thumbnail cache inside the library folder (`<content hash>.webp`). */
export const THUMBS_DIR = 'thumbs';

function kind(path: string): 'file' | 'dir' | null {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : null;
  } catch {
    return null;
  }
}

/** `dir` holds a Lenscribe library: its database file and its thumbnail folder. */
export function holdsLibrary(dir: string): boolean {
  return kind(join(dir, LIBRARY_DB_FILE)) === 'file' && kind(join(dir, THUMBS_DIR)) === 'dir';
}

/** The library folder `path` is or lies in (it or an ancestor holds a library), or null. */
export function libraryAround(path: string): string | null {
  for (let dir = path; ; dir = dirname(dir)) {
    if (holdsLibrary(dir)) return dir;
    if (dirname(dir) === dir) return null;
  }
}
