/**
 * `lenscribe label --from <captions.jsonl | folder>`: import the user's own captions.
 * A jsonl file in the dataset format ({"file": "images/x.jpg", "captions": [...]}, paths
 * relative to the file; the first caption is used) or a folder whose photos have `.txt`
 * sidecars (photo.jpg -> photo.txt or photo.jpg.txt, as dataset tools write them).
 * Photos not yet in the library are added first (their folder is added).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { loadDataset } from '../../training/datasets.js';
import { addLibraryOption, openLibraryFromCli } from '../ui.js';
import { scanFolder } from '../../main/library/scanner.js';

export async function sidecarCaptions(folder: string): Promise<Array<{ path: string; text: string }>> {
  const out: Array<{ path: string; text: string }> = [];
  for await (const e of scanFolder(folder)) {
    if (e.type !== 'file') continue;
    const p = parse(e.path);
    for (const side of [join(p.dir, `${p.name}.txt`), `${e.path}.txt`]) {
      if (!existsSync(side)) continue;
      const text = readFileSync(side, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .find((l) => l.length > 0);
      if (text) out.push({ path: e.path, text });
      break;
    }
  }
  return out;
}

export function registerLabel(program: Command): void {
  addLibraryOption(
    program
      .command('label')
      .description('import your own captions from a captions.jsonl file or .txt sidecars in a folder')
      .requiredOption('--from <source>', 'captions.jsonl, or a folder of photos with .txt sidecars')
      .option('--json', 'print the result as one JSON object'),
  ).action(async (opts: { library?: string; from: string; json?: boolean }) => {
    const from = resolve(opts.from);
    if (!existsSync(from)) throw new UserError(`not found: ${from}`);
    let items: Array<{ path: string; text: string }>;
    let roots: string[];
    const problems: string[] = [];
    if (statSync(from).isDirectory()) {
      items = await sidecarCaptions(from);
      roots = [from];
    } else {
      const ds = loadDataset(from, { checkImages: false });
      for (const p of ds.problems) problems.push(`${p.line ? `line ${p.line}: ` : ''}${p.file ? `${p.file}: ` : ''}${p.message}`);
      items = ds.images.filter((i) => i.captions.length > 0).map((i) => ({ path: i.path, text: i.captions[0] }));
      roots = [...new Set(items.map((i) => dirname(i.path)))].filter((d) => existsSync(d));
    }
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
  });
}
