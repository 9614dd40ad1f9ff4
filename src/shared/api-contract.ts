/**
 * The one API contract between the UI and the core. Every call the renderer can make and every
 * event the core pushes is listed here, with a zod schema for its input (validated at the
 * boundary by src/main/api) and the TypeScript type of its result. Electron's preload/IPC, the
 * HTTP server of `lenscribe serve` and the renderer's client all import this file; nothing else
 * defines call names or shapes.
 *
 * Teaching (issue 7): `training.*` calls and the `training` event; captions that travel with the
 * photos (issue 8): `metadata.*` calls and the metadata* settings.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Shared value schemas

/** Database ids are positive integers; anything else is refused before it reaches SQL. */
export const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A caption the user writes: trimmed, not empty, one line, bounded. */
export const CaptionText = z
  .string()
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'A caption cannot be empty.').max(500, 'A caption is at most 500 characters.'));

/** An absolute folder path on the machine that runs the core (no NUL, bounded). */
export const FolderPath = z
  .string()
  .min(1, 'Give a folder path.')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'A path cannot contain NUL characters.');

export const PhotoStatus = z.enum(['pending', 'captioned', 'error', 'missing']);
export const FolderStatus = z.enum(['scanning', 'captioning', 'ready', 'missing', 'error']);
export const JobStatus = z.enum(['queued', 'running', 'paused', 'done', 'cancelled', 'failed']);
export const Theme = z.enum(['system', 'light', 'dark']);
export const PhotoSort = z.enum(['path', 'taken', 'added']);
/** Where a saved caption is also written: nowhere (default), an XMP sidecar, a .txt sidecar, or into the photo file. */
export const MetadataWrite = z.enum(['off', 'xmp', 'txt', 'embedded']);
/** Which captions travel: only the user's, or the model's too (never over a description another app wrote). */
export const MetadataOnly = z.enum(['user', 'all']);
export const MetadataFormat = z.enum(['xmp', 'txt', 'embedded']);

export type PhotoStatus = z.infer<typeof PhotoStatus>;
export type FolderStatus = z.infer<typeof FolderStatus>;
export type JobStatus = z.infer<typeof JobStatus>;
export type Theme = z.infer<typeof Theme>;
export type MetadataWrite = z.infer<typeof MetadataWrite>;
export type MetadataOnly = z.infer<typeof MetadataOnly>;
export type MetadataFormat = z.infer<typeof MetadataFormat>;

// ---------------------------------------------------------------------------------------------
// Result shapes (produced by the core; typed, not re-validated at runtime)

export interface LibraryInfo {
  /** Folder holding the database and the thumbnail cache. */
  libraryDir: string;
  photoCount: number;
  folderCount: number;
  /** Id of the active caption model, or null when none is installed. */
  activeModel: string | null;
  /** Which transport the client is talking through, and what it can do. */
  capabilities: { pickFolder: boolean; dropFolders: boolean };
}

export interface Folder {
  id: number;
  path: string;
  status: FolderStatus;
  photoCount: number;
  captionedCount: number;
  pendingCount: number;
  errorCount: number;
}

/** One cell of the grid: enough to draw a thumbnail and its caption. */
export interface PhotoSummary {
  id: number;
  folderId: number;
  /** Path relative to the folder, '/'-separated (what media URLs are built from). */
  relPath: string;
  name: string;
  status: PhotoStatus;
  caption: string | null;
  captionSource: string | null;
  /** File name (in the library's thumbnail cache) of the thumbnail, or null if none yet. */
  thumb: string | null;
  width: number | null;
  height: number | null;
}

export interface Caption {
  id: number;
  text: string;
  /** A model id, or 'user' for the user's own words. */
  source: string;
  score: number | null;
  createdAt: string;
}

export interface PhotoDetail extends PhotoSummary {
  path: string;
  size: number;
  mtime: string;
  takenAt: string | null;
  error: string | null;
  /** Newest first. The shown caption is the newest user caption, else the newest model caption. */
  history: Caption[];
}

export interface PhotoPage {
  total: number;
  offset: number;
  items: PhotoSummary[];
}

export interface Alternative {
  text: string;
  /** Mean log-probability per word from beam search (higher is better). */
  score: number;
}

