/** The shapes of the Library's own API that the contract does not define: its options, events and status. */
import type { Folder } from '../../shared/api-contract.js';
import type { CaptionerFactory } from './captioners.js';
import type { EmbeddingLoader } from './expansion.js';
import type { ScanProgress } from './folder-scan.js';
import type { JobInfo, PhotoCaptioned } from './jobs.js';
import type { PhotoCounts } from './photos.js';

export type LibraryEvents = {
  /** A job changed state or finished a batch. */
  job: JobInfo;
  /** Photos changed (captioned, edited, failed, added, deleted); null = many. */
  photos: number[] | null;
  /** Per-photo results of a captioning batch (the CLI prints these). */
  captioned: PhotoCaptioned[];
  /** Folder list or counts changed. */
  folders: null;
  /** Scan progress, every 100 files and at the end. */
  scan: ScanProgress;
  /** Something worth a log line that is not an error of a call (watcher trouble, model fallback). */
  warning: string;
};

export interface LibraryOptions {
  /** Creates the captioner for a model; default: the encoder+decoder worker pipeline. */
  createCaptioner?: CaptionerFactory;
  /** Loads the word-embedding table of a model for query expansion; default: the decoder's W_embed. */
  loadEmbeddings?: EmbeddingLoader;
  /** Register models/default when present (default true). */
  registerDefaultModel?: boolean;
  /** Photos per pipeline batch (default 16). */
  batchSize?: number;
  /** Caption new photos found by addFolder, rescan and the watcher (default true). */
  autoCaption?: boolean;
  /** Concurrent file probes while scanning (default 4). */
  scanConcurrency?: number;
  /**
   * Import descriptions other apps wrote (XMP, IPTC, EXIF, .txt/.caption sidecars) as user
   * captions when photos are added or changed (default true; src/main/metadata does the reading).
   */
  importMetadata?: boolean;
  /**
   * 'write' (default): a damaged or unwritable library.db is an error. 'read' (commands that only
   * read): opened read-only when it cannot be written, and a damaged one is opened to read, with
   * its problems in Library.health and nothing written to it.
   */
  mode?: 'write' | 'read';
}

export interface LibraryStatus {
  libraryDir: string;
  folders: Folder[];
  photos: PhotoCounts;
  errorsByKind: Record<string, number>;
  jobs: JobInfo[];
  activeModel: string | null;
}
