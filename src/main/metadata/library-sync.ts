/**
 * The metadata side of the library: importing descriptions found on disk as user captions
 * (on ingest and on demand) and exporting captions to XMP / .txt / embedded metadata.
 *
 * What Lenscribe last knew of each photo's metadata is the library's MetadataLedger
 * (src/main/library/metadata-ledger.ts): it tells an edit in Lenscribe from another program's.
 */
import { dirname } from 'node:path';
import type { MetadataExportCounts, MetadataImportCounts } from '../../shared/api-contract.js';
import type { MetadataLedger } from '../library/metadata-ledger.js';
import { whyNotADescription } from './boilerplate.js';
import { readDescriptions } from './read.js';
import { chooseXmpSidecar, removeStaleTemps, txtSidecarPath } from './sidecars.js';
import type { DescriptionReport, DescriptionSource, FoundDescription, SidecarNaming, WriteOutcome, WriteTarget } from './types.js';
import { writeKeywords } from './keywords.js';
import { sameText, writeCaption } from './write.js';

/** What this module needs of the library (the `Library` class satisfies it). */
export interface MetadataLibrary {
  readonly stores: { readonly ledger: MetadataLedger };
  importUserCaptions(
    items: Iterable<{ path: string; text: string; app?: string | null }>,
    source?: string,
  ): { imported: number; unchanged: number; notInLibrary: string[] };
  exportRows(): Iterable<{
    path: string;
    userCaption: string | null;
    modelCaption: string | null;
    source: string | null;
    tags?: ReadonlyArray<{ tag: string; kind: 'model' | 'user'; score: number | null }>;
  }>;
  /** Keywords other apps wrote, as the user's tags (source `import:<field>`); how many were new. */
  importTags?(path: string, keywords: ReadonlyArray<{ tag: string; field: string }>): number;
}

export { MetadataLedger } from '../library/metadata-ledger.js';

/** Photos in flight at once: the shared ExifTool runs two perl processes. */
const CONCURRENCY = 2;

/** Run `fn` over `items`, `limit` at a time, in order of start. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

const EMBEDDED_SOURCES: ReadonlySet<DescriptionSource> = new Set(['xmp', 'iptc', 'exif', 'exif-xpcomment', 'png']);

/** What the report says is at each write target now (the state a writer would find). */
async function statesOf(report: DescriptionReport): Promise<Map<WriteTarget, { file: string; found: FoundDescription | null }>> {
  const out = new Map<WriteTarget, { file: string; found: FoundDescription | null }>();
  const isDefault = (d: FoundDescription) => d.lang === undefined || d.lang === 'x-default';
  const sidecar = await chooseXmpSidecar(report.photoPath);
  out.set('xmp-sidecar', {
    file: sidecar.path,
    found: report.descriptions.find((d) => d.source === 'xmp-sidecar' && d.file === sidecar.path && isDefault(d)) ?? null,
  });
  out.set('embedded', {
    file: report.photoPath,
    found: report.descriptions.find((d) => EMBEDDED_SOURCES.has(d.source) && isDefault(d)) ?? null,
  });
  const txt = report.descriptions.find((d) => d.source === 'txt-sidecar') ?? null;
  out.set('txt', { file: txt?.file ?? txtSidecarPath(report.photoPath), found: txt });
  return out;
}

export interface ImportItem {
  path: string;
  /** The description imported as a user caption, with where it came from. */
  imported?: { text: string; source: DescriptionSource; file: string };
  /** Keywords newly imported as the user's tags. */
  importedTags?: number;
  problems: string[];
}

export interface ImportSummary extends MetadataImportCounts {
  items: ImportItem[];
}

/**
 * Read the descriptions of these photos (default: every photo in the library) and import the
 * best new one of each as a user caption, source `import:<where>`. A description is new if the
 * ledger has not seen it at that place; a model caption Lenscribe wrote is never imported.
 * The library's ingest calls this with the paths it just added.
 */
