/**
 * `lenscribe import-metadata [folder]`: descriptions that travel with the photos (src/main/metadata)
 * become user captions; `label --from <folder>` is its old name. Writing them is `lenscribe export
 * --format xmp|txt|embedded` (exportMetadataAction); `export-metadata` is that command's old name.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, jsonLine, openExistingLibraryFromCli, openLibraryFromCli, printable, StatusLine, withExample } from '../ui.js';
import { endExiftool } from '../../main/metadata/exiftool.js';
import { exportCaptions, importDescriptions, type ExportOnly } from '../../main/metadata/library-sync.js';
import type { SidecarNaming, WriteTarget } from '../../main/metadata/types.js';

const FORMATS: Record<string, WriteTarget> = { xmp: 'xmp-sidecar', txt: 'txt', embedded: 'embedded' };

/** A flag's value, lower-cased, when it is one of `allowed`; else a one-line error naming them. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  const v = value.toLowerCase();
  if (!(allowed as readonly string[]).includes(v))
    throw new UserError(`${flag} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${JSON.stringify(value)}`);
  return v as T;
}

export interface ImportMetadataFlags {
  library?: string;
  json?: boolean;
}

export interface ExportMetadataFlags {
  library?: string;
  /** xmp, txt or embedded. */
  format: string;
  /** user, model or all (default all). */
  only?: string;
  /** auto, basename or fullname (default auto). */
  naming?: string;
  keepMtime?: boolean;
  overwriteOthers?: boolean;
  /** For xmp and embedded: the lowest model tag score written to keywords (default: the library's setting). */
  tagMinScore?: string;
  /** false: no keywords (commander's --no-keywords). */
  keywords?: boolean;
  json?: boolean;
}

/** An old command name still works and says, on one stderr line, what to type instead. */
export function aliasNotice(old: string, now: string): void {
  process.stderr.write(`lenscribe: ${old} is now \`${now}\`\n`);
}

