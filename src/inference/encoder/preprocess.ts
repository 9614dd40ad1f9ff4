/**
 * One decode per photo: read the file, decode it once with sharp (EXIF auto-orientation,
 * sRGB 8-bit, alpha flattened on white) to a small intermediate, then derive both the
 * encoder input (squashed to size×size, `fit: 'fill'`, like the training images) and the
 * grid thumbnail (WebP, aspect kept) from that intermediate.
 *
 * JPEG decoding uses shrink-on-load (libjpeg DCT scaling), so a 12 MP photo is never
 * decoded at full size: the intermediate's short side is max(input size, 320 px), which a
 * 4000×3000 JPEG reaches with the cheap 1/8 DCT scale.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { PhotoError, fsErrorKind, type PhotoErrorKind } from './errors.js';

export interface PrepareOptions {
  /** Encoder input side in pixels (224 MobileNetV2, 299 InceptionV3). */
  size: number;
  /** Thumbnail: longest side in pixels (at most the 320-px-short-side decode), or `false`. Default 320. */
  thumbnail?: number | false;
  /** WebP quality of the thumbnail. Default 80. */
  thumbnailQuality?: number;
  /** Refuse images with more decoded pixels than this (decompression bombs). Default 120 MP. */
  maxPixels?: number;
  /** Also return the sha256 of the file's bytes (they are in memory anyway). */
  hash?: boolean;
}

export interface PreparedPhoto {
  /** size×size×3 RGB bytes, row-major (HWC), ready for the encoder's `pixels` input. */
  input: Uint8Array;
  size: number;
  /** WebP thumbnail from the same decode (undefined when disabled). */
  thumbnail?: Buffer;
  thumbnailWidth?: number;
  thumbnailHeight?: number;
  /** Size as displayed, i.e. after EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation tag (1–8; 1 when absent). */
  orientation: number;
  /** Format sharp detected: jpeg, png, webp, heif (AVIF), tiff, gif, … */
  format: string;
  /** File size in bytes. */
  fileBytes: number;
  /** sha256 of the file, hex (only with `hash: true`). */
  sha256?: string;
}

export const DEFAULT_MAX_PIXELS = 120_000_000;
export const DEFAULT_THUMBNAIL = 320;
/** Short side of the one decode both outputs come from (a thumbnail is never larger than it). */
export const INTERMEDIATE_SIDE = 320;

/** Reads and decodes one photo; throws PhotoError with a specific kind. */
export async function preparePhoto(path: string, opts: PrepareOptions): Promise<PreparedPhoto> {
  // libvips reads a trailing "[…]" of a file name as load options ("a.jpg[shrink=2]" loads
  // a.jpg at half size), so such names are read here and decoded from memory.
  if (opts.hash || path.endsWith(']')) return prepareBytes(await readPhotoFile(path), path, opts);
  // Without a hash to compute, libvips reads the file itself: no JS copy of a 4 MB camera
  // file per photo (~1.3 CPU-ms with the GC it causes). The bytes are read only to classify
  // a failure.
  const fileBytes = await photoFileSize(path);
  try {
    return await decodeOnce(path, fileBytes, path, opts);
  } catch (e) {
    if (e instanceof PhotoError) throw e;
    throw decodeError(e, await readPhotoFile(path), path);
  }
}

/** Same as preparePhoto for bytes already in memory (`label` names them in errors). */
export async function prepareBytes(bytes: Buffer, label: string, opts: PrepareOptions): Promise<PreparedPhoto> {
  if (bytes.length === 0) throw new PhotoError('empty', label, 'file is empty');
  try {
    const photo = await decodeOnce(bytes, bytes.length, label, opts);
    return opts.hash ? { ...photo, sha256: createHash('sha256').update(bytes).digest('hex') } : photo;
  } catch (e) {
    if (e instanceof PhotoError) throw e;
    throw decodeError(e, bytes, label);
  }
}

async function readPhotoFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw fsError(e, path);
  }
}

/** The file's size, with the same error kinds a read would give (a directory, empty, missing). */
async function photoFileSize(path: string): Promise<number> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw fsError(e, path);
  }
  if (st.isDirectory()) throw new PhotoError('unreadable', path, 'is a directory');
  if (st.size === 0) throw new PhotoError('empty', path, 'file is empty');
  return st.size;
}

function fsError(e: unknown, path: string): PhotoError {
  const err = e as NodeJS.ErrnoException;
  return new PhotoError(fsErrorKind(err.code), path, err.code === 'EISDIR' ? 'is a directory' : (err.message ?? String(e)));
}

function decodeError(e: unknown, bytes: Buffer, label: string): PhotoError {
  const message = (e as Error)?.message ?? String(e);
  return new PhotoError(classifyDecodeError(message, bytes), label, firstLine(message));
}

