/**
 * `lenscribe export --format csv|json|xmp|txt|embedded [--only user|model|all]`: csv/json list every
 * photo with its captions (stdout or --out); xmp, txt and embedded write the captions where other
 * photo apps read them (src/main/metadata; `lenscribe export-metadata` is this command's old name).
 */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
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
      const stream = opts.out ? createWriteStream(opts.out) : process.stdout;
      const write = (s: string) => new Promise<void>((res, rej) => (stream.write(s, (e) => (e ? rej(e) : res())) ? undefined : undefined));
      try {
        if (format === 'csv') {
          await write(`${COLUMNS.join(',')}\n`);
          for (const r of lib.exportRows()) if (keep(r)) await write(`${COLUMNS.map((c) => csvCell(r[c])).join(',')}\n`);
        } else {
          await write('[');
          let first = true;
          for (const r of lib.exportRows()) {
            if (!keep(r)) continue;
            await write(`${first ? '\n' : ',\n'}${JSON.stringify(r)}`);
            first = false;
          }
          await write(first ? ']\n' : '\n]\n');
        }
      } finally {
        if (opts.out) await new Promise<void>((res) => (stream as NodeJS.WritableStream).end(() => res()));
        await lib.close();
      }
    },
  );
}