export async function importDescriptions(
  library: MetadataLibrary,
  paths?: Iterable<string>,
  onProgress?: (done: number, total: number) => void,
): Promise<ImportSummary> {
  const ledger = library.stores.ledger;
  const list = paths ? [...paths] : [...library.exportRows()].map((r) => r.path);
  const summary: ImportSummary = { photos: list.length, imported: 0, unchanged: 0, withProblems: 0, items: [] };
  let done = 0;
  await pool(list, CONCURRENCY, async (path) => {
    const report = await readDescriptions(path);
    const item: ImportItem = { path, problems: report.problems };
    const states = await statesOf(report);
    // Model captions Lenscribe wrote to a .txt carry no mark; the ledger remembers them.
    const wroteAsModel = (d: FoundDescription) => {
      if (d.writer === 'lenscribe') return d.lenscribeKind === 'model';
      const target: WriteTarget | null =
        d.source === 'txt-sidecar'
          ? 'txt'
          : d.source === 'xmp-sidecar'
            ? 'xmp-sidecar'
            : EMBEDDED_SOURCES.has(d.source)
              ? 'embedded'
              : null;
      const known = target ? ledger.get(path, target) : undefined;
      return known?.lenscribeKind === 'model' && known.text !== null && sameText(known.text, d.text);
    };
    const changed = (d: FoundDescription) => {
      for (const [target, s] of states) {
        if (s.found !== d) continue;
        const known = ledger.get(path, target);
        return !known || known.text === null || !sameText(known.text, d.text);
      }
      return !ledger.get(path, 'xmp-sidecar') && !ledger.get(path, 'embedded'); // other places: new unless we looked before
    };
    if (report.keywords.length && library.importTags) item.importedTags = library.importTags(path, report.keywords);
    const candidate = report.descriptions.find((d) => !wroteAsModel(d) && changed(d) && whyNotADescription(d.text) === null);
    if (candidate) {
      const r = library.importUserCaptions([{ path, text: candidate.text, app: candidate.app ?? null }], `import:${candidate.source}`);
      if (r.imported > 0) {
        summary.imported++;
        item.imported = { text: candidate.text, source: candidate.source, file: candidate.file };
      } else if (r.unchanged > 0) summary.unchanged++;
      else item.problems.push(`${path}: not in the library`);
    }
    for (const [target, s] of states) {
      const known = ledger.get(path, target);
      const text = s.found?.text ?? null;
      const kind =
        s.found?.writer === 'lenscribe'
          ? s.found.lenscribeKind
          : known && text !== null && known.text !== null && sameText(known.text, text)
            ? known.lenscribeKind
            : undefined;
      ledger.put(path, target, s.file, { text, ...(kind ? { lenscribeKind: kind } : {}) });
    }
    if (item.problems.length) summary.withProblems++;
    if (item.imported || item.importedTags || item.problems.length) summary.items.push(item);
    onProgress?.(++done, list.length);
  });
  return summary;
}

/**
 * Import the descriptions of every photo whose metadata Lenscribe has not read yet (new photos
 * after a scan or a watcher event). The library calls this after `addFolder` / `rescan`.
 */
export async function importUnseenDescriptions(
  library: MetadataLibrary,
  onProgress?: (done: number, total: number) => void,
): Promise<ImportSummary> {
  const ledger = library.stores.ledger;
  const unseen = [...library.exportRows()].map((r) => r.path).filter((p) => !ledger.seen(p));
  return importDescriptions(library, unseen, onProgress);
}

export type ExportOnly = 'user' | 'model' | 'all';

export interface ExportOptions {
  target: WriteTarget;
  /** `user`: only the user's captions; `model`: only photos whose caption is the model's; `all` (default): user's, else model's. */
  only?: ExportOnly;
  sidecarNaming?: SidecarNaming | 'auto';
  preserveMtime?: boolean;
  overwriteOthers?: boolean;
  /** Limit to these photo paths (default: the whole library). */
  paths?: Iterable<string>;
  onProgress?: (done: number, total: number) => void;
  /**
   * Also write the photos' tags as keywords (XMP and embedded targets): the user's always, the
   * model's scoring at least this. Undefined: no keywords.
   */
  keywordMinScore?: number;
}

