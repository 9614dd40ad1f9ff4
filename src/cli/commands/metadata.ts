/**
 * `lenscribe import-metadata` and `lenscribe export-metadata --format xmp|txt|embedded`:
 * captions that travel with the photos (src/main/metadata). CSV/JSON export is `lenscribe export`.
 */
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, openExistingLibraryFromCli, openLibraryFromCli, StatusLine } from '../ui.js';
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
  json?: boolean;
}

/** `lenscribe import-metadata`. */
export async function importMetadataAction(opts: ImportMetadataFlags): Promise<void> {
  const lib = openLibraryFromCli(opts, { autoCaption: false });
  const bar = new StatusLine({ quietWhenPiped: true });
  try {
    const s = await importDescriptions(lib, undefined, (d, t) => bar.progress(d, t));
    bar.done();
    if (opts.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else {
      for (const item of s.items) {
        if (item.imported)
          process.stdout.write(`imported  ${item.path}  [${item.imported.source}]  ${item.imported.text.replace(/\s+/g, ' ')}\n`);
        for (const p of item.problems) process.stderr.write(`problem   ${p}\n`);
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

/** `lenscribe export-metadata --format xmp|txt|embedded`; `lenscribe export` can delegate these formats here. */
export async function exportMetadataAction(opts: ExportMetadataFlags): Promise<void> {
  const target = FORMATS[opts.format.toLowerCase()];
  if (!target)
    throw new UserError(`--format must be xmp, txt or embedded, got ${JSON.stringify(opts.format)} (csv and json: lenscribe export)`);
  const only = oneOf<ExportOnly>(opts.only ?? 'all', ['user', 'model', 'all'], '--only');
  const naming = oneOf<SidecarNaming | 'auto'>(opts.naming ?? 'auto', ['auto', 'basename', 'fullname'], '--naming');
  const lib = openExistingLibraryFromCli(opts, { autoCaption: false });
  const bar = new StatusLine({ quietWhenPiped: true });
  try {
    const s = await exportCaptions(lib, {
      target,
      only,
      sidecarNaming: naming,
      ...(opts.keepMtime ? { preserveMtime: true } : {}),
      ...(opts.overwriteOthers ? { overwriteOthers: true } : {}),
      onProgress: (d, t) => bar.progress(d, t),
    });
    bar.done();
    if (opts.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else {
      for (const o of s.items) {
        if (o.notice) process.stderr.write(`notice    ${o.notice}\n`);
        if (o.status === 'kept-theirs')
          process.stdout.write(`kept      ${o.file}  (already describes the photo: ${JSON.stringify(o.theirs ?? '')})\n`);
        else if (o.status === 'conflict')
          process.stdout.write(
            `conflict  ${o.file}  changed by another program since Lenscribe read it (${JSON.stringify(o.theirs ?? '')}); run lenscribe import-metadata\n`,
          );
        else if (o.status === 'failed') process.stderr.write(`failed    ${o.error?.code}: ${o.error?.message}\n`);
      }
      process.stdout.write(
        `${s.photos} photos: ${s.written} written, ${s.unchanged} unchanged, ${s.keptTheirs} kept (described elsewhere), ${s.conflicts} conflicts, ${s.failed} failed, ${s.skipped} without a caption to export\n`,
      );
    }
    if (s.failed > 0 || s.conflicts > 0) process.exitCode = 2;
  } finally {
    await endExiftool();
    await lib.close();
  }
}

export function registerMetadata(program: Command): void {
  addLibraryOption(
    program
      .command('import-metadata')
      .description('import descriptions already in the photos and their sidecars (XMP, IPTC, EXIF, .txt) as user captions')
      .option('--json', 'print the summary as JSON'),
  ).action(importMetadataAction);

  addLibraryOption(
    program
      .command('export-metadata')
      .description('write captions where other photo apps read them: XMP sidecars, .txt sidecars or embedded metadata')
      .requiredOption('--format <format>', 'xmp (sidecar), txt (sidecar) or embedded (in the photo file)')
      .option('--only <which>', 'user, model or all (user captions, else model captions)', 'all')
      .option('--naming <naming>', 'XMP sidecar name: auto, basename (photo.xmp) or fullname (photo.jpg.xmp)', 'auto')
      .option('--keep-mtime', "embedded: keep the photos' modification times")
      .option('--overwrite-others', 'let your own captions replace descriptions other apps wrote that Lenscribe has not imported')
      .option('--json', 'print the summary as JSON'),
  ).action(exportMetadataAction);
}