/** The one decode: `input` is a file path (libvips reads it) or the file's bytes. */
async function decodeOnce(input: string | Buffer, fileBytes: number, label: string, opts: PrepareOptions): Promise<PreparedPhoto> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const thumbSide = opts.thumbnail === undefined ? DEFAULT_THUMBNAIL : opts.thumbnail;
  const image = sharp(input, { limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true });
  const meta = await image.metadata();
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5;
  const width = (swap ? meta.height : meta.width) ?? 0;
  const height = (swap ? meta.width : meta.height) ?? 0;
  // Decode once to an intermediate whose short side is max(size, 320): JPEG shrink-on-load
  // reaches it with the cheap 1/8 DCT scale for camera photos. The input is always derived
  // from this same intermediate, so features do not depend on the thumbnail setting.
  const inter = Math.max(opts.size, INTERMEDIATE_SIDE);
  const { data, info } = await image
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .resize({ width: inter, height: inter, fit: 'outside', withoutEnlargement: true })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const [inputPixels, thumb] = await Promise.all([
    sharp(data, raw).resize(opts.size, opts.size, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
    thumbSide
      ? sharp(data, raw)
          .resize(thumbSide, thumbSide, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: opts.thumbnailQuality ?? 80, effort: 2 })
          .toBuffer({ resolveWithObject: true })
      : undefined,
  ]);
  return {
    input: toRgb(inputPixels.data, inputPixels.info.channels, opts.size * opts.size),
    size: opts.size,
    thumbnail: thumb?.data,
    thumbnailWidth: thumb?.info.width,
    thumbnailHeight: thumb?.info.height,
    width,
    height,
    orientation,
    format: meta.format ?? 'unknown',
    fileBytes,
  };
}

/** Grayscale (1 channel) output is widened to RGB; 3 channels pass through. */
function toRgb(data: Buffer, channels: number, pixels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, pixels * 3);
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const v = data[i * channels];
    out[3 * i] = v;
    out[3 * i + 1] = channels >= 3 ? data[i * channels + 1] : v;
    out[3 * i + 2] = channels >= 3 ? data[i * channels + 2] : v;
  }
  return out;
}

function firstLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, 2)
    .join(' — ');
}

/** Image formats recognized by their first bytes, to tell damaged data from foreign data. */
export function sniffFormat(b: Buffer): string | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*')) return 'tiff';
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') {
    const brand = b.toString('latin1', 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'heic';
    return `isobmff:${brand}`;
  }
  if (b.length >= 2 && b.toString('latin1', 0, 2) === 'BM') return 'bmp';
  return undefined;
}

/** The kind of a failed decode, from the decoder's message and the file's bytes. */
export function classifyDecodeError(message: string, bytes: Buffer): PhotoErrorKind {
  const m = message.toLowerCase();
  if (m.includes('pixel limit')) return 'too-large';
  const sniffed = sniffFormat(bytes);
  // sharp's prebuilt libvips has no HEVC decoder: a HEIC photo is unsupported whatever the words.
  if (sniffed === 'heic' && isHevcContainer(bytes)) return 'unsupported';
  // Where the format has an end marker, it decides, not the message: libvips keeps one error
  // buffer for all its threads (sharp#902), so a decode failing beside a cut-short file can carry that
  // file's "not enough data" (a damaged whole PNG came out truncated, now and then, in CI).
  if (sniffed === 'jpeg' || sniffed === 'png') {
    if (lacksEndMarker(sniffed, bytes)) return 'truncated';
  } else if (
    m.includes('premature end') ||
    m.includes('truncat') ||
    m.includes('unexpected end') ||
    m.includes('end of file') ||
    m.includes('not enough data')
  )
    return 'truncated';
  if (
    m.includes('unsupported image format') ||
    m.includes('unsupported feature') ||
    m.includes('no decoder') ||
    m.includes('unsupported codec') ||
    m.includes('compression format')
  ) {
    // A known container sharp cannot open because of a missing codec is unsupported;
    // a JPEG/PNG/... signature sharp should decode but cannot is damaged data.
    if (!sniffed || sniffed === 'heic' || sniffed === 'bmp' || sniffed.startsWith('isobmff')) return 'unsupported';
    if (m.includes('unsupported feature') || m.includes('unsupported codec') || m.includes('compression format')) return 'unsupported';
    return 'corrupt';
  }
  return sniffed === 'heic' ? 'unsupported' : 'corrupt';
}

/**
 * An ISO-BMFF file whose `ftyp` brands (major or compatible) name HEVC coding and none AVIF: the
 * generic 'mif1'/'msf1' major brands are used by both.
 */
function isHevcContainer(b: Buffer): boolean {
  const end = Math.min(b.length, b.readUInt32BE(0));
  const brands: string[] = [];
  for (let at = 8; at + 4 <= end; at += at === 8 ? 8 : 4) brands.push(b.toString('latin1', at, at + 4)); // major, minor version, compatible…
  const hevc = brands.some((x) => ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(x));
  return hevc && !brands.some((x) => x === 'avif' || x === 'avis');
}

/** A JPEG without its EOI marker or a PNG without IEND at its end was cut short (decoders word this variously). */
function lacksEndMarker(format: string | undefined, b: Buffer): boolean {
  if (format === 'jpeg')
    return b.lastIndexOf(Buffer.from([0xff, 0xd9])) < b.length - 64 && !(b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9);
  // IEND's 4 bytes could also occur inside compressed data: only near the end do they mark it.
  if (format === 'png') return b.lastIndexOf(Buffer.from('IEND', 'latin1')) < b.length - 64;
  return false;
}
/** A photo's encoder input mirrored left-right (size×size×3 RGB, row-major). */
export function mirrorPixels(input: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(input.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const src = (y * size + x) * 3;
      const dst = (y * size + (size - 1 - x)) * 3;
      out[dst] = input[src];
      out[dst + 1] = input[src + 1];
      out[dst + 2] = input[src + 2];
    }
  }
  return out;
}
