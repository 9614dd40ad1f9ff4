/**
 * The one API contract between the UI and the core. Every call the renderer can make and every
 * event the core pushes is listed here, with a zod schema for its input (validated at the
 * boundary by src/main/api) and the TypeScript type of its result. Electron's preload/IPC, the
 * HTTP server of `lenscribe serve` and the renderer's client all import this file; nothing else
 * defines call names or shapes.
 *
 * Teaching (issue 7): `teach.*` calls and the `teach` event; captions that travel with the
 * photos (issue 8): `metadata.*` calls and the metadata* settings.
 *
 * The runtime values the page needs (ApiError, media routes, snippet marks, default settings) live
 * in the zod-free ./api-values.ts and are re-exported here.
 */
import { z } from 'zod';
import {
  ApiError,
  metadataOnlyValues,
  metadataWriteValues,
  themeValues,
  thumbnailSizeValues,
  type ApiErrorBody,
  type MetadataOnly as MetadataOnlyValue,
  type MetadataWrite as MetadataWriteValue,
  type Settings,
  type Theme as ThemeValue,
} from './api-values.js';

export {
  ApiError,
  defaultSettings,
  mediaRoutes,
  rescanInterval,
  SNIPPET_CLOSE,
  SNIPPET_OPEN,
  type ApiErrorBody,
  type ApiErrorCode,
  type Settings,
} from './api-values.js';

// ---------------------------------------------------------------------------------------------
// Shared value schemas

/** Database ids are positive integers; anything else is refused before it reaches SQL. */
export const Id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A caption the user writes: trimmed, not empty, one line, bounded. */
export const CaptionText = z
  .string()
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'A caption cannot be empty.').max(500, 'A caption is at most 500 characters.'));

/**
 * An absolute folder path on the machine that runs the core (no NUL, bounded). A leading `~` is
 * the home folder there; a relative path is refused (it would resolve against the server's working folder).
 */
export const FolderPath = z
  .string()
  .min(1, 'Give a folder path.')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'A path cannot contain NUL characters.')
  .refine((p) => /^(\/|~([/\\]|$)|[A-Za-z]:[/\\]|\\\\)/.test(p), {
    error: (issue) => `${JSON.stringify(String(issue.input)).slice(0, 120)} is a relative path. Use a full path, e.g. /home/you/Pictures`,
  });

/** A tag the user types: one line, spaces collapsed, not empty, bounded (MAX_TAG_LENGTH in src/main/library/tags.ts). */
export const TagText = z
  .string()
  // eslint-disable-next-line no-control-regex -- control characters have no place in a keyword
  .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), 'A tag cannot contain control characters.')
  .transform((s) => s.replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'A tag cannot be empty.').max(64, 'A tag is at most 64 characters.'));

/** The most photos one call changes at once (a selection of a whole large library fits the 1 MB body limit). */
export const MAX_SELECTION = 100_000;
/** Many photos at once: the grid's selection. */
export const PhotoIds = z.array(Id).min(1, 'Select at least one photo.').max(MAX_SELECTION, `At most ${MAX_SELECTION} photos at once.`);

/** A subfolder of a library folder, '/'-separated and relative to it (Subfolder.path): never above it. */
export const SubfolderPath = z
  .string()
  .max(4096)
  .refine((p) => !p.split(/[\\/]/).some((seg) => seg === '..' || seg === '.') && !p.includes('\0'), {
    message: 'A subfolder is a path inside the folder ("Trips/2024"), without "." or ".." parts.',
  });
export const PhotoStatus = z.enum(['pending', 'captioned', 'error', 'missing']);
export const FolderStatus = z.enum(['scanning', 'captioning', 'paused', 'ready', 'missing', 'error']);
export const JobStatus = z.enum(['queued', 'running', 'paused', 'done', 'cancelled', 'failed']);
/**
 * How changes on disk reach a library folder: `events` (its folders are watched), `rescans` (it is
 * too big to watch, or the system ran out of watches: it is walked again every `rescanEveryMs`),
 * `off` (nothing is watching the library now). `reason` says why it is not `events`.
 */
