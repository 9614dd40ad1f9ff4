/**
 * Captioned-photo datasets for training and evaluation. Three formats:
 *  - our jsonl: one `{"file": "images/x.jpg", "captions": ["…", …]}` per line, paths relative to the jsonl;
 *  - Flickr8k's `Flickr8k.token.txt`: `name.jpg#0<TAB>caption`, images in a given folder or next to
 *    the file as `Flicker8k_Dataset/`, `Flickr8k_Dataset/`, `Images/` or `images/`;
 *  - the Karpathy-split JSON (`dataset_coco.json`, `dataset_flickr30k.json`, …):
 *    `{"images": [{"filepath"?, "filename", "split", "sentences": [{"raw", "tokens"}]}]}`.
 * Bad lines and missing images are reported one by one (with line numbers) and skipped; the rest loads.
 * The validation split is a deterministic hash of each photo's file name, so it does not depend on
 * the order of the file or the format it came in.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../shared/errors.js';

export type DatasetFormat = 'jsonl' | 'flickr8k' | 'karpathy';

export interface CaptionedImage {
  /** Absolute path of the photo. */
  path: string;
  /** The name the dataset gives the photo (relative path as written); used for reporting. */
  name: string;
  captions: string[];
  /** Split declared by the dataset itself (Karpathy JSON: train / val / test / restval). */
  declaredSplit?: string;
}

export interface DatasetProblem {
  /** 1-based line in the source file, when the problem is tied to one. */
  line?: number;
  /** The photo concerned, when known. */
  file?: string;
  message: string;
}

export interface Dataset {
  format: DatasetFormat;
  /** The file the dataset was read from. */
  source: string;
  /** Folder the photos were resolved against. */
  imagesDir: string;
  images: CaptionedImage[];
  /** Skipped lines and photos, one specific message each. */
  problems: DatasetProblem[];
}

export interface LoadOptions {
  /** Force a format instead of detecting it from the name and content. */
  format?: DatasetFormat;
  /** Folder holding the photos (Flickr8k token file, Karpathy JSON). */
  imagesDir?: string;
  /** Check that every photo exists (default true). */
  checkImages?: boolean;
}

