/** Real images, a real (independent) ExifTool command line and real read-only folders for the metadata tests. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export type Format = 'jpeg' | 'tiff' | 'png' | 'webp' | 'avif';

/** A small photo with noisy pixels (so any change to image data would show). */
export async function makeImage(path: string, format: Format, seed = 1): Promise<void> {
  const w = 48;
  const h = 32;
  const raw = Buffer.alloc(w * h * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    raw[i] = s >>> 24;
  }
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .toFormat(format)
    .toFile(path);
}

/** Decoded pixels, to compare before and after a metadata write. */
export async function decodedPixels(path: string): Promise<Buffer> {
  return sharp(path).raw().toBuffer();
}

const EXIFTOOL = join(process.cwd(), 'node_modules', 'exiftool-vendored.pl', 'bin', 'exiftool');

/** The stock ExifTool command line (no Lenscribe config): "another program" reading and writing. */
export function exiftoolCli(args: string[]): string {
  return execFileSync('perl', [EXIFTOOL, ...args], { encoding: 'utf8' });
}

export function exiftoolJson(file: string, tags: string[]): Record<string, unknown> {
  return (JSON.parse(exiftoolCli(['-j', '-G1', '-a', ...tags.map((t) => `-${t}`), file])) as Array<Record<string, unknown>>)[0]!;
}

export function tempDir(prefix = 'lenscribe-meta-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Root ignores permission bits, so as root the folder is made immutable instead. */
export function makeReadOnly(path: string): void {
  chmodSync(path, 0o555);
  if (isRoot) execFileSync('chattr', ['+i', path]);
}

export function makeWritable(path: string): void {
  if (isRoot) execFileSync('chattr', ['-i', path]);
  chmodSync(path, 0o755);
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export { EXIFTOOL as EXIFTOOL_CLI };
