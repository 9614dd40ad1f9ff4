/**
 * The app's side of captions that travel with the photos (issue 8): importing descriptions on
 * demand, exporting captions, and writing a caption out right after the user saves it when the
 * settings ask for it (never otherwise: 'off' is the default and writes nothing).
 */
import type { MetadataExportResult, MetadataFormat, MetadataImportResult, Settings } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import type { Library } from '../library/library.js';
import {
  exportCaptions,
  importDescriptions,
  type ExportOnly,
  type ExportSummary,
  type WriteOutcome,
  type WriteTarget,
} from '../metadata/index.js';

const TARGETS: Record<MetadataFormat, WriteTarget> = { xmp: 'xmp-sidecar', txt: 'txt', embedded: 'embedded' };
const MAX_LINES = 50;

function noteOf(o: WriteOutcome): string {
  if (o.status === 'kept-theirs') return `${o.file}: kept the description another app wrote (${JSON.stringify(o.theirs ?? '')})`;
  if (o.status === 'conflict')
    return `${o.file}: changed by another program since Lenscribe read it; nothing written (import metadata to pick it up)`;
  if (o.status === 'failed') return `${o.photoPath}: ${o.error?.message ?? 'could not be written'}`;
  return o.notice ? `${o.file}: ${o.notice}` : `${o.file}: ${o.status}`;
}

function toResult(format: MetadataFormat, s: ExportSummary): MetadataExportResult {
  return {
    format,
    photos: s.photos,
    written: s.written,
    unchanged: s.unchanged,
    keptTheirs: s.keptTheirs,
    conflicts: s.conflicts,
    failed: s.failed,
    skipped: s.skipped,
    keywordsWritten: s.keywordsWritten,
    notes: s.items.slice(0, MAX_LINES).map(noteOf),
  };
}

export async function importMetadata(library: Library): Promise<MetadataImportResult> {
  const s = await importDescriptions(library);
  return {
    photos: s.photos,
    imported: s.imported,
    unchanged: s.unchanged,
    withProblems: s.withProblems,
    problems: s.items.flatMap((i) => i.problems).slice(0, MAX_LINES),
  };
}

export async function exportMetadata(
  library: Library,
  input: { format?: MetadataFormat; only?: ExportOnly; paths?: string[] },
): Promise<MetadataExportResult> {
  const settings = library.getSettings();
  const format = input.format ?? (settings.metadataWrite === 'off' ? null : settings.metadataWrite);
  if (!format)
    throw new ApiError('invalid_input', 'Choose where captions go (XMP sidecar, .txt sidecar or in the photo file) before exporting.');
  const s = await exportCaptions(library, {
    target: TARGETS[format],
    only: input.only ?? settings.metadataOnly,
    ...(settings.metadataKeepMtime ? { preserveMtime: true } : {}),
    ...(input.paths ? { paths: input.paths } : {}),
    // Tags go to keywords where keywords live (XMP, the photo file), not to .txt sidecars.
    ...(format !== 'txt' ? { keywordMinScore: settings.metadataTagMinScore } : {}),
  });
  return toResult(format, s);
}

/** How long model captions gather before they are written out together (exports read the library's rows once per run). */
const MODEL_BATCH_MS = 2000;

export interface CaptionWriter {
  /** The user saved a caption for this photo. */
  userCaption(photoPath: string): void;
  /** The model captioned these photos (written only when the settings include model captions). */
  modelCaptions(photoPaths: string[]): void;
  /** The user added or removed a tag of this photo (its keywords follow). */
  tags(photoPath: string): void;
  /** Wait for every queued write. */
  drain(): Promise<void>;
}

/**
 * Writes captions next to (or into) the photos as they are saved, when the settings say so —
 * one write after another, in the order they were saved. Problems reach the user as notices;
 * the caption is safe in the library either way.
 */
export function createCaptionWriter(library: Library, notice: (level: 'warning' | 'error', message: string) => void): CaptionWriter {
  let chain: Promise<unknown> = Promise.resolve();
  let modelPaths = new Set<string>();
  let modelTimer: NodeJS.Timeout | null = null;

  const write = (paths: string[], settings: Settings) => {
    if (settings.metadataWrite === 'off') return;
    const format = settings.metadataWrite;
    chain = chain.then(() =>
      exportMetadata(library, { format, only: settings.metadataOnly, paths }).then(
        (r) => {
          if (r.notes.length) notice('warning', r.notes.length === 1 ? r.notes[0] : `${r.notes[0]} (and ${r.notes.length - 1} more)`);
        },
        (err: Error) => notice('error', `Captions are saved in Lenscribe but were not written next to the photos: ${err.message}`),
      ),
    );
  };
  const flushModel = () => {
    modelTimer = null;
    const paths = [...modelPaths];
    modelPaths = new Set();
    const settings = library.getSettings();
    if (paths.length && settings.metadataOnly === 'all') write(paths, settings);
  };

  // The user's caption and tags live in the same descriptions: one write serves both.
  const writeUsers = (photoPath: string) => write([photoPath], library.getSettings());
  return {
    userCaption: writeUsers,
    tags: writeUsers,
    modelCaptions(photoPaths) {
      const s = library.getSettings();
      if (s.metadataWrite === 'off' || s.metadataOnly !== 'all') return;
      for (const p of photoPaths) modelPaths.add(p);
      modelTimer ??= setTimeout(flushModel, MODEL_BATCH_MS);
    },
    async drain() {
      if (modelTimer) {
        clearTimeout(modelTimer);
        flushModel();
      }
      await chain.catch(() => {});
    },
  };
}