export interface SearchHit {
  photo: PhotoSummary;
  /** The caption with matches wrapped in \u0002 … \u0003 (never HTML: the UI renders it safely). */
  snippet: string;
  score: number;
  /** True when the photo matched only through similar words, not the words typed. */
  viaSimilar: boolean;
}

export interface SearchResult {
  query: string;
  total: number;
  hits: SearchHit[];
  /** Words added by query expansion, per typed word. */
  expanded: Array<{ term: string; similar: string[] }>;
}

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  folderId: number | null;
  done: number;
  failed: number;
  total: number;
  /** Items per second over the recent window, or null before there is one. */
  rate: number | null;
  etaSeconds: number | null;
  message: string | null;
}

export interface ModelInfo {
  id: string;
  name: string;
  active: boolean;
  createdAt: string | null;
  metrics: Record<string, number>;
}

export interface Settings {
  theme: Theme;
  captionsUnderThumbnails: boolean;
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
}

export const defaultSettings: Settings = {
  theme: 'system',
  captionsUnderThumbnails: true,
  searchSimilarWords: true,
  beamWidth: 3,
  metadataWrite: 'off',
  metadataOnly: 'user',
  metadataKeepMtime: false,
};

/** Result of importing descriptions other apps wrote (XMP, IPTC, EXIF, .txt sidecars). */
export interface MetadataImportResult {
  photos: number;
  imported: number;
  unchanged: number;
  withProblems: number;
  /** The first problems, one line each (unreadable sidecar, corrupt photo…). */
  problems: string[];
}

