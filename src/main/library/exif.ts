/** Date taken, orientation and GPS position from a photo's EXIF, via exifr. */
import exifr from 'exifr';
import { open } from 'node:fs/promises';
import type { CameraFacts } from '../../shared/api-contract.js';

/** EXIF lives in the first segments of a file; this much covers it (one read instead of exifr's chunked reader). */
const EXIF_BYTES = 256 * 1024;

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(EXIF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, EXIF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export interface PhotoExif {
  /** Milliseconds since the epoch, from DateTimeOriginal (else CreateDate/ModifyDate). */
  takenAt: number | null;
  /** EXIF orientation 1–8. */
  orientation: number | null;
  lat: number | null;
  lon: number | null;
}

/**
 * One options object for every call: exifr keeps what it derives from an options object in a
 * map keyed by it, so a fresh literal per call would grow memory with every photo.
 */
const EXIFR_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  translateValues: false,
  reviveValues: true,
  pick: ['DateTimeOriginal', 'CreateDate', 'ModifyDate', 'Orientation', 'GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef'],
};

const EMPTY: PhotoExif = { takenAt: null, orientation: null, lat: null, lon: null };

/** Never throws: a photo without (or with broken) EXIF simply has none. */
export async function readExif(path: string): Promise<PhotoExif> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(await readHead(path), EXIFR_OPTIONS);
  } catch {
    return EMPTY;
  }
  if (!tags) return EMPTY;
  const date = [tags.DateTimeOriginal, tags.CreateDate, tags.ModifyDate].find((d) => d instanceof Date && !Number.isNaN(d.getTime())) as
    Date | undefined;
  const o = Number(tags.Orientation);
  const lat = coordinate(tags.GPSLatitude, tags.GPSLatitudeRef, 'S', 90);
  const lon = coordinate(tags.GPSLongitude, tags.GPSLongitudeRef, 'W', 180);
  return {
    takenAt: date ? date.getTime() : null,
    orientation: Number.isInteger(o) && o >= 1 && o <= 8 ? o : null,
    lat,
    lon,
  };
}

/** Degrees from EXIF's [degrees, minutes, seconds] (or a plain number) and its N/S or E/W reference. */
function coordinate(value: unknown, ref: unknown, negative: string, max: number): number | null {
  let deg: number;
  if (typeof value === 'number') deg = value;
  else if (Array.isArray(value) && value.length >= 1 && value.every((v) => typeof v === 'number')) {
    const [d, m = 0, s = 0] = value as number[];
    deg = d + m / 60 + s / 3600;
  } else return null;
  if (typeof ref === 'string' && ref.trim().toUpperCase().startsWith(negative)) deg = -Math.abs(deg);
  return Number.isFinite(deg) && Math.abs(deg) <= max ? deg : null;
}

const CAMERA_OPTIONS = {
  ...EXIFR_OPTIONS,
  pick: [
    'Make',
    'Model',
    'LensMake',
    'LensModel',
    'ExposureTime',
    'FNumber',
    'ISO',
    'FocalLength',
    'FocalLengthIn35mmFormat',
    'GPSLatitude',
    'GPSLatitudeRef',
    'GPSLongitude',
    'GPSLongitudeRef',
    'GPSAltitude',
    'GPSAltitudeRef',
  ],
};

const NO_FACTS: CameraFacts = {
  camera: null,
  lens: null,
  exposureTime: null,
  fNumber: null,
  iso: null,
  focalLength: null,
  focalLength35: null,
  gps: null,
};

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.replace(/\s+/g, ' ').trim().slice(0, 120) : null);
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);

/** "Canon EOS 5D Mark III", not "Canon Canon EOS 5D Mark III": the make is left out when the model names it. */
function cameraName(make: string | null, model: string | null): string | null {
  if (!model) return make;
  if (!make) return model;
  const brand = make.split(' ')[0]!.toLowerCase();
  return model.toLowerCase().startsWith(brand) ? model : `${make} ${model}`;
}

/** Never throws: a photo without (or with broken) EXIF has no facts. */
export async function readCameraFacts(path: string): Promise<CameraFacts> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(await readHead(path), CAMERA_OPTIONS);
  } catch {
    return NO_FACTS;
  }
  if (!tags) return NO_FACTS;
  const lat = coordinate(tags.GPSLatitude, tags.GPSLatitudeRef, 'S', 90);
  const lon = coordinate(tags.GPSLongitude, tags.GPSLongitudeRef, 'W', 180);
  const alt = typeof tags.GPSAltitude === 'number' && Number.isFinite(tags.GPSAltitude) ? tags.GPSAltitude : null;
  const iso = Array.isArray(tags.ISO) ? tags.ISO[0] : tags.ISO;
  return {
    camera: cameraName(text(tags.Make), text(tags.Model)),
    lens: text(tags.LensModel) ?? text(tags.LensMake),
    exposureTime: positive(tags.ExposureTime),
    fNumber: positive(tags.FNumber),
    iso: positive(iso),
    focalLength: positive(tags.FocalLength),
    focalLength35: positive(tags.FocalLengthIn35mmFormat),
    gps: lat !== null && lon !== null ? { lat, lon, altitude: alt === null ? null : tags.GPSAltitudeRef === 1 ? -alt : alt } : null,
  };
}
