/** Real image files (and real broken ones) for the library tests, generated with sharp. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export function tempDir(prefix = 'lenscribe-lib-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small real JPEG whose pixels depend on `seed` (so hashes differ). */
export async function writeJpeg(path: string, seed: number, size = 48): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed * 97 + ((i / 3) | 0) * seed) & 0xff;
  await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 80 })
    .toFile(path);
  return path;
}

export async function writePng(path: string, seed: number, size = 40): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: seed & 255, g: (seed * 7) & 255, b: 90 } } })
    .png()
    .toFile(path);
  return path;
}

/** A PNG header declaring 100000×100000 pixels with no real image data: a decompression bomb's shape. */
export function writeBombPng(path: string): string {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  writeFileSync(
    path,
    Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00])), chunk('IEND', Buffer.alloc(0))]),
  );
  return path;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** The broken-file corpus: name -> the error kind the library must give it at ingest. */
export async function writeBrokenCorpus(dir: string): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'empty.jpg'), '');
  writeFileSync(join(dir, 'notes.jpg'), 'this is a text file, not a photo\n');
  writeFileSync(join(dir, 'document.png'), '%PDF-1.4\n%âãÏÓ\n1 0 obj\n');
  writeFileSync(join(dir, 'garbage-header.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(200, 0x41)]));
  writeBombPng(join(dir, 'bomb.png'));
  return {
    'empty.jpg': 'empty',
    'notes.jpg': 'not-image',
    'document.png': 'not-image',
    'garbage-header.jpg': 'corrupt',
    'bomb.png': 'too-large',
  };
}

/** A JPEG cut in half: its header reads, its pixels do not (the encoder reports it). */
export async function writeTruncatedJpeg(path: string, seed: number): Promise<string> {
  await writeJpeg(path, seed, 64);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}
