/**
 * `lenscribe export --format csv|json|xmp|txt|embedded [--only user|model|all]`: csv/json list every
 * photo with its captions (stdout or --out); xmp, txt and embedded write the captions where other
 * photo apps read them (src/main/metadata; `lenscribe export-metadata` is this command's old name).
 */
import type { Command } from 'commander';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, openExistingLibraryFromCli, withExample } from '../ui.js';
import type { ExportRow } from '../../main/library/library.js';
import type { ExportOnly } from '../../main/metadata/library-sync.js';
import { exportMetadataAction, oneOf } from './metadata.js';

const COLUMNS: Array<keyof ExportRow> = [
  'path',
  'caption',
  'source',
  'userCaption',
  'modelCaption',
  'status',
  'error',
  'takenAt',
  'width',
  'height',
  'hash',
  'folder',
  'tags',
];

/** Why `--out <file>` cannot be written, in one line naming the file (EISDIR, ENOENT, ... as words). */
function outProblem(file: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EISDIR':
      return `--out ${file} is a folder: give a file name, e.g. --out ${join(file, 'captions.csv')}`;
    case 'ENOENT':
      return `--out ${file}: the folder ${dirname(file)} does not exist`;
    case 'ENOTDIR':
      return `--out ${file}: part of that path is a file, not a folder`;
    case 'EACCES':
    case 'EPERM':
      return `--out ${file}: no permission to write there`;
    case 'EROFS':
      return `--out ${file}: the disk is read-only`;
    case 'ENOSPC':
      return `--out ${file}: the disk is full`;
    default:
      return `--out ${file}: cannot write it (${err.code ?? err.message})`;
  }
}

/** The `--out` file, open for writing; a UserError saying why when it cannot be opened. */
function openOutFile(file: string): Promise<WriteStream> {
  return new Promise((resolvePromise, reject) => {
    const stream = createWriteStream(file);
    stream.once('error', (err) => reject(new UserError(outProblem(file, err))));
    stream.once('open', () => {
      stream.removeAllListeners('error');
      // Later failures (a full disk) reach each write's callback; without a listener they would also crash the process.
      stream.on('error', () => {});
      resolvePromise(stream);
    });
  });
}

/** The csv or json listing of the rows `keep` accepts, to `out` (closed at the end) or stdout. */
async function writeListing(rows: Iterable<ExportRow>, keep: (r: ExportRow) => boolean, format: 'csv' | 'json', out: WriteStream | null) {
  const stream = out ?? process.stdout;
  const write = (s: string) =>
    new Promise<void>((res, rej) =>
      stream.write(s, (e) => (!e ? res() : rej(out ? new UserError(outProblem(out.path.toString(), e as NodeJS.ErrnoException)) : e))),
    );
  try {
    if (format === 'csv') {
      await write(`${COLUMNS.join(',')}\n`);
      for (const r of rows) if (keep(r)) await write(`${COLUMNS.map((c) => csvCell(r[c])).join(',')}\n`);
    } else {
      await write('[');
      let first = true;
      for (const r of rows) {
        if (!keep(r)) continue;
        await write(`${first ? '\n' : ',\n'}${JSON.stringify(r)}`);
        first = false;
      }
      await write(first ? ']\n' : '\n]\n');
    }
  } finally {
    if (out) await new Promise<void>((res) => out.end(() => res()));
  }
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  // Tags: their words in one cell, '; '-separated (the JSON export has kind, source and score).
  if (Array.isArray(v)) return csvCell(v.map((t: { tag: string }) => t.tag).join('; ') || null);
  let s = String(v);
  // Spreadsheet apps run cells starting with = + - @ as formulas; a leading quote defuses them.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerExport(program: Command): void {
  const exp = program
    .command('export')
    .description('Export captions: a CSV or JSON listing, or written beside or into the photos (XMP or .txt sidecars, embedded)')
    .requiredOption('--format <format>', 'One of csv, json, xmp (sidecar), txt (sidecar) or embedded (in the photo file)')
    .option('--only <which>', 'Which captions: user, model or all (user captions, else model captions)', 'all')
    .option('--out <file>', 'For csv and json: write to a file instead of stdout')
    .option('--naming <naming>', 'For xmp: sidecar name auto, basename (photo.xmp) or fullname (photo.jpg.xmp)', 'auto')
    .option('--keep-mtime', "For embedded: keep the photos' modification times")
    .option(
      '--overwrite-others',
      'For xmp, txt and embedded: let your captions replace descriptions other apps wrote that Lenscribe has not imported',
    )
    .option(
      '--tag-min-score <s>',
      "For xmp and embedded: the model's tags scoring at least s (0-1) go to the keywords with yours (default: the library's setting)",
    )
    .option('--no-keywords', 'For xmp and embedded: write no keywords (tags)')
    .option('--json', 'For xmp, txt and embedded: print the summary as JSON');
  withExample(addLibraryOption(exp), 'lenscribe export --format csv --out captions.csv').action(
    async (opts: {
      library?: string;
      format: string;
      only: string;
      out?: string;
      naming?: string;
      keepMtime?: boolean;
      overwriteOthers?: boolean;
      tagMinScore?: string;
      keywords: boolean;
      json?: boolean;
    }) => {
      const format = opts.format.toLowerCase();
      const only = oneOf<ExportOnly>(opts.only, ['user', 'model', 'all'], '--only');
      if (format === 'xmp' || format === 'txt' || format === 'embedded') {
        if (opts.out) throw new UserError(`--out applies to csv and json; ${format} writes beside or into each photo`);
        return exportMetadataAction({ ...opts, format, only });
      }
      if (format !== 'csv' && format !== 'json')
        throw new UserError(`--format must be csv, json, xmp, txt or embedded, got ${JSON.stringify(opts.format)}`);
      const keep = (r: ExportRow): boolean =>
        only === 'all' || (only === 'user' ? r.userCaption !== null : r.userCaption === null && r.modelCaption !== null);
      const lib = openExistingLibraryFromCli(opts, { autoCaption: false });
      try {
        const out = opts.out ? await openOutFile(resolve(opts.out)) : null;
        await writeListing(lib.exportRows(), keep, format, out);
      } finally {
        await lib.close();
      }
    },
  );
}
