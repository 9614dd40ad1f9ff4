/**
 * Reading the descriptions a photo already carries: in the file (XMP dc:description with its
 * language alternatives, IPTC Caption-Abstract, EXIF ImageDescription / XPComment, PNG Description),
 * in XMP sidecars (`photo.xmp`, `photo.jpg.xmp`) and in caption sidecars (`photo.txt`,
 * `photo.caption`). Camera boilerplate is set aside with the reason.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import exifr from 'exifr';
import { cleanDescription, whyNotADescription } from './boilerplate.js';
import { exiftool } from './exiftool.js';
import { captionSidecarPath, existingXmpSidecars, txtSidecarPath } from './sidecars.js';
import type { CaptionKind, DescriptionReport, DescriptionSource, FoundDescription, IgnoredDescription } from './types.js';

/** Best first: a sidecar is what photo apps treat as authoritative over the embedded copy. */
const SOURCE_PRIORITY: readonly DescriptionSource[] = [
  'xmp-sidecar',
  'xmp',
  'iptc',
  'exif',
  'exif-xpcomment',
  'png',
  'caption-sidecar',
  'txt-sidecar',
];

/** Biggest text sidecar we read; a bigger `photo.txt` is someone's document, not a caption. */
const MAX_TEXT_SIDECAR_BYTES = 64 * 1024;

const READ_ARGS = [
  '-G1',
  '-a',
  '-XMP-dc:Description',
  '-XMP-dc:Description-*',
  '-XMP-lenscribe:all',
  '-IPTC:Caption-Abstract',
  '-IPTC:CodedCharacterSet',
  '-EXIF:ImageDescription',
  '-EXIF:XPComment',
  '-EXIF:Make',
  '-EXIF:Model',
  '-PNG:Description',
  // Which program wrote a sidecar, to say where an imported caption came from.
  '-XMP-xmp:CreatorTool',
  '-XMP-digiKam:all',
  // Keywords other apps wrote, imported as the user's tags (keywords.ts).
  '-XMP-dc:Subject',
  '-IPTC:Keywords',
  '-XMP-lr:HierarchicalSubject',
];

/** Programs whose XMP CreatorTool we name (the rest stay unnamed: a version string says little to a person). */
const KNOWN_APPS: ReadonlyArray<[RegExp, string]> = [
  [/digikam/i, 'digiKam'],
  [/darktable/i, 'darktable'],
  [/lightroom/i, 'Lightroom'],
  [/capture one/i, 'Capture One'],
  [/bridge/i, 'Adobe Bridge'],
  [/photoshop/i, 'Photoshop'],
  [/rawtherapee/i, 'RawTherapee'],
  [/shotwell/i, 'Shotwell'],
  [/immich/i, 'Immich'],
  [/lenscribe/i, 'Lenscribe'],
];

export function appFromCreatorTool(creatorTool: string): string | null {
  return KNOWN_APPS.find(([re]) => re.test(creatorTool))?.[1] ?? null;
}

/** The hash Lenscribe stores in XMP-lenscribe:CaptionHash for the text it wrote. */
export function captionHash(text: string): string {
  return createHash('sha256').update(cleanDescription(text), 'utf8').digest('hex');
}

export interface RawDescription {
  text: string;
  source: DescriptionSource;
  file: string;
  tag?: string;
  lang?: string;
  /** The program that wrote the file, when it says (XMP sidecars). */
  app?: string;
}

export interface FileDescriptions {
  file: string;
  found: RawDescription[];
  camera: { make?: string; model?: string };
  mark: { hash?: string; kind?: CaptionKind; model?: string };
  /** IPTC declares UTF-8 (CodedCharacterSet ESC % G); otherwise ExifTool writes IPTC as Latin-1. */
  iptcUtf8: boolean;
  /** Which description tags are present (even if empty or boilerplate), to keep them in step on write. */
  presentTags: Set<string>;
  /** The program that wrote the file: digiKam's own namespace, else a known XMP CreatorTool. */
  app?: string;
  /** Keywords in the file, by field, as written (hierarchical ones whole). */
  keywords: RawKeyword[];
  /** Keywords Lenscribe wrote into this file (XMP-lenscribe:Keywords): not another app's. */
  lenscribeKeywords: string[];
}

