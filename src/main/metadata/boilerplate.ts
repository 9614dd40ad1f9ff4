/**
 * Descriptions that are not descriptions: text cameras, phones and editors put in the
 * description fields by default. Found strings matching these are ignored on import.
 * Extend the lists when a new one turns up in the wild; matching ignores case and spacing.
 */
import type { IgnoreReason } from './types.js';

/** Exact strings (compared case-insensitively after collapsing whitespace). */
export const BOILERPLATE_EXACT: readonly string[] = [
  'OLYMPUS DIGITAL CAMERA',
  'SONY DSC',
  'SONY DIGITAL CAMERA',
  'KONICA MINOLTA DIGITAL CAMERA',
  'MINOLTA DIGITAL CAMERA',
  'MINOLTA DSC',
  'KODAK Digital Still Camera',
  'KODAK EASYSHARE DIGITAL CAMERA',
  'SAMSUNG DIGITAL CAMERA',
  'SAMSUNG CAMERA PICTURES',
  'SAMSUNG',
  'CASIO QV DIGITAL',
  'CASIO DIGITAL CAMERA',
  'PENTAX DIGITAL CAMERA',
  'PENTAX Image',
  'FUJIFILM DIGITAL CAMERA',
  'AGFA DIGITAL CAMERA',
  'NIKON DIGITAL CAMERA',
  'Nikon',
  'CANON DIGITAL CAMERA',
  'PANASONIC DIGITAL CAMERA',
  'SANYO DIGITAL CAMERA',
  'RICOH DIGITAL CAMERA',
  'HP DIGITAL CAMERA',
  'Digital Camera',
  'DIGITAL STILL CAMERA',
  'Digital Still Image',
  'Camera',
  'Picture',
  'Image',
  'Photo',
  'JPEG',
  'default',
  'Untitled',
  '<Untitled>',
  'No description',
  'Description',
  'Exif_JPEG_PICTURE',
  'EXIF_JPEG_PICTURE',
  'Exif JPEG',
  'LEAD Technologies Inc. V1.01',
  'Created with GIMP',
  'Created with The GIMP',
  'MMS',
  'Screenshot',
  'Jenoptik JD C 1.3 LCD',
  'MAGINON DIGITAL CAMERA',
  'Vivitar DIGITAL CAMERA',
  'Digimax',
  'Polaroid',
  'HTC',
  'Huawei',
  'Xiaomi',
];

/** Patterns: file-name-like strings and folder names cameras write. */
export const BOILERPLATE_PATTERNS: readonly RegExp[] = [
  /^DCIM\b/i, // "DCIM\100OLYMP", "DCIM/100CANON"
  /^\d{3}[A-Z_]{5}$/i, // folder names like 100NIKON, 100_FUJI
  /^(?:_?DSC[NF]?|IMG|PICT|PIC|DSCI|SAM|P\d{3}|MVC|CIMG|SDC|HPIM|KIF|DCP|PXL|VID|MOV)[_\- ]?\d[\d_\- ]*(?:\.\w{2,4})?$/i,
  // eslint-disable-next-line no-control-regex -- NULs are exactly what broken charsets leave
  /^[\s?\u0000\u00ff\ufffd.]*$/, // spaces, NULs, question marks from broken charsets
  /^(?:SONY|OLYMPUS|NIKON|CANON|KODAK|FUJIFILM|PENTAX|SAMSUNG|PANASONIC|LEICA|RICOH|SIGMA|MINOLTA|CASIO|HP|GE)\s+(?:DSC|DIGITAL\s+CAMERA|CAMERA)\b.*$/i,
];

/** Longest description we take; anything bigger is not a caption (a pasted document, binary junk). */
export const MAX_DESCRIPTION_CHARS = 10_000;

const normalise = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
const EXACT = new Set(BOILERPLATE_EXACT.map(normalise));

/** Trim and normalise line endings; keeps inner newlines (multi-line captions are real). */
export function cleanDescription(raw: string): string {
  return (
    raw
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex -- C strings padded with NULs
      .replace(/\u0000+$/g, '')
      .trim()
  );
}

/**
 * Why this text is not a real description, or null if it is one.
 * `camera` holds EXIF Make / Model so "Canon EOS 5D" in ImageDescription is ignored too.
 */
export function whyNotADescription(text: string, camera: { make?: string; model?: string } = {}): IgnoreReason | null {
  const t = cleanDescription(text);
  if (t === '') return 'empty';
  if (t.length > MAX_DESCRIPTION_CHARS) return 'too-long';
  // Control characters other than tab/newline mean binary junk, not prose.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(t)) return 'not-text';
  const n = normalise(t);
  if (EXACT.has(n)) return 'boilerplate';
  if (BOILERPLATE_PATTERNS.some((re) => re.test(t))) return 'boilerplate';
  const make = camera.make ? normalise(camera.make) : '';
  const model = camera.model ? normalise(camera.model) : '';
  if ((make && n === make) || (model && (n === model || n === `${make} ${model}`.trim()))) return 'camera-name';
  return null;
}
