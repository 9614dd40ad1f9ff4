/**
 * Where a photo's sidecars live. Two XMP conventions exist and both are common:
 * `photo.xmp` (basename: Lightroom, Capture One, Bridge) and `photo.jpg.xmp` (fullname: darktable,
 * digiKam, Immich). Caption sidecars for dataset tools are `photo.txt` and `photo.caption`.
 */
import { lstat, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { SidecarNaming } from './types.js';
import { isProcessAlive } from '../../shared/process-alive.js';

/** Extensions of files that can have a sidecar (photos, RAWs, video stills). Lower case, no dot. */
const MEDIA_EXTENSIONS = new Set([
  'jpg',
  'jpeg',
  'jpe',
  'tif',
  'tiff',
  'png',
  'webp',
  'heic',
  'heif',
  'avif',
  'gif',
  'bmp',
  'jxl',
  'dng',
  'cr2',
  'cr3',
  'crw',
  'nef',
  'nrw',
  'arw',
  'srf',
  'sr2',
  'orf',
  'rw2',
  'raf',
  'pef',
  'srw',
  'x3f',
  'erf',
  'kdc',
  'mrw',
  '3fr',
  'iiq',
  'rwl',
  'mp4',
  'mov',
]);

const stemOf = (photoPath: string) => basename(photoPath, extname(photoPath));

export function xmpSidecarPath(photoPath: string, naming: SidecarNaming): string {
  const dir = dirname(photoPath);
  return naming === 'fullname' ? join(dir, `${basename(photoPath)}.xmp`) : join(dir, `${stemOf(photoPath)}.xmp`);
}

export function txtSidecarPath(photoPath: string): string {
  return join(dirname(photoPath), `${stemOf(photoPath)}.txt`);
}

export function captionSidecarPath(photoPath: string): string {
  return join(dirname(photoPath), `${stemOf(photoPath)}.caption`);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface ExistingSidecar {
  path: string;
  naming: SidecarNaming;
}

/** The photo's XMP sidecars that exist, fullname first (it is unambiguous). Both cases of `.xmp`. */
export async function existingXmpSidecars(photoPath: string): Promise<ExistingSidecar[]> {
  const dir = dirname(photoPath);
  const name = basename(photoPath);
  const stem = stemOf(photoPath);
  const candidates: ExistingSidecar[] = [
    { path: join(dir, `${name}.xmp`), naming: 'fullname' },
    { path: join(dir, `${name}.XMP`), naming: 'fullname' },
    { path: join(dir, `${stem}.xmp`), naming: 'basename' },
    { path: join(dir, `${stem}.XMP`), naming: 'basename' },
  ];
  const found: ExistingSidecar[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (!(await isFile(c.path))) continue;
    // On case-insensitive file systems `.xmp` and `.XMP` are one file.
    const key = `${(await lstat(c.path)).ino}:${c.naming}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.push(c);
  }
  return found;
}

/**
 * Cache of folder conventions, keyed by folder: re-read when the folder changed and the entry is
 * older than a few seconds (an export creating sidecars changes the folder with every file, and
 * re-listing a 10 000-file folder per photo would make the export quadratic).
 */
const folderCache = new Map<string, { mtimeMs: number; at: number; naming: SidecarNaming | null }>();
const FOLDER_CACHE_MS = 5_000;

/**
 * Which XMP naming the other app uses in this folder, judged from the sidecars already there;
 * null when the folder has none.
 */
export async function detectFolderNaming(dir: string): Promise<SidecarNaming | null> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(dir)).mtimeMs;
  } catch {
    return null;
  }
  const hit = folderCache.get(dir);
  if (hit && (hit.mtimeMs === mtimeMs || Date.now() - hit.at < FOLDER_CACHE_MS)) return hit.naming;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return null;
  }
  const lower = new Set(names.map((n) => n.toLowerCase()));
  const stemsWithMedia = new Set<string>();
  for (const n of lower) {
    const ext = extname(n).slice(1);
    if (MEDIA_EXTENSIONS.has(ext)) stemsWithMedia.add(n.slice(0, -(ext.length + 1)));
  }
  let full = 0;
  let base = 0;
  for (const n of lower) {
    if (!n.endsWith('.xmp')) continue;
    const inner = n.slice(0, -4);
    if (MEDIA_EXTENSIONS.has(extname(inner).slice(1)) && lower.has(inner)) full++;
    else if (stemsWithMedia.has(inner)) base++;
  }
  const naming: SidecarNaming | null = full === 0 && base === 0 ? null : full >= base ? 'fullname' : 'basename';
  if (folderCache.size > 2048) folderCache.clear();
  folderCache.set(dir, { mtimeMs, at: Date.now(), naming });
  return naming;
}

/**
 * The XMP sidecar to write for this photo: its existing sidecar if it has one (the convention
 * the folder uses breaks a tie), else the folder's convention, else fullname (`photo.jpg.xmp`,
 * which never collides between a RAW and its JPEG).
 */
export async function chooseXmpSidecar(photoPath: string, naming: SidecarNaming | 'auto' = 'auto'): Promise<ExistingSidecar> {
  if (naming !== 'auto') {
    const existing = (await existingXmpSidecars(photoPath)).find((s) => s.naming === naming);
    return existing ?? { path: xmpSidecarPath(photoPath, naming), naming };
  }
  const existing = await existingXmpSidecars(photoPath);
  const folder = await detectFolderNaming(dirname(photoPath));
  if (existing.length === 1) return existing[0];
  if (existing.length > 1) return existing.find((s) => s.naming === folder) ?? existing[0];
  const chosen = folder ?? 'fullname';
  return { path: xmpSidecarPath(photoPath, chosen), naming: chosen };
}

/** Whether a file name is a sidecar Lenscribe reads (.xmp, .txt, .caption; any case), not a temp file. */
export function isSidecarName(name: string): boolean {
  return !name.startsWith('.') && /\.(?:xmp|txt|caption)$/i.test(name);
}

/**
 * The photos a sidecar belongs to (for a watcher that sees `photo.jpg.xmp`, `photo.xmp` or
 * `photo.txt` change): `photo.jpg` for the fullname form, every media file with the stem otherwise.
 */
export async function photosForSidecar(sidecarPath: string): Promise<string[]> {
  const dir = dirname(sidecarPath);
  const name = basename(sidecarPath);
  if (!isSidecarName(name)) return [];
  const inner = name.slice(0, name.lastIndexOf('.'));
  if (/\.xmp$/i.test(name) && MEDIA_EXTENSIONS.has(extname(inner).slice(1).toLowerCase()) && (await isFile(join(dir, inner))))
    return [join(dir, inner)];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => MEDIA_EXTENSIONS.has(extname(n).slice(1).toLowerCase()) && basename(n, extname(n)) === inner)
    .map((n) => join(dir, n))
    .sort();
}

/** Temp files Lenscribe makes beside a target while writing (`.<name>.lenscribe-tmp-<pid>-<rand>.<ext>`). */
export const TEMP_MARK = '.lenscribe-tmp-';

/**
 * Remove temp files a killed Lenscribe left in `dir` (their process is gone, or they are a day
 * old). They are never the user's: only Lenscribe names files this way. Returns how many went.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = name.startsWith('.') ? /\.lenscribe-tmp-(\d+)-[0-9a-f]{8}(?:\.[^.]*)?$/.exec(name) : null;
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = await lstat(path);
      if (!st.isFile()) continue;
      if (isProcessAlive(Number(m[1])) && Date.now() - st.mtimeMs < 86_400_000) continue;
      await unlink(path);
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