export const WatchMode = z.enum(['events', 'rescans', 'off']);
export const WatchState = z.object({
  mode: WatchMode,
  reason: z.string().max(1000).nullable(),
  rescanEveryMs: z.number().int().positive().nullable(),
});
export const Theme = z.enum(themeValues);
/** The grid's orders: folder order ('path': each folder's photos by name, then each subfolder's tree whole), date taken (newest first; the file's date when the photo has none), date added (newest first), file name. */
export const PhotoSort = z.enum(['path', 'taken', 'added', 'name']);
/** Whose caption a photo shows: the user's own words (typed or imported), or the model's (its caption or an alternative the user picked). */
export const CaptionBy = z.enum(['user', 'model']);
export const MetadataWrite = z.enum(metadataWriteValues);
export const MetadataOnly = z.enum(metadataOnlyValues);
export const MetadataFormat = z.enum(['xmp', 'txt', 'embedded']);

export type PhotoStatus = z.infer<typeof PhotoStatus>;
export type FolderStatus = z.infer<typeof FolderStatus>;
export type WatchMode = z.infer<typeof WatchMode>;
export type WatchState = z.infer<typeof WatchState>;
export type JobStatus = z.infer<typeof JobStatus>;
export type Theme = ThemeValue;
export type MetadataWrite = MetadataWriteValue;
export type MetadataOnly = MetadataOnlyValue;
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
  /** How changes on disk reach it (WatchState); listed by the core, absent where a folder is only described. */
  watch?: WatchState;
}

/** A folder under a library folder that holds photos (`folders.subfolders`); counts are of its whole tree. */
export interface Subfolder {
  /** Relative to the library folder, '/'-separated. */
  path: string;
  photoCount: number;
  captionedCount: number;
  pendingCount: number;
}

