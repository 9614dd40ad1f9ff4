/**
 * `lenscribe label --from <captions.jsonl>`: import the user's own captions from a file in the
 * dataset format ({"file": "images/x.jpg", "captions": [...]}, paths relative to the file; the
 * first caption is used). Only existing photos under the file's folder (or `--root`) are labeled;
 * their folders are added to the library when they are not in it yet. Every other line is
 * reported with its number and why, and adds nothing: a captions file is no way to make `/etc`
 * a library folder. `label --from <folder>` (.txt sidecars) is the old name of
 * `import-metadata <folder>`, which reads those and every other description that travels with the photos.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../shared/errors.js';
import { isInside } from '../../main/library/folders.js';
import { hasPhotoExtension } from '../../main/library/formats.js';
import type { Library } from '../../main/library/library.js';
import { loadDataset, type Dataset } from '../../training/datasets.js';
import { addLibraryOption, openLibraryFromCli, printable, withExample } from '../ui.js';
import { aliasNotice, importMetadataAction } from './metadata.js';

interface LabelFlags {
  library?: string;
  from: string;
  root?: string;
  json?: boolean;
}

/** The line each "file" is first named on (the dataset merges repeated files), for reporting. */
function firstLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((l, i) => {
    try {
      const file = (JSON.parse(l) as { file?: unknown }).file;
      if (typeof file === 'string' && !lines.has(file)) lines.set(file, i + 1);
    } catch {
      // not a line naming a file: the dataset reports it
    }
  });
  return lines;
}

/** Why a listed path is not labeled: outside the root, missing, or not a photo; null when it is. */
function whyNot(path: string, root: string): string | null {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return isInside(resolve(path), root) ? `not found: ${path}` : `outside ${root}: ${path}`;
  }
  if (!isInside(real, root)) return `outside ${root}: ${path}`;
  if (!statSync(real).isFile()) return `not a file: ${path}`;
  if (!hasPhotoExtension(real)) return `not a photo: ${path}`;
  return null;
}

/** The photos to label (first caption each), and a line for every entry that is not labeled. */
function selectPhotos(ds: Dataset, text: string, root: string): { items: Array<{ path: string; text: string }>; problems: string[] } {
  const lineOf = firstLines(text);
  const at = (line: number | undefined) => (line ? `line ${line}: ` : '');
  const problems = ds.problems.map((p) => `${at(p.line)}${p.file ? `${p.file}: ` : ''}${p.message}`);
  const items: Array<{ path: string; text: string }> = [];
  for (const img of ds.images) {
    if (img.captions.length === 0) continue;
    const why = whyNot(img.path, root);
    if (why) problems.push(`${at(lineOf.get(img.name))}${why}`);
    else items.push({ path: realpathSync(img.path), text: img.captions[0]! });
  }
  return { items, problems };
}

/** Add the folders of the photos not yet in the library; a folder that cannot be added is reported, the rest go on. */
async function addFoldersOf(lib: Library, paths: string[], problems: string[]): Promise<void> {
  const tried = new Set<string>();
  for (const path of paths) {
    const dir = dirname(path);
    if (tried.has(dir) || lib.photoIdByPath(path) !== null) continue; // a folder added before may hold it
    tried.add(dir);
    try {
      await lib.addFolder(dir, { caption: false });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push(`cannot add ${dir}: ${err.message}`);
    }
  }
}

/** The folder labeled photos must lie in, as a real path. */
function labelRoot(from: string, root: string | undefined): string {
  const dir = resolve(root ?? dirname(from));
  try {
    if (statSync(dir).isDirectory()) return realpathSync(dir);
  } catch {
    // reported below
  }
  throw new UserError(`--root must be a folder: ${dir}`);
}

async function labelFromFile(from: string, opts: LabelFlags): Promise<void> {
  const root = labelRoot(from, opts.root);
  const ds = loadDataset(from, { checkImages: false });
  const { items, problems } = selectPhotos(ds, readFileSync(from, 'utf8'), root);
  const lib = openLibraryFromCli(opts, { autoCaption: false });
  try {
    await addFoldersOf(
      lib,
      items.map((i) => i.path),
      problems,
    );
    const res = lib.importUserCaptions(items, 'user');
    const missing = res.notInLibrary.length;
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ imported: res.imported, unchanged: res.unchanged, notInLibrary: missing, problems: problems.length })}\n`
        : `${res.imported} captions imported, ${res.unchanged} already there${missing ? `, ${missing} photos not found` : ''}` +
            `${problems.length ? `, ${problems.length} lines skipped` : ''}\n`,
    );
    for (const p of problems.slice(0, 20)) process.stderr.write(`lenscribe: ${printable(p)}\n`);
    if (problems.length > 20) process.stderr.write(`lenscribe: … and ${problems.length - 20} more\n`);
    for (const p of res.notInLibrary.slice(0, 20)) process.stderr.write(`lenscribe: not a photo in the library: ${printable(p)}\n`);
    if (items.length === 0) throw new UserError(`no photos under ${root} to label in ${from}`);
    if (missing > 0 || problems.length > 0) process.exitCode = 2;
  } finally {
    await lib.close();
  }
}

export function registerLabel(program: Command): void {
  const label = program
    .command('label')
    .description('Import your own captions from a captions.jsonl file (a folder: see import-metadata)')
    .requiredOption('--from <file>', 'A captions.jsonl file ({"file", "captions"} per line); a folder is import-metadata <folder>')
    .option('--root <dir>', "Only photos under this folder are labeled (default: the captions file's folder)")
    .option('--json', 'Print the result as one JSON object');
  withExample(addLibraryOption(label), 'lenscribe label --from captions.jsonl').action(async (opts: LabelFlags) => {
    const from = resolve(opts.from);
    if (!existsSync(from)) throw new UserError(`not found: ${from}`);
    if (statSync(from).isDirectory()) {
      aliasNotice('label --from <folder>', `import-metadata ${opts.from}`);
      return importMetadataAction(from, opts);
    }
    return labelFromFile(from, opts);
  });
}
