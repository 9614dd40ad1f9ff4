/**
 * The contract's runtime values the page needs, in a module without zod or Node: the error every
 * transport re-throws, media URL routes, the search-snippet marks and the default settings (with
 * the types they are made of). src/shared/api-contract.ts re-exports all of it, so the core imports
 * the contract as before; the renderer imports values from here and only types from the contract,
 * so zod never reaches its bundle.
 */

// ---------------------------------------------------------------------------------------------
// Errors crossing a transport

export type ApiErrorCode = 'invalid_input' | 'unknown_method' | 'not_found' | 'conflict' | 'unavailable' | 'internal';

export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  /** For invalid_input: which field and why. */
  issues?: Array<{ path: string; message: string }>;
}

/** Thrown by handlers and re-thrown by clients, so UI code sees the same error either way. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: Array<{ path: string; message: string }>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ApiErrorBody {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }

  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.issues);
  }
}

// ---------------------------------------------------------------------------------------------
// Media URLs and search snippets

/** Media URL paths, shared by the HTTP server and the Electron protocol. */
export const mediaRoutes = {
  /** `/media/<folderId>/<relPath, each segment URI-encoded>` */
  photo: (folderId: number, relPath: string) => `media/${folderId}/${relPath.split('/').map(encodeURIComponent).join('/')}`,
  /** `/thumbs/<file name>` */
  thumb: (thumb: string) => `thumbs/${encodeURIComponent(thumb)}`,
};

/** Marks used in SearchHit.snippet around matched words. */
export const SNIPPET_OPEN = '\u0002';
export const SNIPPET_CLOSE = '\u0003';

// ---------------------------------------------------------------------------------------------
// Settings (the contract's zod enums are built from these lists)

export const themeValues = ['system', 'light', 'dark'] as const;
/** Where a saved caption is also written: nowhere (default), an XMP sidecar, a .txt sidecar, or into the photo file. */
export const metadataWriteValues = ['off', 'xmp', 'txt', 'embedded'] as const;
/** Which captions travel: only the user's, or the model's too (never over a description another app wrote). */
export const metadataOnlyValues = ['user', 'all'] as const;

/** How large the grid's thumbnails are (the smallest width of a cell: 140, 190 or 280 px). */
export const thumbnailSizeValues = ['small', 'medium', 'large'] as const;

export type Theme = (typeof themeValues)[number];
export type ThumbnailSize = (typeof thumbnailSizeValues)[number];
export type MetadataWrite = (typeof metadataWriteValues)[number];
export type MetadataOnly = (typeof metadataOnlyValues)[number];

export interface Settings {
  theme: Theme;
  captionsUnderThumbnails: boolean;
  thumbnailSize: ThumbnailSize;
  /** Also match words similar to the typed ones (query expansion). */
  searchSimilarWords: boolean;
  /** Beam width used for alternatives. */
  beamWidth: number;
  /** After the user saves a caption, also write it here ('off': nothing is written to photo folders). */
  metadataWrite: MetadataWrite;
  /** 'user': only the user's own captions are written; 'all': model captions too. */
  metadataOnly: MetadataOnly;
  /** Embedded writes keep the photo file's modification time. */
  metadataKeepMtime: boolean;
  /** With metadata write-back on, the model's tags scoring at least this go to the keywords too (the user's always do). */
  metadataTagMinScore: number;
  /** The desktop app asks GitHub's releases feed for a newer version (off until the user turns it on; never downloads unasked). */
  checkForUpdates: boolean;
}

export const defaultSettings: Settings = {
  theme: 'system',
  captionsUnderThumbnails: true,
  thumbnailSize: 'medium',
  searchSimilarWords: true,
  beamWidth: 3,
  metadataWrite: 'off',
  metadataOnly: 'user',
  metadataKeepMtime: false,
  metadataTagMinScore: 0.5,
  checkForUpdates: false,
};

// ---------------------------------------------------------------------------------------------
// Folder watching

/** "5 min", "1.5 s": a folder's rescan interval (WatchState.rescanEveryMs), as every surface writes it. */
export function rescanInterval(ms: number): string {
  return ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`;
}
