/**
 * `lenscribe label --from <captions.jsonl>`: import the user's own captions from a file in the
 * dataset format ({"file": "images/x.jpg", "captions": [...]}, paths relative to the file; the
 * first caption is used). Photos not yet in the library are added first (their folder is added).
 * `label --from <folder>` (.txt sidecars) is the old name of `import-metadata <folder>`, which reads
 * those and every other description that travels with the photos.
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { loadDataset } from '../../training/datasets.js';
import { addLibraryOption, openLibraryFromCli, withExample } from '../ui.js';
import { aliasNotice, importMetadataAction } from './metadata.js';

export function registerLabel(program: Command): void {
  const label = program
    .command('label')
    .description('Import your own captions from a captions.jsonl file (a folder: see import-metadata)')
    .requiredOption('--from <file>', 'A captions.jsonl file ({"file", "captions"} per line); a folder is import-metadata <folder>')
    .option('--json', 'Print the result as one JSON object');
  withExample(addLibraryOption(label), 'lenscribe label --from captions.jsonl').action(
    async (opts: { library?: string; from: string; json?: boolean }) => {
      const from = resolve(opts.from);
      if (!existsSync(from)) throw new UserError(`not found: ${from}`);
      if (statSync(from).isDirectory()) {
        aliasNotice('label --from <folder>', `import-metadata ${opts.from}`);
        return importMetadataAction(from, opts);
      }
      const problems: string[] = [];
      const ds = loadDataset(from, { checkImages: false });
      for (const p of ds.problems) problems.push(`${p.line ? `line ${p.line}: ` : ''}${p.file ? `${p.file}: ` : ''}${p.message}`);
      const items = ds.images.filter((i) => i.captions.length > 0).map((i) => ({ path: i.path, text: i.captions[0]! }));
      const roots = [...new Set(items.map((i) => dirname(i.path)))].filter((d) => existsSync(d));
      const lib = openLibraryFromCli(opts, { autoCaption: false });
      try {
        for (const r of roots) await lib.addFolder(r, { caption: false });
        const res = lib.importUserCaptions(items, 'user');
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ imported: res.imported, unchanged: res.unchanged, notInLibrary: res.notInLibrary.length, problems: problems.length })}\n`,
          );
        } else {
          process.stdout.write(
            `${res.imported} captions imported, ${res.unchanged} already there${res.notInLibrary.length ? `, ${res.notInLibrary.length} photos not found` : ''}\n`,
          );
        }
        for (const p of problems.slice(0, 20)) process.stderr.write(`lenscribe: ${p}\n`);
        for (const p of res.notInLibrary.slice(0, 20)) process.stderr.write(`lenscribe: not a photo in the library: ${p}\n`);
        if (items.length === 0) throw new UserError(`no captions found in ${from}`);
        if (res.notInLibrary.length > 0 || problems.length > 0) process.exitCode = 2;
      } finally {
        await lib.close();
      }
    },
  );
}
