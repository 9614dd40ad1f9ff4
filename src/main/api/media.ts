/**
 * Media requests (photos and thumbnails) resolved to files, the same way for the HTTP server and
 * Electron's custom protocol: `media/<folderId>/<relPath…>` under that library folder,
 * `thumbs/<file>` under the library's thumbnail cache. Only what the library indexes is served
 * (a photo row at that path, a photo's thumbnail): a library folder's other files (`secret.txt`)
 * and the cache's other files (a half-written `.tmp`) are not media. The index is asked first, so
 * a refused request never probes the disk; then resolveConfined checks the real path (a link
 * swapped in after scanning cannot escape).
 */
import { join } from 'node:path';
import { ConfinementError, decodeSegments, resolveConfined } from './confine.js';

export interface MediaRoots {
  /** Absolute path of a library folder, or null when there is no such folder. */
  folderRoot(folderId: number): string | null;
  /** Absolute path of the thumbnail cache. */
  thumbsDir(): string;
  /** Whether the library indexes a photo at `path` (the folder's root joined with the URL's segments) in that folder. */
  hasPhoto(folderId: number, path: string): boolean;
  /** Whether `name` is the file name of a photo's thumbnail. */
  hasThumbnail(name: string): boolean;
}

/**
 * `tail` is the URL path after the leading slash (still percent-encoded), e.g.
 * `media/3/holiday/IMG%201.jpg` or `thumbs/ab12.webp`. Returns the absolute real file path.
 */
export async function resolveMedia(roots: MediaRoots, tail: string): Promise<string> {
  const slash = tail.indexOf('/');
  if (slash < 0) throw new ConfinementError('unknown media route', 404);
  const kind = tail.slice(0, slash);
  const rest = tail.slice(slash + 1);
  if (kind === 'thumbs') {
    const segments = decodeSegments(rest);
    if (segments.length !== 1) throw new ConfinementError('thumbnail names are single file names', 400);
    if (!roots.hasThumbnail(segments[0])) throw new ConfinementError('no photo in the library has this thumbnail', 404);
    return resolveConfined(roots.thumbsDir(), segments);
  }
  if (kind === 'media') {
    const cut = rest.indexOf('/');
    if (cut < 0) throw new ConfinementError('missing file path', 400);
    const idText = rest.slice(0, cut);
    if (!/^[1-9][0-9]{0,14}$/.test(idText)) throw new ConfinementError('malformed folder id', 400);
    const folderId = Number(idText);
    const root = roots.folderRoot(folderId);
    if (!root) throw new ConfinementError('no such library folder', 404);
    const segments = decodeSegments(rest.slice(cut + 1));
    if (!roots.hasPhoto(folderId, join(root, ...segments))) throw new ConfinementError('not a photo in the library', 404);
    return resolveConfined(root, segments);
  }
  throw new ConfinementError('unknown media route', 404);
}
