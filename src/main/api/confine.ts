/**
 * Path confinement for everything that serves files to the UI (the HTTP server of `serve` and
 * Electron's custom protocol): a request names a root and a relative path taken from a URL; the
 * answer is a real file inside that root, or a refusal. Traversal (`..`), encoded traversal
 * (`%2e%2e`, `%2f`), absolute paths, backslashes, NUL and symlinks leading out of the root are
 * all refused — checked on the real path, so a link swapped in after scanning cannot escape.
 */
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export class ConfinementError extends Error {
  constructor(
    message: string,
    /** HTTP-like status: 400 malformed, 403 outside the root, 404 absent. */
    readonly status: 400 | 403 | 404,
  ) {
    super(message);
    this.name = 'ConfinementError';
  }
}

/**
 * Split a URL path tail (still percent-encoded, e.g. `a/b%20c.jpg`) into safe segments.
 * Decodes each segment exactly once and refuses any that is empty, `.`, `..`, or contains a
 * separator or NUL after decoding.
 */
export function decodeSegments(encodedTail: string): string[] {
  if (encodedTail.length === 0 || encodedTail.length > 8192) throw new ConfinementError('empty or overlong path', 400);
  const raw = encodedTail.split('/');
  const out: string[] = [];
  for (const seg of raw) {
    let s: string;
    try {
      s = decodeURIComponent(seg);
    } catch {
      throw new ConfinementError('malformed percent-encoding in path', 400);
    }
    if (s === '' || s === '.' || s === '..') throw new ConfinementError('path segments may not be empty, "." or ".."', 400);
    if (s.includes('/') || s.includes('\\') || s.includes('\0'))
      throw new ConfinementError('path segment contains a separator or NUL', 400);
    if (/^[a-zA-Z]:/.test(s)) throw new ConfinementError('drive letters are not allowed in paths', 400);
    out.push(s);
  }
  return out;
}

function inside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' ? false : !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/**
 * Resolve `segments` under `root` to a regular file whose real path is inside the root's real
 * path. Throws ConfinementError otherwise.
 */
export async function resolveConfined(root: string, segments: string[]): Promise<string> {
  if (!isAbsolute(root)) throw new ConfinementError('root must be absolute', 400);
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0')) {
      throw new ConfinementError('invalid path segment', 400);
    }
  }
  const lexical = resolve(root, ...segments);
  if (!inside(resolve(root), lexical)) throw new ConfinementError('path leaves the library folder', 403);
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw new ConfinementError('library folder is not available', 404);
  }
  try {
    realFile = await realpath(lexical);
  } catch {
    throw new ConfinementError('no such file', 404);
  }
  if (!inside(realRoot, realFile)) throw new ConfinementError('path leads outside the library folder', 403);
  const st = await stat(realFile).catch(() => null);
  if (!st) throw new ConfinementError('no such file', 404);
  if (!st.isFile()) throw new ConfinementError('not a file', 404);
  return realFile;
}

/** Convenience: decode a URL tail and resolve it under the root in one step. */
export async function resolveUrlPathInRoot(root: string, encodedTail: string): Promise<string> {
  return resolveConfined(root, decodeSegments(encodedTail));
}

/** Content types for what the UI loads through the media routes and the renderer bundle. */
const types: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.bmp': 'image/bmp',
  '.heic': 'image/heic',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function contentTypeFor(file: string): string {
  const dot = file.lastIndexOf('.');
  return (dot >= 0 && types[file.slice(dot).toLowerCase()]) || 'application/octet-stream';
}