/** `lenscribe import-metadata [folder]`: with a folder, add it first (no captioning) and read only its photos. */
export async function importMetadataAction(folder: string | undefined, opts: ImportMetadataFlags): Promise<void> {
  const root = folder === undefined ? undefined : resolve(folder);
  if (root !== undefined && !(existsSync(root) && statSync(root).isDirectory())) throw new UserError(`not a folder: ${root}`);
  // Adding a folder imports what it finds; here the import itself does that, so its summary counts every photo.
  const lib = openLibraryFromCli(opts, { autoCaption: false, ...(root !== undefined ? { importMetadata: false } : {}) });
  const bar = new StatusLine({ quietWhenPiped: true });
  try {
    let paths: string[] | undefined;
    if (root !== undefined) {
      await lib.addFolder(root, { caption: false });
      paths = [...lib.exportRows()].map((r) => r.path).filter((p) => p.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
    }
    const s = await importDescriptions(lib, paths, (d, t) => bar.progress(d, t));
    bar.done();
    if (opts.json) process.stdout.write(jsonLine(s));
    else {
      for (const item of s.items) {
        if (item.imported)
          process.stdout.write(
            `imported  ${printable(item.path)}  [${printable(item.imported.source)}]  ${printable(item.imported.text.replace(/\s+/g, ' '))}\n`,
          );
        for (const p of item.problems) process.stderr.write(`problem   ${printable(p)}\n`);
      }
      process.stdout.write(
        `${s.photos} photos read: ${s.imported} imported, ${s.unchanged} already there, ${s.withProblems} with problems\n`,
      );
    }
    if (s.withProblems > 0) process.exitCode = 2;
  } finally {
    await endExiftool();
    await lib.close();
  }
}

/** `lenscribe export --format xmp|txt|embedded` (and its old name, `export-metadata`). */
export async function exportMetadataAction(opts: ExportMetadataFlags): Promise<void> {
  const target = FORMATS[opts.format.toLowerCase()];
  if (!target)
    throw new UserError(`--format must be xmp, txt or embedded, got ${JSON.stringify(opts.format)} (csv and json: lenscribe export)`);
  const only = oneOf<ExportOnly>(opts.only ?? 'all', ['user', 'model', 'all'], '--only');
  const naming = oneOf<SidecarNaming | 'auto'>(opts.naming ?? 'auto', ['auto', 'basename', 'fullname'], '--naming');
  const tagMinScore = opts.tagMinScore === undefined ? undefined : Number(opts.tagMinScore);
  if (tagMinScore !== undefined && !(tagMinScore >= 0 && tagMinScore <= 1))
    throw new UserError(`--tag-min-score must be a number from 0 to 1, got ${JSON.stringify(opts.tagMinScore)}`);
  const lib = openExistingLibraryFromCli(opts, { autoCaption: false });
  const bar = new StatusLine({ quietWhenPiped: true });
  // Tags go to keywords where keywords live (XMP, the photo file), as the app writes them.
  const keywordMinScore = target === 'txt' || opts.keywords === false ? undefined : (tagMinScore ?? lib.getSettings().metadataTagMinScore);
  try {
    const s = await exportCaptions(lib, {
      target,
      only,
      ...(keywordMinScore !== undefined ? { keywordMinScore } : {}),
      sidecarNaming: naming,
      ...(opts.keepMtime ? { preserveMtime: true } : {}),
      ...(opts.overwriteOthers ? { overwriteOthers: true } : {}),
      onProgress: (d, t) => bar.progress(d, t),
    });
    bar.done();
    if (opts.json) process.stdout.write(jsonLine(s));
    else {
      for (const o of s.items) {
        if (o.notice) process.stderr.write(`notice    ${printable(o.notice)}\n`);
        if (o.status === 'kept-theirs')
          process.stdout.write(
            `kept      ${printable(o.file)}  (already describes the photo: ${printable(JSON.stringify(o.theirs ?? ''))})\n`,
          );
        else if (o.status === 'conflict')
          process.stdout.write(
            `conflict  ${printable(o.file)}  changed by another program since Lenscribe read it (${printable(JSON.stringify(o.theirs ?? ''))}); run lenscribe import-metadata\n`,
          );
        else if (o.status === 'failed') process.stderr.write(`failed    ${o.error?.code}: ${printable(o.error?.message ?? '')}\n`);
      }
      process.stdout.write(
        `${s.photos} photos: ${s.written} written, ${s.unchanged} unchanged, ${s.keptTheirs} kept (described elsewhere), ${s.conflicts} conflicts, ${s.failed} failed, ${s.skipped} without a caption to export${keywordMinScore !== undefined ? `, keywords written for ${s.keywordsWritten}` : ''}\n`,
      );
    }
    if (s.failed > 0 || s.conflicts > 0) process.exitCode = 2;
  } finally {
    await endExiftool();
    await lib.close();
  }
}

export function registerMetadata(program: Command): void {
  const imp = program
    .command('import-metadata')
    .description('Import the descriptions already in the photos and their sidecars (XMP, IPTC, EXIF, .txt) as your captions')
    .argument('[folder]', 'Add this folder first (without captioning) and read only its photos (default: every photo in the library)')
    .option('--json', 'Print the summary as JSON');
  withExample(addLibraryOption(imp), 'lenscribe import-metadata ~/Pictures/2024').action(importMetadataAction);

  // The old name of `export --format xmp|txt|embedded`, kept for scripts.
  const old = program
    .command('export-metadata')
    .description('Old name of export --format xmp|txt|embedded; works the same and says so')
    .requiredOption('--format <format>', 'One of xmp (sidecar), txt (sidecar) or embedded (in the photo file)')
    .option('--only <which>', 'Which captions: user, model or all (user captions, else model captions)', 'all')
    .option('--naming <naming>', 'For xmp: sidecar name auto, basename (photo.xmp) or fullname (photo.jpg.xmp)', 'auto')
    .option('--keep-mtime', "For embedded: keep the photos' modification times")
    .option('--overwrite-others', 'Let your captions replace descriptions other apps wrote that Lenscribe has not imported')
    .option(
      '--tag-min-score <s>',
      "For xmp and embedded: the model's tags scoring at least s go to the keywords (default: the library's setting)",
    )
    .option('--no-keywords', 'For xmp and embedded: write no keywords (tags)')
    .option('--json', 'Print the summary as JSON');
  withExample(addLibraryOption(old), 'lenscribe export --format xmp').action(async (opts: ExportMetadataFlags) => {
    // A format export-metadata never took gets its error alone, not a pointer to `export --format csv`.
    if (FORMATS[opts.format.toLowerCase()]) aliasNotice('export-metadata', `export --format ${opts.format.toLowerCase()}`);
    return exportMetadataAction(opts);
  });
}
