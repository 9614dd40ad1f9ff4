/**
 * Photo preprocessing on images generated here with sharp: every format sharp reads,
 * 16-bit, CMYK, grayscale, alpha, EXIF orientation; squashing (not cropping) to the
 * encoder input; the thumbnail; and the per-file error kinds on a broken-file corpus.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyDecodeError, preparePhoto, sniffFormat, type PreparedPhoto } from '../../src/inference/encoder/preprocess.js';
import { PhotoError } from '../../src/inference/encoder/errors.js';
import { makeBrokenCorpus } from './encoder-corpus.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-preprocess-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

/** w×h raw RGB: left half red, right half blue. */
function halves(w: number, h: number, left = RED, right = BLUE): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const c = x < w / 2 ? left : right;
      b.set(c, (y * w + x) * 3);
    }
  return b;
}

function pixel(p: PreparedPhoto, x: number, y: number): number[] {
  const i = (y * p.size + x) * 3;
  return [p.input[i], p.input[i + 1], p.input[i + 2]];
}

function near(got: number[], want: number[], tol: number): void {
  for (let k = 0; k < 3; k++) expect(Math.abs(got[k] - want[k]), `${got} vs ${want}`).toBeLessThanOrEqual(tol);
}

async function write(name: string, data: Buffer | Promise<Buffer>): Promise<string> {
  const p = join(dir, name);
  writeFileSync(p, await data);
  return p;
}

const base = () => sharp(halves(400, 200), { raw: { width: 400, height: 200, channels: 3 } });

