/**
 * Why one photo could not be encoded. The library stores `kind`; the job goes on.
 */
export type PhotoErrorKind =
  /** The path does not exist (or vanished before we read it). */
  | 'not-found'
  /** Exists but cannot be read: permission, a directory, a symlink loop, an I/O error. */
  | 'unreadable'
  /** Zero bytes. */
  | 'empty'
  /** Image data ends early. */
  | 'truncated'
  /** A known image format whose data is damaged. */
  | 'corrupt'
  /** Not an image format this build decodes (e.g. HEIC without its codec, a text file). */
  | 'unsupported'
  /** More decoded pixels than the limit (decompression-bomb guard). */
  | 'too-large';

export class PhotoError extends Error {
  constructor(
    readonly kind: PhotoErrorKind,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'PhotoError';
  }

  toJSON(): { kind: PhotoErrorKind; path: string; message: string } {
    return { kind: this.kind, path: this.path, message: this.message };
  }
}

export function isPhotoError(e: unknown): e is PhotoError {
  return e instanceof PhotoError;
}

/** Maps a filesystem error (from fs.readFile/open) to a kind. */
export function fsErrorKind(code: string | undefined): PhotoErrorKind {
  return code === 'ENOENT' || code === 'ENOTDIR' ? 'not-found' : 'unreadable';
}
