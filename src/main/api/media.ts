/**
 * Media requests (photos and thumbnails) resolved to files, the same way for the HTTP server and
 * Electron's custom protocol: `media/<folderId>/<relPath…>` under that library folder,
 * `thumbs/<file>` under the library's thumbnail cache. Everything goes through resolveConfined.
 */
import { ConfinementError, decodeSegments, resolveConfined } from './confine.js';

export interface MediaRoots {
  /** Absolute path of a library folder, or null when there is no such folder. */
  folderRoot(folderId: number): string | null | Promise<string | null>;
  /** Absolute path of the thumbnail cache. */
  thumbsDir(): string;
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
    return resolveConfined(roots.thumbsDir(), segments);
  }
  if (kind === 'media') {
    const cut = rest.indexOf('/');
    if (cut < 0) throw new ConfinementError('missing file path', 400);
    const idText = rest.slice(0, cut);
    if (!/^[1-9][0-9]{0,14}$/.test(idText)) throw new ConfinementError('malformed folder id', 400);
    const root = await roots.folderRoot(Number(idText));
    if (!root) throw new ConfinementError('no such library folder', 404);
    return resolveConfined(root, decodeSegments(rest.slice(cut + 1)));
  }
  throw new ConfinementError('unknown media route', 404);
}