describe('formats and colour spaces', () => {
  it.each([
    ['jpeg', () => base().jpeg({ quality: 95 }).toBuffer(), 12],
    ['png', () => base().png().toBuffer(), 0],
    ['webp', () => base().webp({ lossless: true }).toBuffer(), 0],
    ['avif', () => base().avif({ quality: 90 }).toBuffer(), 30],
    ['tiff', () => base().tiff().toBuffer(), 2],
    ['gif', () => base().gif().toBuffer(), 0],
    ['png16', () => base().toColourspace('rgb16').png().toBuffer(), 1],
  ] as const)('%s decodes to 8-bit RGB at the input size, squashed', async (fmt, make, tol) => {
    const file = await write(`img.${fmt}`, make());
    const p = await preparePhoto(file, { size: 224 });
    expect(p.input.length).toBe(224 * 224 * 3);
    expect([p.width, p.height, p.orientation]).toEqual([400, 200, 1]);
    // 2:1 squashed to 1:1: left half red, right half blue (the thirds test tells squash from crop).
    near(pixel(p, 40, 112), RED, tol);
    near(pixel(p, 184, 112), BLUE, tol);
    expect(p.format).toBe(fmt === 'png16' ? 'png' : fmt === 'avif' ? 'heif' : fmt);
  });

  it('squashes the whole frame (fit: fill), never crops', async () => {
    const w = 600;
    const h = 200;
    const b = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set(x < 200 ? RED : x < 400 ? [0, 255, 0] : BLUE, (y * w + x) * 3);
    const file = await write(
      'thirds.png',
      sharp(b, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const p = await preparePhoto(file, { size: 224 });
    near(pixel(p, 30, 5), RED, 0);
    near(pixel(p, 112, 218), [0, 255, 0], 0);
    near(pixel(p, 200, 110), BLUE, 0);
  });

  it('converts CMYK JPEG to sRGB', async () => {
    const file = await write('cmyk.jpg', base().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer());
    expect((await sharp(file).metadata()).space).toBe('cmyk');
    const p = await preparePhoto(file, { size: 224 });
    const [r, g, b] = pixel(p, 40, 112);
    expect(r).toBeGreaterThan(180);
    expect(Math.max(g, b)).toBeLessThan(90);
    const [r2, , b2] = pixel(p, 184, 112);
    expect(b2).toBeGreaterThan(120);
    expect(r2).toBeLessThan(100);
  });

  it('widens grayscale to three equal channels', async () => {
    const file = await write('gray.png', base().toColourspace('b-w').png().toBuffer());
    expect((await sharp(file).metadata()).channels).toBe(1);
    const p = await preparePhoto(file, { size: 224 });
    const [r, g, b] = pixel(p, 40, 112);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeGreaterThan(pixel(p, 184, 112)[0]); // red is lighter than blue in luma
  });

  it('flattens alpha on white', async () => {
    const w = 100;
    const h = 100;
    const b = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) b.set(i % w < 50 ? [0, 0, 0, 0] : [0, 0, 255, 255], i * 4);
    const file = await write(
      'alpha.png',
      sharp(b, { raw: { width: w, height: h, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const p = await preparePhoto(file, { size: 224 });
    near(pixel(p, 30, 100), [255, 255, 255], 0);
    near(pixel(p, 200, 100), BLUE, 0);
  });

  it('takes the first frame of an animated GIF', async () => {
    const red = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const blue = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#0000ff' } })
      .png()
      .toBuffer();
    const file = await write(
      'anim.gif',
      sharp([red, blue], { join: { animated: true } })
        .gif()
        .toBuffer(),
    );
    expect((await sharp(file).metadata()).pages).toBe(2);
    const p = await preparePhoto(file, { size: 224 });
    expect([p.width, p.height]).toEqual([40, 20]);
    near(pixel(p, 112, 112), RED, 0);
  });
});

describe('EXIF orientation and the thumbnail', () => {
  it('applies orientation 6 (90° clockwise) to the input, the size and the thumbnail', async () => {
    const file = await write('o6.jpg', base().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer());
    const p = await preparePhoto(file, { size: 224 });
    expect([p.width, p.height, p.orientation]).toEqual([200, 400, 6]);
    // Rotated clockwise, the stored left (red) half ends up on top.
    near(pixel(p, 112, 30), RED, 12);
    near(pixel(p, 112, 190), BLUE, 12);
    expect([p.thumbnailWidth, p.thumbnailHeight]).toEqual([160, 320]);
    const t = await sharp(p.thumbnail!).raw().toBuffer({ resolveWithObject: true });
    expect(t.info.format).toBe('raw');
    expect((await sharp(p.thumbnail!).metadata()).format).toBe('webp');
    const at = (x: number, y: number) =>
      Array.from(t.data.subarray((y * t.info.width + x) * t.info.channels, (y * t.info.width + x) * t.info.channels + 3));
    near(at(80, 40), RED, 20);
    near(at(80, 280), BLUE, 20);
  });

  it('applies orientation 3 (180°)', async () => {
    const file = await write('o3.jpg', base().jpeg({ quality: 95 }).withMetadata({ orientation: 3 }).toBuffer());
    const p = await preparePhoto(file, { size: 299 });
    expect([p.width, p.height, p.orientation, p.size]).toEqual([400, 200, 3, 299]);
    expect(p.input.length).toBe(299 * 299 * 3);
    near(pixel(p, 40, 150), BLUE, 12);
    near(pixel(p, 260, 150), RED, 12);
  });

  it('keeps aspect in the thumbnail, never enlarges it, and can skip it', async () => {
    const file = await write('wide.png', base().png().toBuffer());
    const p = await preparePhoto(file, { size: 224 });
    expect([p.thumbnailWidth, p.thumbnailHeight]).toEqual([320, 160]);
    const small = await write(
      'small.png',
      sharp(halves(60, 30), { raw: { width: 60, height: 30, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const s = await preparePhoto(small, { size: 224 });
    expect([s.thumbnailWidth, s.thumbnailHeight]).toEqual([60, 30]);
    near(pixel(s, 20, 100), RED, 0); // small images are enlarged to the input size
    const none = await preparePhoto(file, { size: 224, thumbnail: false });
    expect(none.thumbnail).toBeUndefined();
  });

  it('hashes the file bytes on request', async () => {
    const file = await write('h.png', base().png().toBuffer());
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const p = await preparePhoto(file, { size: 224, hash: true });
    expect(p.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(p.fileBytes).toBe(readFileSync(file).length);
  });
});

describe('broken files', () => {
  it('each gets its own error kind', async () => {
    const corpus = await makeBrokenCorpus(join(dir, 'broken'));
    for (const { file, kind } of corpus) {
      const err = await preparePhoto(file, { size: 224 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, file).toBeInstanceOf(PhotoError);
      expect({ file, kind: (err as PhotoError).kind }).toEqual({ file, kind });
      expect((err as PhotoError).path).toBe(file);
      expect((err as PhotoError).message.split('\n')).toHaveLength(1);
    }
  });

  it('tells cut-short JPEG and PNG files by their end marker, whatever words the decoder used', async () => {
    const png = await base().png().toBuffer();
    const jpg = await base().jpeg().toBuffer();
    // libvips shares one error buffer between threads: a message can carry another file's words.
    const words = 'vipspng: libpng read error\nVipsPng: not enough data (premature end of file)';
    expect(classifyDecodeError(words, png)).toBe('corrupt');
    expect(classifyDecodeError(words, jpg)).toBe('corrupt');
    expect(classifyDecodeError('vipspng: libpng read error', png.subarray(0, png.length >> 1))).toBe('truncated');
    expect(classifyDecodeError('VipsJpeg: Corrupt JPEG data', jpg.subarray(0, jpg.length >> 1))).toBe('truncated');
    // A HEIC photo cannot be decoded here at all: unsupported, whatever the words.
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(200, 1)]);
    expect(classifyDecodeError(words, heic)).toBe('unsupported');
    // The generic major brand with HEVC among the compatible ones is HEIC too; with AVIF it is not.
    const ftyp = (brands: string) =>
      Buffer.concat([Buffer.from([0, 0, 0, 8 + brands.length]), Buffer.from(`ftyp${brands}`, 'latin1'), Buffer.alloc(200, 1)]);
    expect(classifyDecodeError(words, ftyp('mif1\0\0\0\0mif1heic'))).toBe('unsupported');
    expect(classifyDecodeError('heif: unexpected end of file', ftyp('mif1\0\0\0\0mif1avif'))).toBe('truncated');
    // "IEND" inside the data does not make a cut PNG whole.
    const cut = Buffer.concat([
      png.subarray(0, png.length >> 1),
      Buffer.from('IEND', 'latin1'),
      png.subarray(png.length >> 1, (png.length >> 1) + 500),
    ]);
    expect(classifyDecodeError('vipspng: libpng read error', cut)).toBe('truncated');
    // Without an end marker to read, the words decide.
    const webp = await base().webp().toBuffer();
    expect(classifyDecodeError('webp: unexpected end of file', webp)).toBe('truncated');
  });

  it('refuses more pixels than the limit before decoding', async () => {
    const file = await write('limit.png', base().png().toBuffer());
    await expect(preparePhoto(file, { size: 224, maxPixels: 400 * 200 - 1 })).rejects.toMatchObject({ kind: 'too-large' });
    await expect(preparePhoto(file, { size: 224, maxPixels: 400 * 200 })).resolves.toMatchObject({ width: 400 });
  });

  it.skipIf(process.getuid?.() === 0)('reports a file without read permission as unreadable', async () => {
    const file = await write('noperm.png', base().png().toBuffer());
    chmodSync(file, 0);
    await expect(preparePhoto(file, { size: 224 })).rejects.toMatchObject({ kind: 'unreadable' });
  });

  it('sniffs formats from magic bytes', () => {
    expect(sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(sniffFormat(Buffer.from('\0\0\0\x18ftypavif', 'latin1'))).toBe('avif');
    expect(sniffFormat(Buffer.from('hello world!'))).toBeUndefined();
  });
});