/** A keyword field other apps write: XMP dc:subject, IPTC Keywords, Lightroom's and digiKam's hierarchies. */
export type KeywordField = 'dc:subject' | 'iptc:keywords' | 'lr:hierarchicalSubject' | 'digikam:tagsList';

export interface RawKeyword {
  /** As written: a hierarchical one whole ("Animals|Dog", "Animals/Dog"). */
  text: string;
  field: KeywordField;
}

const KEYWORD_FIELDS: Readonly<Record<string, KeywordField>> = {
  'XMP-dc:Subject': 'dc:subject',
  'IPTC:Keywords': 'iptc:keywords',
  'XMP-lr:HierarchicalSubject': 'lr:hierarchicalSubject',
  'XMP-digiKam:TagsList': 'digikam:tagsList',
};

/** A list-valued tag's items (ExifTool gives one item as a scalar). */
const asList = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x) => x != null).map((x) => String(x));

/** Takes a keyword tag into `out`; false when the tag is none. */
function readKeywordTag(out: FileDescriptions, group: string, tag: string, value: unknown): boolean {
  if (group === 'XMP-lenscribe' && tag === 'Keywords') {
    out.lenscribeKeywords.push(...asList(value));
    return true;
  }
  const field = KEYWORD_FIELDS[`${group}:${tag}`];
  if (!field) return false;
  if (field === 'digikam:tagsList') out.app = 'digiKam';
  for (const text of asList(value)) if (text.trim()) out.keywords.push({ text: text.trim(), field });
  return true;
}

const asText = (v: unknown): string | undefined => (v == null ? undefined : Array.isArray(v) ? v.map(String).join('\n') : String(v));

/** Descriptions in one image or XMP file, via ExifTool. `sidecar` sets the source of XMP found. */
export async function readFileDescriptions(file: string, sidecar: boolean): Promise<FileDescriptions> {
  const st = await stat(file);
  if (!st.isFile()) throw new Error(`${file} is not a regular file`);
  const raw = (await exiftool().readRaw(file, { readArgs: READ_ARGS })) as unknown as Record<string, unknown>;
  const errors = (raw.errors as string[] | undefined) ?? [];
  if (errors.length > 0) throw new Error(`${file}: ${errors.join('; ')}`);
  const out: FileDescriptions = {
    file,
    found: [],
    camera: {},
    mark: {},
    iptcUtf8: false,
    presentTags: new Set(),
    keywords: [],
    lenscribeKeywords: [],
  };
  let creatorTool: string | undefined;
  for (const [key, value] of Object.entries(raw)) {
    const text = asText(value);
    if (text === undefined) continue;
    const [group, tag] = key.split(':', 2) as [string, string | undefined];
    if (!tag) continue;
    if (readKeywordTag(out, group, tag, value)) continue;
    const push = (source: DescriptionSource, lang?: string) => {
      out.presentTags.add(key);
      out.found.push({ text: cleanDescription(text), source, file, tag: lang ? `${group}:Description` : key, ...(lang ? { lang } : {}) });
    };
    if (group === 'XMP-dc' && (tag === 'Description' || tag.startsWith('Description-'))) {
      push(sidecar ? 'xmp-sidecar' : 'xmp', tag === 'Description' ? 'x-default' : tag.slice('Description-'.length));
    } else if (group === 'XMP-lenscribe') {
      if (tag === 'CaptionHash') out.mark.hash = text;
      else if (tag === 'CaptionSource' && (text === 'user' || text === 'model')) out.mark.kind = text;
      else if (tag === 'CaptionModel') out.mark.model = text;
    } else if (group === 'IPTC' && tag === 'Caption-Abstract') push('iptc');
    // eslint-disable-next-line no-control-regex -- ESC % G is IPTC's ISO 2022 escape for UTF-8
    else if (group === 'IPTC' && tag === 'CodedCharacterSet') out.iptcUtf8 = /utf-?8|\u001b%G/i.test(text);
    else if (tag === 'ImageDescription' && group.startsWith('IFD')) push('exif');
    else if (tag === 'XPComment') push('exif-xpcomment');
    else if (group.startsWith('PNG') && tag === 'Description') push('png');
    else if (tag === 'Make') out.camera.make = text;
    else if (tag === 'Model') out.camera.model = text;
    else if (group === 'XMP-digiKam') out.app = 'digiKam';
    else if (group === 'XMP-xmp' && tag === 'CreatorTool') creatorTool = text;
  }
  out.app ??= (creatorTool && appFromCreatorTool(creatorTool)) || undefined;
  return out;
}