/** Detect the format from the file name, then from the first non-blank character. */
export function detectFormat(path: string, text: string): DatasetFormat {
  const name = basename(path).toLowerCase();
  if (name.endsWith('.jsonl')) return 'jsonl';
  if (name.endsWith('.token.txt') || name.endsWith('.txt') || name.endsWith('.tsv')) return 'flickr8k';
  const first = text.trimStart()[0];
  if (first === '{') {
    // A single JSON document with an `images` array is Karpathy-style; otherwise one object per line.
    const firstLine = text.trimStart().split('\n', 1)[0];
    try {
      JSON.parse(firstLine);
      if (!/"images"\s*:/.test(firstLine)) return 'jsonl';
    } catch {
      /* a multi-line JSON document */
    }
    return 'karpathy';
  }
  if (/\t/.test(text.slice(0, 4096)) && /#\d+\t/.test(text.slice(0, 4096))) return 'flickr8k';
  throw new UserError(`${path}: unrecognised dataset format (expected .jsonl, Flickr8k.token.txt or a Karpathy-split JSON)`);
}

export function loadDataset(path: string, options: LoadOptions = {}): Dataset {
  const source = resolve(path);
  let text: string;
  try {
    if (statSync(source).isDirectory()) throw new UserError(`${path}: is a folder; give the captions file inside it`);
    text = readFileSync(source, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read dataset (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (text.trim() === '') throw new UserError(`${path}: dataset file is empty`);
  const format = options.format ?? detectFormat(source, text);
  const problems: DatasetProblem[] = [];
  let images: CaptionedImage[];
  let imagesDir: string;
  if (format === 'jsonl') {
    imagesDir = options.imagesDir ? resolve(options.imagesDir) : dirname(source);
    images = parseJsonl(text, imagesDir, problems);
  } else if (format === 'flickr8k') {
    const raw = parseFlickrToken(text, problems);
    imagesDir = options.imagesDir
      ? resolve(options.imagesDir)
      : findImagesDir(dirname(source), ['Flicker8k_Dataset', 'Flickr8k_Dataset', 'Images', 'images', '.'], raw[0]?.name);
    images = raw.map((r) => ({ ...r, path: join(imagesDir, r.name) }));
  } else {
    const raw = parseKarpathy(text, source, problems);
    imagesDir = options.imagesDir
      ? resolve(options.imagesDir)
      : findImagesDir(
          dirname(source),
          ['.', 'images', 'Images', 'flickr30k-images', 'Flicker8k_Dataset', 'Flickr8k_Dataset', 'coco'],
          raw[0]?.name,
        );
    images = raw.map((r) => ({ ...r, path: join(imagesDir, r.name) }));
  }
  if (options.checkImages ?? true) {
    images = images.filter((img) => {
      if (existsSync(img.path)) return true;
      problems.push({ file: img.name, message: `${img.name}: image not found at ${img.path}` });
      return false;
    });
  }
  if (images.length === 0) {
    const first = problems[0] ? ` (first problem: ${describeProblem(problems[0])})` : '';
    throw new UserError(`${path}: no usable captioned images${first}`);
  }
  return { format, source, imagesDir, images, problems };
}

export function describeProblem(p: DatasetProblem): string {
  return p.line !== undefined ? `line ${p.line}: ${p.message}` : p.message;
}

function cleanCaptions(captions: unknown[]): string[] {
  return captions
    .filter((c): c is string => typeof c === 'string')
    .map((c) => c.replace(/\s+/g, ' ').trim())
    .filter((c) => c.length > 0);
}

function parseJsonl(text: string, root: string, problems: DatasetProblem[]): CaptionedImage[] {
  const byPath = new Map<string, CaptionedImage>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const lineNo = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      problems.push({ line: lineNo, message: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      problems.push({ line: lineNo, message: 'expected an object {"file": …, "captions": […]}' });
      continue;
    }
    const { file, captions } = obj as { file?: unknown; captions?: unknown };
    if (typeof file !== 'string' || file.trim() === '') {
      problems.push({ line: lineNo, message: '"file" must be a non-empty string' });
      continue;
    }
    if (!Array.isArray(captions) || captions.some((c) => typeof c !== 'string')) {
      problems.push({ line: lineNo, file, message: '"captions" must be an array of strings' });
      continue;
    }
    const clean = cleanCaptions(captions);
    if (clean.length === 0) {
      problems.push({ line: lineNo, file, message: `${file}: no non-empty captions` });
      continue;
    }
    const path = isAbsolute(file) ? file : resolve(root, file);
    const existing = byPath.get(path);
    if (existing) existing.captions.push(...clean);
    else byPath.set(path, { path, name: file, captions: clean });
  }
  return [...byPath.values()];
}

function parseFlickrToken(text: string, problems: DatasetProblem[]): Array<{ name: string; captions: string[] }> {
  const byName = new Map<string, { name: string; captions: string[] }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const lineNo = i + 1;
    const tab = line.indexOf('\t');
    if (tab < 0) {
      problems.push({ line: lineNo, message: 'expected "<image>#<n><TAB><caption>"; no tab found' });
      continue;
    }
    const key = line.slice(0, tab).trim();
    const caption = line
      .slice(tab + 1)
      .replace(/\s+/g, ' ')
      .trim();
    const m = /^(.+?)#\d+$/.exec(key);
    if (!m) {
      problems.push({ line: lineNo, message: `"${key}" is not "<image>#<n>"` });
      continue;
    }
    const name = m[1];
    // A known quirk of the original file: entries for "x.jpg.1", an image that does not exist.
    if (!/\.(jpe?g|png|webp|gif|tiff?|bmp|avif)$/i.test(name)) {
      problems.push({ line: lineNo, file: name, message: `${name}: not an image file name` });
      continue;
    }
    if (!caption) {
      problems.push({ line: lineNo, file: name, message: `${name}: empty caption` });
      continue;
    }
    const entry = byName.get(name);
    if (entry) entry.captions.push(caption);
    else byName.set(name, { name, captions: [caption] });
  }
  return [...byName.values()];
}

function parseKarpathy(
  text: string,
  source: string,
  problems: DatasetProblem[],
): Array<{ name: string; captions: string[]; declaredSplit?: string }> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const list = (doc as { images?: unknown })?.images;
  if (!Array.isArray(list)) throw new UserError(`${source}: expected a Karpathy-split JSON with an "images" array`);
  const out: Array<{ name: string; captions: string[]; declaredSplit?: string }> = [];
  list.forEach((img: unknown, i) => {
    const where = `images[${i}]`;
    if (typeof img !== 'object' || img === null) {
      problems.push({ message: `${where}: not an object` });
      return;
    }
    const { filename, filepath, split, sentences } = img as Record<string, unknown>;
    if (typeof filename !== 'string' || !filename) {
      problems.push({ message: `${where}: missing "filename"` });
      return;
    }
    const name = typeof filepath === 'string' && filepath ? `${filepath}/${filename}` : filename;
    if (!Array.isArray(sentences)) {
      problems.push({ file: name, message: `${where} (${name}): missing "sentences" array` });
      return;
    }
    const captions = cleanCaptions(
      sentences.map((s: unknown) => {
        const o = s as { raw?: unknown; tokens?: unknown };
        if (typeof o?.raw === 'string') return o.raw;
        if (Array.isArray(o?.tokens)) return o.tokens.filter((t) => typeof t === 'string').join(' ');
        return undefined;
      }),
    );
    if (captions.length === 0) {
      problems.push({ file: name, message: `${where} (${name}): no captions` });
      return;
    }
    out.push({ name, captions, ...(typeof split === 'string' ? { declaredSplit: split } : {}) });
  });
  return out;
}

/** The first candidate folder (relative to `base`) that holds `probe`; else the first that exists; else base. */
function findImagesDir(base: string, candidates: string[], probe: string | undefined): string {
  const dirs = candidates.map((c) => resolve(base, c));
  if (probe) for (const d of dirs) if (existsSync(join(d, probe))) return d;
  for (const d of dirs) if (d !== base && existsSync(d) && statSync(d).isDirectory()) return d;
  return base;
}

/**
 * Where a photo falls in the hash split: a number in [0, 1) from sha256 of its base file name
 * (so the same photo lands on the same side whichever format or folder it is read from).
 */
export function splitHash(name: string, salt = 'lenscribe-val'): number {
  const h = createHash('sha256')
    .update(`${salt}:${basename(name)}`)
    .digest();
  // 48 bits are plenty and stay exact in a double.
  return h.readUIntBE(0, 6) / 2 ** 48;
}

export interface Split {
  train: CaptionedImage[];
  val: CaptionedImage[];
}

/** Deterministic validation split: photos whose name hashes below `fraction` go to validation. */
export function splitByHash(images: CaptionedImage[], fraction: number, salt?: string): Split {
  if (!(fraction >= 0 && fraction < 1)) throw new UserError(`--val-fraction must be in [0, 1); got ${fraction}`);
  const train: CaptionedImage[] = [];
  const val: CaptionedImage[] = [];
  for (const img of images) (splitHash(img.name, salt) < fraction ? val : train).push(img);
  return { train, val };
}

/**
 * The split the dataset declares (Karpathy JSON): `train` and `restval` train, `val` validates,
 * `test` is left out. Throws if the dataset declares none.
 */
export function splitDeclared(images: CaptionedImage[]): Split & { test: CaptionedImage[] } {
  if (!images.some((i) => i.declaredSplit)) throw new UserError('this dataset declares no train/val split; use --val-fraction');
  const train: CaptionedImage[] = [];
  const val: CaptionedImage[] = [];
  const test: CaptionedImage[] = [];
  for (const img of images) {
    if (img.declaredSplit === 'val') val.push(img);
    else if (img.declaredSplit === 'test') test.push(img);
    else train.push(img);
  }
  return { train, val, test };
}