/** Result of writing captions where other apps read them. */
export interface MetadataExportResult {
  format: MetadataFormat;
  photos: number;
  written: number;
  unchanged: number;
  /** Another app already described the photo: its text was kept. */
  keptTheirs: number;
  /** The file changed since Lenscribe last read it: nothing written, nothing lost. */
  conflicts: number;
  failed: number;
  /** Photos without a caption to write under the chosen 'only'. */
  skipped: number;
  /** One line per photo that was not simply written (first ones only). */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Teaching: fine-tuning the caption model on the user's own captions (issue 7)

/**
 * Where teaching stands: nothing going on (maybe a last error), a run in progress, a run that
 * died (kill, crash: resume or discard), or a finished version waiting for Activate / Discard.
 */
export type TrainingState = 'idle' | 'running' | 'interrupted' | 'ready';

/** One point of a loss curve: x is the (fractional) epoch, so train and validation share an axis. */
export interface CurvePoint {
  epoch: number;
  loss: number;
}

/** Caption scores on a set of photos (CIDEr-D on coco's scale). */
export interface TrainingScores {
  images: number;
  loss: number | null;
  bleu4: number;
  cider: number;
}

export interface TrainingMetrics {
  /** The user's held-back validation photos: before (active model) and after (new version). */
  user: { before: TrainingScores; after: TrainingScores };
  /** The base model's own validation photos (forgetting shows here); null without them. */
  base: { before: TrainingScores; after: TrainingScores } | null;
  /** Relative change of base-validation CIDEr-D; null without a base set. */
  baseCiderChange: number | null;
}

/** A validation photo's caption before (active model) and after (the new version). */
export interface BeforeAfter {
  photoId: number | null;
  name: string;
  thumb: string | null;
  /** What the user wrote. */
  reference: string;
  before: string;
  after: string;
}

/** What a finished run produced: a new model version, not active until the user says so. */
export interface TrainingResult {
  versionId: string;
  baseModel: string;
  trainPhotos: number;
  validationPhotos: number;
  /** Words the model did not know before (names of people, pets, places). */
  newWords: string[];
  epochsRun: number;
  bestEpoch: number;
  stopReason: 'completed' | 'early-stopped';
  seconds: number;
  metrics: TrainingMetrics;
  beforeAfter: BeforeAfter[];
}

export interface TrainingRun {
  state: TrainingState;
  /** While running: 'features' | 'prepare' | 'train' | 'validate' | 'evaluate' | 'save'. */
  phase: string | null;
  baseModel: string | null;
  startedAt: string | null;
  /** 0-based epoch in progress, of `epochs` at most (early stopping may end sooner). */
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number | null;
  valLoss: number | null;
  etaSeconds: number | null;
  /** Training loss as it goes (per reported step) and validation loss per epoch. */
  train: CurvePoint[];
  validation: CurvePoint[];
  /** Interrupted runs: whether a checkpoint allows resuming. */
  canResume: boolean;
  /** Ready: the new version. Idle: the last finished run (already activated or discarded), if any. */
  result: TrainingResult | null;
  /** The last failure, cancellation or progress message. */
  message: string | null;
}

export interface TrainingStatus {
  /** Photos with a user caption (the labeled set). */
  labeledCount: number;
  trainCount: number;
  /** How many of them are held back to check the result. */
  validationCount: number;
  /** Fewest labeled photos a run accepts. */
  minimumLabeled: number;
  /** The labeled photos (up to the requested limit). */
  labeled: Array<PhotoSummary & { validation: boolean }>;
  activeModel: string | null;
  /** The model a rollback returns to, if any. */
  rollbackTo: string | null;
  run: TrainingRun;
}

export const idleRun: TrainingRun = {
  state: 'idle',
  phase: null,
  baseModel: null,
  startedAt: null,
  epoch: 0,
  epochs: 0,
  step: 0,
  steps: 0,
  loss: null,
  valLoss: null,
  etaSeconds: null,
  train: [],
  validation: [],
  canResume: false,
  result: null,
  message: null,
};

// ---------------------------------------------------------------------------------------------
// Calls: name -> input schema (the result type is in ApiResults below)

const Empty = z.object({}).strict().optional().default({});

export const apiInputs = {
  'library.info': Empty,

  'folders.list': Empty,
  'folders.add': z.object({ path: FolderPath }).strict(),
  'folders.remove': z.object({ id: Id }).strict(),
  'folders.rescan': z.object({ id: Id }).strict(),

  'photos.list': z
    .object({
      folderId: Id.optional(),
      status: PhotoStatus.optional(),
      sort: PhotoSort.optional().default('path'),
      offset: z.number().int().min(0).max(100_000_000).default(0),
      limit: z.number().int().min(1).max(2000).default(200),
    })
    .strict(),
  'photos.get': z.object({ id: Id }).strict(),
  'photos.retry': z.object({ id: Id }).strict(),

  'captions.set': z.object({ photoId: Id, text: CaptionText }).strict(),
  'captions.clearUser': z.object({ photoId: Id }).strict(),
  'captions.history': z.object({ photoId: Id }).strict(),
  'captions.alternatives': z.object({ photoId: Id, beam: z.number().int().min(2).max(10).optional() }).strict(),

  search: z
    .object({
      query: z.string().max(500, 'A search is at most 500 characters.'),
      folderId: Id.optional(),
      from: z.iso.date().optional(),
      to: z.iso.date().optional(),
      similarWords: z.boolean().optional(),
      offset: z.number().int().min(0).max(1_000_000).default(0),
      limit: z.number().int().min(1).max(1000).default(200),
    })
    .strict(),

  'jobs.list': Empty,
  'jobs.pause': z.object({ id: Id }).strict(),
  'jobs.resume': z.object({ id: Id }).strict(),
  'jobs.cancel': z.object({ id: Id }).strict(),

  'models.list': Empty,
  'models.activate': z.object({ id: z.string().min(1).max(200) }).strict(),
  /** Back to the version active before the current one. */
  'models.rollback': Empty,

  'training.status': z
    .object({ limit: z.number().int().min(0).max(2000).default(200) })
    .strict()
    .optional()
    .default({ limit: 200 }),
  'training.start': z
    .object({ epochs: z.number().int().min(1).max(50).optional() })
    .strict()
    .optional()
    .default({}),
  'training.cancel': Empty,
  /** After an interrupted run (crash, kill): continue from its last checkpoint… */
  'training.resume': Empty,
  /** …or throw the interrupted run, or a finished version the user does not want, away. */
  'training.discard': Empty,
  /** Make the finished version the active model; re-captions every photo without a user caption. */
  'training.activate': Empty,

  'metadata.import': Empty,
  'metadata.export': z
    .object({
      /** Default: the metadataWrite setting (refused when that is 'off'). */
      format: MetadataFormat.optional(),
      only: z.enum(['user', 'model', 'all']).optional(),
    })
    .strict()
    .optional()
    .default({}),

  'settings.get': Empty,
  'settings.set': z
    .object({
      theme: Theme.optional(),
      captionsUnderThumbnails: z.boolean().optional(),
      searchSimilarWords: z.boolean().optional(),
      beamWidth: z.number().int().min(2).max(10).optional(),
      metadataWrite: MetadataWrite.optional(),
      metadataOnly: MetadataOnly.optional(),
      metadataKeepMtime: z.boolean().optional(),
    })
    .strict(),
} as const;

export interface ApiResults {
  'library.info': LibraryInfo;
  'folders.list': Folder[];
  'folders.add': { folder: Folder; jobId: number | null };
  'folders.remove': { removed: boolean };
  'folders.rescan': { jobId: number | null };
  'photos.list': PhotoPage;
  'photos.get': PhotoDetail;
  'photos.retry': { jobId: number | null };
  'captions.set': PhotoDetail;
  'captions.clearUser': PhotoDetail;
  'captions.history': Caption[];
  'captions.alternatives': Alternative[];
  search: SearchResult;
  'jobs.list': Job[];
  'jobs.pause': Job;
  'jobs.resume': Job;
  'jobs.cancel': Job;
  'models.list': ModelInfo[];
  'models.activate': { model: ModelInfo; jobId: number | null };
  'models.rollback': { model: ModelInfo; jobId: number | null };
  'training.status': TrainingStatus;
  'training.start': TrainingRun;
  'training.cancel': TrainingRun;
  'training.resume': TrainingRun;
  'training.discard': TrainingRun;
  'training.activate': { model: ModelInfo; jobId: number | null };
  'metadata.import': MetadataImportResult;
  'metadata.export': MetadataExportResult;
  'settings.get': Settings;
  'settings.set': Settings;
}

export type ApiMethod = keyof typeof apiInputs;
/** What a caller passes (defaults optional). */
export type ApiInput<M extends ApiMethod> = z.input<(typeof apiInputs)[M]>;
/** What a handler receives after validation (defaults filled in). */
export type ApiParsed<M extends ApiMethod> = z.output<(typeof apiInputs)[M]>;
export type ApiResult<M extends ApiMethod> = ApiResults[M];

export const apiMethods = Object.keys(apiInputs) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(apiInputs, name);
}