/** A text sidecar's content; null when absent. Throws a specific error when it is not text. */
export async function readTextSidecar(path: string): Promise<string | null> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!st.isFile()) return null;
  if (st.size > MAX_TEXT_SIDECAR_BYTES) throw new Error(`${path} is ${st.size} bytes, too big for a caption sidecar`);
  const buf = await readFile(path);
  if (buf[0] === 0xff && buf[1] === 0xfe) return cleanDescription(buf.subarray(2).toString('utf16le'));
  if (buf.includes(0)) throw new Error(`${path} is not a text file`);
  try {
    return cleanDescription(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    return cleanDescription(buf.toString('latin1')); // Windows "ANSI" notepad files
  }
}

function attribute(raw: RawDescription, fd: FileDescriptions | undefined): FoundDescription {
  const mine = fd?.mark.hash !== undefined && fd.mark.hash === captionHash(raw.text);
  return {
    ...raw,
    ...(raw.source === 'xmp-sidecar' && fd?.app ? { app: fd.app } : {}),
    writer: mine ? 'lenscribe' : 'other',
    ...(mine && fd?.mark.kind ? { lenscribeKind: fd.mark.kind } : {}),
  };
}

const rank = (d: RawDescription) => SOURCE_PRIORITY.indexOf(d.source) * 2 + (d.lang === undefined || d.lang === 'x-default' ? 0 : 1);

/** exifr options: just enough to see whether a JPEG carries any description field at all. */
const QUICK_LOOK = {
  tiff: true,
  ifd0: true,
  exif: false,
  gps: false,
  interop: false,
  ifd1: false,
  icc: false,
  jfif: false,
  ihdr: false,
  xmp: { parse: false },
  iptc: true,
  mergeOutput: false,
  multiSegment: true,
  translateKeys: true,
  translateValues: false,
  reviveValues: false,
  silentErrors: true,
};

/**
 * Most photos carry no description. For a JPEG, exifr (in-process, well under a millisecond)
 * tells whether any description field exists; only then is ExifTool (a round trip to perl,
 * several milliseconds) asked for the authoritative values. Returns null when ExifTool must
 * look: any IPTC, an XMP packet mentioning a description or Lenscribe's namespace, an
 * XPComment, a real ImageDescription, or anything exifr cannot parse.
 */
async function quickJpegLook(path: string): Promise<{ camera: FileDescriptions['camera']; ignored: RawDescription[] } | null> {
  let out: Record<string, Record<string, unknown> | string | undefined> | undefined;
  try {
    out = (await exifr.parse(path, QUICK_LOOK as never)) as typeof out;
  } catch {
    return null;
  }
  if (!out) return { camera: {}, ignored: [] };
  if (out.iptc !== undefined) return null;
  if (out.xmp !== undefined && (typeof out.xmp !== 'string' || /description|lenscribe|subject|TagsList/i.test(out.xmp))) return null;
  const ifd0 = (out.ifd0 ?? {}) as Record<string, unknown>;
  if (ifd0.XPComment !== undefined) return null;
  const camera = {
    ...(typeof ifd0.Make === 'string' ? { make: ifd0.Make } : {}),
    ...(typeof ifd0.Model === 'string' ? { model: ifd0.Model } : {}),
  };
  const desc = ifd0.ImageDescription;
  if (desc === undefined) return { camera, ignored: [] };
  if (typeof desc !== 'string' || whyNotADescription(desc, camera) === null) return null;
  return { camera, ignored: [{ text: cleanDescription(desc), source: 'exif', file: path, tag: 'IFD0:ImageDescription' }] };
}

const QUICK_LOOK_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif']);

export interface ReadOptions {
  /** Read the photo's own metadata (default true). */
  embedded?: boolean;
  /** Read XMP and text sidecars (default true). */
  sidecars?: boolean;
}

/**
 * Every description the photo carries, best first, with `primary` the one to import as a user
 * caption. Never throws for a bad photo or sidecar: each problem is reported in `problems`.
 */
