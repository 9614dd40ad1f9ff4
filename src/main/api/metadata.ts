/**
 * The app's side of captions that travel with the photos (issue 8): importing descriptions on
 * demand, exporting captions, and writing a caption out right after the user saves it when the
 * settings ask for it (never otherwise: 'off' is the default and writes nothing).
 */
import type { MetadataExportResult, MetadataFormat, MetadataImportResult, Settings } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import type { Library } from '../library/library.js';
import { exportCaptions, importDescriptions, type ExportOnly, type ExportSummary, type WriteOutcome, type WriteTarget } from '../metadata/index.js';

const TARGETS: Record<MetadataFormat, WriteTarget> = { xmp: 'xmp-sidecar', txt: 'txt', embedded: 'embedded' };
const MAX_LINES = 50;

function noteOf(o: WriteOutcome): string {
  if (o.status === 'kept-theirs') return `${o.file}: kept the description another app wrote (${JSON.stringify(o.theirs ?? '')})`;
  if (o.status === 'conflict') return `${o.file}: changed by another program since Lenscribe read it; nothing written (import metadata to pick it up)`;
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

export async function exportMetadata(library: Library, input: { format?: MetadataFormat; only?: ExportOnly; paths?: string[] }): Promise<MetadataExportResult> {
  const settings = library.getSettings();
  const format = input.format ?? (settings.metadataWrite === 'off' ? null : settings.metadataWrite);
  if (!format) throw new ApiError('invalid_input', 'Choose where captions go (XMP sidecar, .txt sidecar or in the photo file) before exporting.');
  const s = await exportCaptions(library, {
    target: TARGETS[format],
    only: input.only ?? settings.metadataOnly,
    ...(settings.metadataKeepMtime ? { preserveMtime: true } : {}),
    ...(input.paths ? { paths: input.paths } : {}),
  });
  return toResult(format, s);
}

/**
 * After a caption was saved in the app: write that photo's caption where the settings say.
 * Returns a line for the user when something other than a plain write happened, else null.
 */
export async function writeSavedCaption(library: Library, photoPath: string, settings: Settings = library.getSettings()): Promise<string | null> {
  if (settings.metadataWrite === 'off') return null;
  const r = await exportMetadata(library, { format: settings.metadataWrite, only: settings.metadataOnly, paths: [photoPath] });
  return r.notes[0] ?? null;
}
