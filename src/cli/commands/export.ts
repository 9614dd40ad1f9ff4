/** `lenscribe export --format csv|json`: every photo with its captions, to stdout or a file. */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, openLibraryFromCli } from '../../main/library/cli-common.js';
import type { ExportRow } from '../../main/library/library.js';

const COLUMNS: Array<keyof ExportRow> = ['path', 'caption', 'source', 'userCaption', 'modelCaption', 'status', 'error', 'takenAt', 'width', 'height', 'hash', 'folder'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // Spreadsheet apps run cells starting with = + - @ as formulas; a leading quote defuses them.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerExport(program: Command): void {
  addLibraryOption(
    program
      .command('export')
      .description('export captions as CSV or JSON')
      .requiredOption('--format <format>', 'csv or json')
      .option('--out <file>', 'write to a file instead of stdout'),
  ).action(async (opts: { library?: string; format: string; out?: string }) => {
    const format = opts.format.toLowerCase();
    if (format !== 'csv' && format !== 'json') throw new UserError(`--format must be csv or json, got ${JSON.stringify(opts.format)}`);
    const lib = openLibraryFromCli(opts, { autoCaption: false });
    const stream = opts.out ? createWriteStream(opts.out) : process.stdout;
    const write = (s: string) => new Promise<void>((res, rej) => (stream.write(s, (e) => (e ? rej(e) : res())) ? undefined : undefined));
    try {
      if (format === 'csv') {
        await write(`${COLUMNS.join(',')}\n`);
        for (const r of lib.exportRows()) await write(`${COLUMNS.map((c) => csvCell(r[c])).join(',')}\n`);
      } else {
        await write('[');
        let first = true;
        for (const r of lib.exportRows()) {
          await write(`${first ? '\n' : ',\n'}${JSON.stringify(r)}`);
          first = false;
        }
        await write(first ? ']\n' : '\n]\n');
      }
    } finally {
      if (opts.out) await new Promise<void>((res) => (stream as NodeJS.WritableStream).end(() => res()));
      await lib.close();
    }
  });
}