export async function readDescriptions(photoPath: string, options: ReadOptions = {}): Promise<DescriptionReport> {
  const report: DescriptionReport = { photoPath, descriptions: [], primary: null, ignored: [], problems: [], keywords: [] };
  // The photo and its XMP sidecars are read at the same time (the pool has two ExifTool processes).
  const xmpFiles: Array<{ path: string; sidecar: boolean }> = [];
  let quick: Awaited<ReturnType<typeof quickJpegLook>> = null;
  if (options.embedded !== false && QUICK_LOOK_EXTENSIONS.has(extname(photoPath).toLowerCase())) quick = await quickJpegLook(photoPath);
  if (options.embedded !== false && !quick) xmpFiles.push({ path: photoPath, sidecar: false });
  if (options.sidecars !== false) for (const s of await existingXmpSidecars(photoPath)) xmpFiles.push({ path: s.path, sidecar: true });
  const results = await Promise.all(
    xmpFiles.map((f) =>
      readFileDescriptions(f.path, f.sidecar).then(
        (fd) => ({ fd }),
        (err: unknown) => ({ err, path: f.path }),
      ),
    ),
  );
  let camera: FileDescriptions['camera'] = quick?.camera ?? {};
  const raws: Array<{ raw: RawDescription; fd?: FileDescriptions }> = [];
  for (const raw of quick?.ignored ?? []) raws.push({ raw });
  for (const r of results) {
    if ('err' in r) {
      report.problems.push(describeError(r.err, r.path));
      continue;
    }
    if (r.fd.file === photoPath) camera = r.fd.camera;
    for (const raw of r.fd.found) raws.push({ raw, fd: r.fd });
    addKeywords(report, r.fd);
  }
  if (options.sidecars !== false) {
    for (const [path, source] of [
      [captionSidecarPath(photoPath), 'caption-sidecar'],
      [txtSidecarPath(photoPath), 'txt-sidecar'],
    ] as const) {
      try {
        const text = await readTextSidecar(path);
        if (text !== null) raws.push({ raw: { text, source, file: path } });
      } catch (err) {
        report.ignored.push({ text: '', source, file: path, reason: 'not-text' });
        report.problems.push(describeError(err, path));
      }
    }
  }
  // A Lenscribe-marked XMP in the photo also vouches for the EXIF/IPTC copies of the same text.
  raws.sort((a, b) => rank(a.raw) - rank(b.raw));
  const seen = new Set<string>();
  for (const { raw, fd } of raws) {
    const reason = whyNotADescription(raw.text, camera);
    if (reason) {
      report.ignored.push({ text: raw.text, source: raw.source, file: raw.file, reason } satisfies IgnoredDescription);
      continue;
    }
    const key = `${raw.source}\u0000${raw.file}\u0000${raw.lang ?? ''}\u0000${raw.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    report.descriptions.push(attribute(raw, fd));
  }
  report.primary = report.descriptions.find((d) => d.writer === 'other' || d.lenscribeKind === 'user') ?? null;
  return report;
}

/**
 * The leaf of a hierarchical keyword ("Animals|Mammals|Dog" -> "Dog"; digiKam "Places/Paris" ->
 * "Paris"): the word a tag is; the hierarchy stays in the file.
 */
export function keywordLeaf(k: RawKeyword): string {
  const sep = k.field === 'lr:hierarchicalSubject' ? '|' : k.field === 'digikam:tagsList' ? '/' : null;
  const leaf = sep ? (k.text.split(sep).pop() ?? '') : k.text;
  return leaf.replace(/\s+/g, ' ').trim();
}

/** A file's keywords other apps wrote (not Lenscribe's own), once each whatever the case, into the report. */
function addKeywords(report: DescriptionReport, fd: FileDescriptions): void {
  const ours = new Set(fd.lenscribeKeywords.map((k) => k.toLowerCase()));
  const seen = new Set(report.keywords.map((k) => k.tag.toLowerCase()));
  for (const k of fd.keywords) {
    const tag = keywordLeaf(k);
    const key = tag.toLowerCase();
    if (!tag || ours.has(key) || seen.has(key)) continue;
    seen.add(key);
    report.keywords.push({ tag, field: k.field, file: fd.file });
  }
}

export function describeError(err: unknown, path: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return `${path}: no such file`;
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return `${path}: permission denied`;
  if (e?.code === 'ELOOP') return `${path}: symbolic link loop`;
  const msg = e?.message ?? String(err);
  return msg.includes(path) ? msg : `${path}: ${msg}`;
}