/** A folder change the user should agree to first: the same call again with `confirm: true` goes ahead. */
export interface NeedsConfirmation {
  outcome: 'needs-confirmation';
  /** What will happen, in the user's words (the question's text). */
  message: string;
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

/**
 * Who a caption is from: the model; the user's own words; a description imported from the photo's
 * metadata; or one of the model's alternatives the user picked ("chosen from the model's
 * alternatives": shown like the user's, but the model's words, so not a teaching label).
 */
export type CaptionKind = 'model' | 'user' | 'imported' | 'alternative';

/** Where an imported description was read: the place (an XMP sidecar, the photo's IPTC caption, …) and the program that wrote it, when the file says. */
export interface ImportedFrom {
  place: 'xmp-sidecar' | 'xmp' | 'iptc' | 'exif' | 'exif-xpcomment' | 'png' | 'caption-sidecar' | 'txt-sidecar' | (string & {});
  app: string | null;
}

/** One caption of a photo's history (PhotoDetail.history, `captions.history`). */
export interface CaptionEntry {
  id: number;
  text: string;
  /** A model id (for the model's captions and picked alternatives), 'user' for the user's own words, 'import:<place>' for imported ones. */
  source: string;
  kind: CaptionKind;
  /** For kind 'imported'. */
  importedFrom: ImportedFrom | null;
  score: number | null;
  createdAt: string;
}

/**
 * A tag of a photo (issue 19): a concept the encoders are confident of (kind 'model': source is the
 * model id, score in [0, 1], count when the encoder counts them) or the user's own (kind 'user':
 * typed in Lenscribe, source 'user', or a keyword imported from the photo's metadata, 'import:<field>').
 */
export interface PhotoTag {
  tag: string;
  kind: 'model' | 'user';
  source: string;
  score: number | null;
  count: number | null;
}

/** A tag of the library and how many photos have it (`tags.list`). */
export interface TagCount {
  tag: string;
  photos: number;
}

export interface PhotoDetail extends PhotoSummary {
  path: string;
  size: number;
  mtime: string;
  takenAt: string | null;
  error: string | null;
  /** Newest first. The shown caption is the newest user caption, else the newest model caption. */
  history: CaptionEntry[];
  /** The history entry shown as the caption (null: no caption). */
  captionId: number | null;
  /** Who the shown caption is from (null: no caption). */
  captionKind: CaptionKind | null;
  /** Where the shown caption was imported from, when it was. */
  captionImportedFrom: ImportedFrom | null;
  /** The user's tags first, then the model's by score; tags the user removed are left out. */
  tags: PhotoTag[];
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
  /** Why the photo matched (issue 19): caption words, the last word as a prefix, similar words, tags. */
  matched: SearchMatch;
}

/** Why a search hit matched: which tier it ranks in, and the evidence. */
export interface SearchMatch {
  /** 'words': the words as typed; 'prefix': only with the last word read as a prefix; 'similar': only through expansion. */
  tier: 'words' | 'prefix' | 'similar';
  /** Caption (or file-name) words that matched, lowercase. */
  words: string[];
  /** Tags that matched, with the model's confidence (null: the user's own tag). */
  tags: Array<{ tag: string; score: number | null }>;
}

export interface SearchResult {
  query: string;
  total: number;
  hits: SearchHit[];
  /** Words added by query expansion, per typed word, and where they came from. */
  expanded: Array<{ term: string; similar: string[]; source: 'concepts' | 'embeddings' }>;
  /** When nothing matched: the query with misspelt words replaced by indexed ones ("did you mean dog?"). */
  didYouMean: string[];
}

export interface Job {
  id: number;
  /** 'caption' (a folder's new photos, retries), 'recaption' (every photo, after a model was activated: teaching, rollback). */
  kind: string;
  status: JobStatus;
  folderId: number | null;
  /** The model writing the captions. */
  modelId: string | null;
  /** When it was queued (ms since the epoch). */
  createdAt: number;
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

/** What an import of descriptions other apps wrote counts (the API's result and the library's summary share it). */
export interface MetadataImportCounts {
  photos: number;
  imported: number;
  /** Photos whose description was already the newest user caption. */
  unchanged: number;
  /** Photos with at least one problem (unreadable sidecar, corrupt photo…). */
  withProblems: number;
}

/** Result of importing descriptions other apps wrote (XMP, IPTC, EXIF, .txt sidecars). */
export interface MetadataImportResult extends MetadataImportCounts {
  /** The first problems, one line each (unreadable sidecar, corrupt photo…). */
  problems: string[];
}

/** What an export of captions counts, per photo outcome (the API's result and the library's summary share it). */
export interface MetadataExportCounts {
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
  /** Photos whose keywords (the user's tags, the model's confident ones) were written; a photo without a caption may get these alone. */
  keywordsWritten: number;
}

/** What the camera recorded (EXIF), read from the file when the photo view asks; null where the file does not say. */
export interface CameraFacts {
  camera: string | null;
  lens: string | null;
  /** Seconds. */
  exposureTime: number | null;
  fNumber: number | null;
  iso: number | null;
  /** Millimetres, and the 35 mm equivalent when recorded. */
  focalLength: number | null;
  focalLength35: number | null;
  /** Degrees (south and west negative); metres above sea level. */
  gps: { lat: number; lon: number; altitude: number | null } | null;
}

/** What a caption given to many photos did; `undo` takes it back (captions.undoMany). */
export interface BulkCaptionResult {
  changed: number;
  /** Photos already showing exactly this caption as the user's. */
  unchanged: number;
  /** Ids no longer in the library (removed since they were selected). */
  notFound: number;
  /** The caption rows added, one per changed photo. */
  undo: number[];
}

/** What undoing a caption given to many photos did. */
export interface BulkUndoResult {
  undone: number;
  /** Photos whose caption changed again since: left as they are. */
  keptLater: number;
}

/** What adding or removing a tag on many photos did. */
export interface BulkTagResult {
  changed: number;
  unchanged: number;
  notFound: number;
}

/** What queueing many photos for captioning did. */
export interface BulkQueueResult {
  /** Photos queued (a photo already waiting in a job is not queued twice). */
  queued: number;
  jobId: number | null;
  /** Retry only: files still unreadable after reading them again. */
  stillFailing: number;
}

/** Result of writing captions where other apps read them. */
export interface MetadataExportResult extends MetadataExportCounts {
  format: MetadataFormat;
  /** One line per photo that was not simply written (first ones only). */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Teaching: fine-tuning the caption model on the user's own captions (issue 7). These are the
// shapes the UI sees; the teach job's own (TeachStatus, TeachState, TeachResult, EpochPoint) are in
// src/training/teach-types.ts, which takes TeachScores and TeachMetrics from here.

/**
 * Where teaching stands: nothing going on (maybe a last error), a run in progress, a run that
 * died (kill, crash: resume or discard), or a finished version waiting for Activate / Discard.
 */
export type TeachRunState = 'idle' | 'running' | 'interrupted' | 'ready';

/** One point of a loss chart: x is the (fractional) epoch, so train and validation share an axis. */
export interface LossPoint {
  epoch: number;
  loss: number;
}

/** Caption scores on a set of photos (CIDEr-D on coco's scale). */
export interface TeachScores {
  images: number;
  loss: number | null;
  bleu4: number;
  cider: number;
}

export interface TeachMetrics {
  /** The user's held-back validation photos: before (active model) and after (new version). */
  user: { before: TeachScores; after: TeachScores };
  /** The base model's own validation photos (forgetting shows here); null without them. */
  base: { before: TeachScores; after: TeachScores } | null;
  /** Relative change of base-validation CIDEr-D, (after − before) / before; null without a base set. */
  baseCiderChange: number | null;
  /**
   * The same with every new word read as its strongest anchor ("rexo" as "dog"): the references
   * never use the user's words, so this separates forgetting from renaming.
   */
  baseCiderChangeRenamed: number | null;
}

/**
 * Whether a finished run's new version beats the model it was taught from (src/training/teach-verdict.ts):
 * 'worse' makes Discard the primary action and activating it needs `teach.activate { confirmWorse: true }`.
 */
export interface TeachVerdict {
  kind: 'better' | 'mixed' | 'worse';
  /** One sentence with the figures, e.g. "Worse: on your 4 held-back photos CIDEr-D fell from 1.27 to 0.94 …". */
  reason: string;
  /** Why it cannot be used at all, whatever the verdict (it forgot beyond the budget): the UI offers only Discard. */
  blocked?: string;
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

/** What a finished run produced, as the UI shows it: a new model version, not active until the user says so. */
export interface TeachRunResult {
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
  metrics: TeachMetrics;
  /** Better, mixed or worse than the model it was taught from, and why. */
  verdict: TeachVerdict;
  beforeAfter: BeforeAfter[];
}

/** A teach run as the UI draws it (the `teach` event, and the answer of the teach.* calls). */
export interface TeachRun {
  state: TeachRunState;
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
  train: LossPoint[];
  validation: LossPoint[];
  /** Interrupted runs: whether a checkpoint allows resuming. */
  canResume: boolean;
  /** Ready: the new version. Idle: the last finished run (already activated or discarded), if any. */
  result: TeachRunResult | null;
  /** The last failure, cancellation or progress message. */
  message: string | null;
}

/** What `teach.status` answers: the labeled set and the run, as the Teach view shows them. */
export interface TeachOverview {
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
  run: TeachRun;
}

export const idleRun: TeachRun = {
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

/** Which photos a list holds (photos.list, photos.ids, photos.months). */
const photoListFilter = {
  folderId: Id.optional(),
  /** With folderId: one subfolder's tree (Subfolder.path). */
  under: SubfolderPath.optional(),
  status: PhotoStatus.optional(),
  /** Only photos showing a caption by the user or by the model. */
  captionBy: CaptionBy.optional(),
  /** Only photos with this tag (any case). */
  tag: z.string().max(200).optional(),
};
/** Taken on or after / on or before these days (YYYY-MM-DD, UTC; the file's date when the photo has none). */
const photoListDates = { from: z.iso.date().optional(), to: z.iso.date().optional() };

export const apiInputs = {
  'library.info': Empty,

  'folders.list': Empty,
  /** Adding a parent or a child of library folders answers NeedsConfirmation unless `confirm`. */
  'folders.add': z.object({ path: FolderPath, confirm: z.boolean().optional() }).strict(),
  /** Answers NeedsConfirmation (how many of the user's captions it holds, kept) unless `confirm`. */
  'folders.remove': z.object({ id: Id, confirm: z.boolean().optional() }).strict(),
  'folders.rescan': z.object({ id: Id }).strict(),
  'folders.subfolders': z.object({ id: Id }).strict(),
  /** Caption the folder's waiting photos again after its job was paused or cancelled. */
  'folders.resume': z.object({ id: Id }).strict(),

  'photos.list': z
    .object({
      ...photoListFilter,
      ...photoListDates,
      sort: PhotoSort.optional().default('path'),
      offset: z.number().int().min(0).max(100_000_000).default(0),
      limit: z.number().int().min(1).max(2000).default(200),
    })
    .strict(),
  /** Every id of photos.list's list in its order (the grid selecting all of it, or a range), up to MAX_SELECTION. */
  'photos.ids': z.object({ ...photoListFilter, ...photoListDates, sort: PhotoSort.optional().default('path') }).strict(),
  /** How many of photos.list's photos were taken in each month, oldest first (the timeline above the grid). */
  'photos.months': z.object(photoListFilter).strict(),
  'photos.get': z.object({ id: Id }).strict(),
  /** The camera, lens, exposure and GPS position the photo's file records. */
  'photos.camera': z.object({ id: Id }).strict(),
  'photos.retry': z.object({ id: Id }).strict(),
  /** Read the selection's failed files again and queue the readable ones (other photos are left alone). */
  'photos.retryMany': z.object({ photoIds: PhotoIds }).strict(),
  /** Caption the selection again with the active model and the current settings (user captions stay shown). */
  'photos.recaption': z.object({ photoIds: PhotoIds }).strict(),

  'captions.set': z.object({ photoId: Id, text: CaptionText }).strict(),
  /**
   * The user's caption for many photos (teaching labels): `replace` gives each this text; `append`
   * adds it after each photo's shown caption (after a space: the user types any punctuation).
   */
  'captions.setMany': z.object({ photoIds: PhotoIds, text: CaptionText, mode: z.enum(['replace', 'append']).default('replace') }).strict(),
  /** Take back captions.setMany: its caption rows (BulkCaptionResult.undo) leave the history where still the newest. */
  'captions.undoMany': z.object({ captionIds: z.array(Id).min(1).max(MAX_SELECTION) }).strict(),
  'captions.clearUser': z.object({ photoId: Id }).strict(),
  'captions.history': z.object({ photoId: Id }).strict(),
  'captions.alternatives': z.object({ photoId: Id, beam: z.number().int().min(2).max(10).optional() }).strict(),
  /** Show one of the model's alternatives as the caption (not a teaching label unless the user edits it). */
  'captions.choose': z.object({ photoId: Id, text: CaptionText }).strict(),
  /** Undo `captions.choose`: the picked alternative leaves the history and the caption before it shows again. */
  'captions.undoChoice': z.object({ photoId: Id, captionId: Id }).strict(),
  /** Show an earlier caption of the history again (a model's caption comes back as a picked alternative). */
  'captions.restore': z.object({ photoId: Id, captionId: Id }).strict(),

  /** Every tag of the library with how many photos have it, most used first. */
  'tags.list': z
    .object({ limit: z.number().int().min(1).max(10_000).default(1000) })
    .strict()
    .optional()
    .default({ limit: 1000 }),
  /** A photo's tags (PhotoDetail.tags). */
  'tags.forPhoto': z.object({ photoId: Id }).strict(),
  /** The user's own tag: kept when the model derives tags again; brings back a tag they removed. */
  'tags.add': z.object({ photoId: Id, tag: TagText }).strict(),
  /** Take a tag away (the model's or the user's): a removed model tag stays removed. */
  'tags.remove': z.object({ photoId: Id, tag: TagText }).strict(),
  'tags.addMany': z.object({ photoIds: PhotoIds, tag: TagText }).strict(),
  'tags.removeMany': z.object({ photoIds: PhotoIds, tag: TagText }).strict(),

  search: z
    .object({
      query: z.string().max(500, 'A search is at most 500 characters.'),
      folderId: Id.optional(),
      /** With folderId: one subfolder's tree (Subfolder.path), as in `photos.list`. */
      under: SubfolderPath.optional(),
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
  /** These photos are on the user's screen: the jobs waiting to caption them take them next. */
  'jobs.captionFirst': z.object({ photoIds: z.array(Id).max(2000) }).strict(),
  /** Forget the jobs that ended (done, cancelled, failed); returns the jobs left. */
  'jobs.clearFinished': Empty,

  'models.list': Empty,
  'models.activate': z.object({ id: z.string().min(1).max(200) }).strict(),
  /** Back to the version active before the current one. */
  'models.rollback': Empty,

  'teach.status': z
    .object({ limit: z.number().int().min(0).max(2000).default(200) })
    .strict()
    .optional()
    .default({ limit: 200 }),
  'teach.start': z
    .object({ epochs: z.number().int().min(1).max(50).optional() })
    .strict()
    .optional()
    .default({}),
  'teach.cancel': Empty,
  /** After an interrupted run (crash, kill): continue from its last checkpoint… */
  'teach.resume': Empty,
  /** …or throw the interrupted run, or a finished version the user does not want, away. */
  'teach.discard': Empty,
  /**
   * Make the finished version the active model; re-captions every photo without a user caption.
   * A version whose verdict is 'worse' is refused unless `confirmWorse` is true (the UI's second confirmation).
   */
  'teach.activate': z.object({ confirmWorse: z.boolean().optional() }).strict().optional().default({}),

  'metadata.import': Empty,
  'metadata.export': z
    .object({
      /** Default: the metadataWrite setting (refused when that is 'off'). */
      format: MetadataFormat.optional(),
      only: z.enum(['user', 'model', 'all']).optional(),
      /** Only these photos (the grid's selection); default: the whole library. */
      photoIds: PhotoIds.optional(),
    })
    .strict()
    .optional()
    .default({}),

  'settings.get': Empty,
  'settings.set': z
    .object({
      theme: Theme.optional(),
      captionsUnderThumbnails: z.boolean().optional(),
      thumbnailSize: z.enum(thumbnailSizeValues).optional(),
      searchSimilarWords: z.boolean().optional(),
      beamWidth: z.number().int().min(2).max(10).optional(),
      metadataWrite: MetadataWrite.optional(),
      metadataOnly: MetadataOnly.optional(),
      metadataKeepMtime: z.boolean().optional(),
      metadataTagMinScore: z.number().min(0).max(1).optional(),
      checkForUpdates: z.boolean().optional(),
    })
    .strict(),
} as const;

export interface ApiResults {
  'library.info': LibraryInfo;
  'folders.list': Folder[];
  /** `subfolder`: where in `folder` the added path is shown, when it lies inside a library folder. */
  'folders.add': { outcome: 'added'; folder: Folder; jobId: number | null; subfolder: string | null } | NeedsConfirmation;
  /** `keptCaptions`: photos whose user captions are kept for when the folder comes back. */
  'folders.remove': { outcome: 'removed'; removed: boolean; keptCaptions: number } | NeedsConfirmation;
  'folders.rescan': { jobId: number | null };
  'folders.subfolders': Subfolder[];
  'folders.resume': { jobId: number | null };
  'photos.list': PhotoPage;
  'photos.ids': number[];
  /** `month`: 'YYYY-MM' (UTC). */
  'photos.months': Array<{ month: string; count: number }>;
  'photos.get': PhotoDetail;
  'photos.camera': CameraFacts;
  'photos.retry': { jobId: number | null };
  'photos.retryMany': BulkQueueResult;
  'photos.recaption': BulkQueueResult;
  'captions.set': PhotoDetail;
  'captions.setMany': BulkCaptionResult;
  'captions.undoMany': BulkUndoResult;
  'captions.clearUser': PhotoDetail;
  'captions.history': CaptionEntry[];
  'captions.alternatives': Alternative[];
  'captions.choose': PhotoDetail;
  'captions.undoChoice': PhotoDetail;
  'captions.restore': PhotoDetail;
  'tags.list': TagCount[];
  'tags.forPhoto': PhotoTag[];
  'tags.add': PhotoDetail;
  'tags.remove': PhotoDetail;
  'tags.addMany': BulkTagResult;
  'tags.removeMany': BulkTagResult;
  search: SearchResult;
  'jobs.list': Job[];
  'jobs.pause': Job;
  'jobs.resume': Job;
  'jobs.cancel': Job;
  'jobs.clearFinished': Job[];
  /** How many of the photos were waiting in a job. */
  'jobs.captionFirst': { waiting: number };
  'models.list': ModelInfo[];
  'models.activate': { model: ModelInfo; jobId: number | null };
  'models.rollback': { model: ModelInfo; jobId: number | null };
  'teach.status': TeachOverview;
  'teach.start': TeachRun;
  'teach.cancel': TeachRun;
  'teach.resume': TeachRun;
  'teach.discard': TeachRun;
  'teach.activate': { model: ModelInfo; jobId: number | null };
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
  /** A teach run moved (a step, an epoch, validation) or changed state. */
  | { kind: 'teach'; run: TeachRun }
  /** Trouble outside any call the UI is waiting on (a long scan failed, the watcher lost a folder). */
  | { kind: 'notice'; level: 'warning' | 'error'; message: string };

export type ApiEventKind = ApiEvent['kind'];

// ---------------------------------------------------------------------------------------------
// Validation at the boundary

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
  /** Desktop only: show the photo's file in the system's file manager. */
  showInFolder?(photoId: number): Promise<boolean>;
}

/** The bridge Electron's preload exposes as `window.lenscribe` (contextBridge; plain data only). */
export interface LenscribeBridge {
  call(method: string, input: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  pickFolder(): Promise<string | null>;
  pathForFile(file: File): string | null;
  /** Folders dropped or chosen from the app menu arrive here too. */
  onMenuAddFolder(listener: (path: string) => void): () => void;
  /** Show an indexed photo's file in the file manager (main looks its path up: no path crosses the bridge). */
  showInFolder(photoId: number): Promise<boolean>;
}