// ---------------------------------------------------------------------------------------------
// Events pushed from the core to every connected UI

export type ApiEvent =
  | { kind: 'job'; job: Job }
  | { kind: 'folders'; folders: Folder[] }
  /** Photos changed (captioned, edited, failed): the UI refetches what it shows. */
  | { kind: 'photos'; ids: number[] | null }
  | { kind: 'settings'; settings: Settings }
  /** A fine-tuning run moved (a step, an epoch, validation) or changed state. */
  | { kind: 'training'; run: TrainingRun }
  /** Trouble outside any call the UI is waiting on (a long scan failed, the watcher lost a folder). */
  | { kind: 'notice'; level: 'warning' | 'error'; message: string };

export type ApiEventKind = ApiEvent['kind'];

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

/** Validate a call's input; throws ApiError('invalid_input') listing every problem. */
export function parseInput<M extends ApiMethod>(method: M, input: unknown): ApiParsed<M> {
  const schema = apiInputs[method] as unknown as z.ZodType<ApiParsed<M>>;
  const parsed = schema.safeParse(input === null ? undefined : input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(input)', message: i.message }));
  throw new ApiError('invalid_input', `Invalid input for ${method}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

// ---------------------------------------------------------------------------------------------
// The client every UI uses, whatever the transport

export interface ApiClient {
  call<M extends ApiMethod>(method: M, input?: ApiInput<M>): Promise<ApiResult<M>>;
  /** Subscribe to core events; returns the unsubscribe function. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** URL the UI can put in <img src> for a photo's original file. */
  photoUrl(photo: Pick<PhotoSummary, 'folderId' | 'relPath'>): string;
  /** URL of a thumbnail file from PhotoSummary.thumb. */
  thumbUrl(thumb: string): string;
  /** Transport capabilities: the system folder picker exists only in the desktop app. */
  readonly transport: 'ipc' | 'http';
  pickFolder?(): Promise<string | null>;
  /** Desktop only: the absolute path of a dropped File/folder. */
  pathForFile?(file: File): string | null;
}

/** The bridge Electron's preload exposes as `window.lenscribe` (contextBridge; plain data only). */
export interface LenscribeBridge {
  call(method: string, input: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  pickFolder(): Promise<string | null>;
  pathForFile(file: File): string | null;
  /** Folders dropped or chosen from the app menu arrive here too. */
  onMenuAddFolder(listener: (path: string) => void): () => void;
}

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