export interface ExportSummary extends MetadataExportCounts {
  /** Every outcome other than written/unchanged, and every one with a notice (keyword writes too). */
  items: WriteOutcome[];
}

type ExportRowOf = ReturnType<MetadataLibrary['exportRows']> extends Iterable<infer R> ? R : never;

/** The tags of a row that go to keywords: the user's, and the model's scoring at least `minScore`. */
export function keywordsOf(row: ExportRowOf, minScore: number): string[] {
  return (row.tags ?? []).filter((t) => t.kind === 'user' || (t.score ?? 0) >= minScore).map((t) => t.tag);
}

/**
 * Write the library's captions where other apps read them. Each photo's outcome is counted;
 * the job goes on after any per-photo failure, and nothing another program wrote is replaced
 * unless the policy in write.ts allows it.
 */
export async function exportCaptions(library: MetadataLibrary, options: ExportOptions): Promise<ExportSummary> {
  const ledger = library.stores.ledger;
  const only = options.only ?? 'all';
  const wanted = options.paths ? new Set(options.paths) : null;
  // Collected first: the ledger writes on the same connection while the rows are processed.
  const rows = [...library.exportRows()].filter((r) => !wanted || wanted.has(r.path));
  const summary: ExportSummary = {
    photos: rows.length,
    written: 0,
    unchanged: 0,
    keptTheirs: 0,
    conflicts: 0,
    failed: 0,
    skipped: 0,
    items: [],
    keywordsWritten: 0,
  };
  let done = 0;
  // photo.jpg and photo.cr2 may share photo.xmp (and photo.txt): one group, written one after the other.
  const groups = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = row.path.replace(/\.[^./\\]*$/, '').toLowerCase();
    const g = groups.get(key);
    if (g) g.push(row);
    else groups.set(key, [row]);
  }
  // A Lenscribe killed mid-write may have left temp files; clear them before writing beside them.
  for (const dir of new Set(rows.map((r) => dirname(r.path)))) await removeStaleTemps(dir);
  const exportOne = async (row: (typeof rows)[number]) => {
    const caption =
      row.userCaption !== null && only !== 'model'
        ? { text: row.userCaption, kind: 'user' as const }
        : row.userCaption === null && row.modelCaption !== null && only !== 'user'
          ? { text: row.modelCaption, kind: 'model' as const, ...(row.source ? { model: row.source } : {}) }
          : null;
    if (!caption) {
      summary.skipped++;
      return;
    }
    const expected = ledger.get(row.path, options.target);
    const out = await writeCaption(row.path, caption, {
      target: options.target,
      ...(options.sidecarNaming ? { sidecarNaming: options.sidecarNaming } : {}),
      ...(options.preserveMtime ? { preserveMtime: true } : {}),
      ...(options.overwriteOthers ? { overwriteOthers: true } : {}),
      ...(expected ? { expected } : {}),
    });
    if (out.state) ledger.put(row.path, out.target, out.file, out.state);
    if (out.status === 'written') summary.written++;
    else if (out.status === 'unchanged') summary.unchanged++;
    else if (out.status === 'kept-theirs') summary.keptTheirs++;
    else if (out.status === 'conflict') summary.conflicts++;
    else summary.failed++;
    if ((out.status !== 'written' && out.status !== 'unchanged') || out.notice) summary.items.push(out);
  };
  const keywordsOne = async (row: (typeof rows)[number]) => {
    if (options.keywordMinScore === undefined || options.target === 'txt') return;
    const out = await writeKeywords(row.path, keywordsOf(row, options.keywordMinScore), {
      target: options.target,
      ...(options.sidecarNaming ? { sidecarNaming: options.sidecarNaming } : {}),
      ...(options.preserveMtime ? { preserveMtime: true } : {}),
    });
    if (out.status === 'written') summary.keywordsWritten++;
    else if (out.status !== 'unchanged') summary.items.push(out);
  };
  await pool([...groups.values()], CONCURRENCY, async (group) => {
    for (const row of group) {
      await exportOne(row);
      await keywordsOne(row);
      options.onProgress?.(++done, rows.length);
    }
  });
  return summary;
}
