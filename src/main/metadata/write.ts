/**
 * Writing a caption where other photo apps will find it: an XMP sidecar (default), the photo
 * itself (opt-in, via ExifTool: pixels untouched, atomic replace, optional mtime kept), or a
 * `.txt` sidecar for dataset tools. What is already there decides whether we may write at all:
 * a model caption never replaces a description a person wrote; a description that changed since
 * Lenscribe last saw it is a conflict, and the other program's text stays.
 */
import { constants } from 'node:fs';
import { access, chmod, realpath, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { WriteTags } from 'exiftool-vendored';
import { cleanDescription, whyNotADescription } from './boilerplate.js';
import { exiftool } from './exiftool.js';
import { captionHash, describeError, readFileDescriptions, readTextSidecar, type FileDescriptions } from './read.js';
import { chooseXmpSidecar, txtSidecarPath } from './sidecars.js';
import { commitTemp, ConcurrentChangeError, snapshot, tempPathFor } from './snapshot.js';
import type { CaptionKind, CaptionToWrite, FileSnapshot, WriteOptions, WriteOutcome, WriteTarget } from './types.js';

/** Formats ExifTool rewrites without touching image data, that we let users embed into. */
export const EMBEDDABLE_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'tif', 'tiff', 'png', 'webp', 'heic', 'heif', 'avif']);
/** Formats with an IPTC block worth keeping in step (ExifTool writes IPTC in these). */
export const IPTC_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'tif', 'tiff']);

const extOf = (p: string) => extname(p).slice(1).toLowerCase();

export async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const isPermissionError = (err: unknown) => ['EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/** What is at the target now: the first meaningful text, and whether Lenscribe's mark vouches for it. */
interface Current {
  text: string | null;
  mineKind?: CaptionKind;
}

function currentOf(fd: FileDescriptions, sources: ReadonlyArray<string>): Current {
  const meaningful = fd.found
    .filter((d) => sources.includes(d.source) && (d.lang === undefined || d.lang === 'x-default'))
    .filter((d) => whyNotADescription(d.text, fd.camera) === null);
  const isMine = (t: string) => fd.mark.hash !== undefined && fd.mark.hash === captionHash(t);
  // Any field someone else wrote counts, even if our XMP is also there (an old app edited IPTC only).
  const foreign = meaningful.find((d) => !isMine(d.text));
  if (foreign) return { text: foreign.text };
  if (meaningful[0]) return { text: meaningful[0].text, ...(fd.mark.kind ? { mineKind: fd.mark.kind } : {}) };
  return { text: null };
}

/** Equal up to spacing and line breaks (the library stores captions on one line). */
export const sameText = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

type Decision = { write: true } | { write: false; status: 'unchanged' | 'kept-theirs' | 'conflict'; theirs?: string };

/** The policy, in one place. */
export function decide(current: Current, caption: CaptionToWrite, text: string, options: WriteOptions): Decision {
  // Nothing there (or only camera boilerplate): nothing to lose.
  if (current.text === null) return { write: true };
  if (sameText(current.text, text)) return { write: false, status: 'unchanged' };
  let mineKind = current.mineKind;
  const exp = options.expected;
  if (mineKind === undefined && exp !== undefined) {
    if (exp.text === null || !sameText(exp.text, current.text)) return { write: false, status: 'conflict', theirs: current.text };
    mineKind = exp.lenscribeKind;
  }
  if (mineKind !== undefined) {
    // Lenscribe wrote what is there: a user caption may replace anything, a model caption only a model caption.
    if (mineKind === 'user' && caption.kind === 'model') return { write: false, status: 'kept-theirs', theirs: current.text };
    return { write: true };
  }
  // Another app's (or the user's) description.
  if (caption.kind === 'model') return { write: false, status: 'kept-theirs', theirs: current.text };
  if (exp !== undefined || options.overwriteOthers) return { write: true }; // the user saw it and changed it in Lenscribe
  return { write: false, status: 'kept-theirs', theirs: current.text };
}

function lenscribeTags(caption: CaptionToWrite, text: string): Record<string, string | null> {
  return {
    'XMP-lenscribe:CaptionSource': caption.kind,
    'XMP-lenscribe:CaptionHash': captionHash(text),
    'XMP-lenscribe:CaptionModel': caption.kind === 'model' && caption.model ? caption.model : null,
    'XMP-lenscribe:CaptionWritten': new Date().toISOString(),
  };
}

// eslint-disable-next-line no-control-regex -- the whole Latin-1 range, control characters included
const isLatin1 = (s: string) => /^[\u0000-\u00ff]*$/.test(s);

/** Tags for an embedded write: XMP always, EXIF/IPTC/XPComment/PNG kept in step with it. */
function embeddedTags(photoPath: string, fd: FileDescriptions, caption: CaptionToWrite, text: string): Record<string, string | null> {
  const ext = extOf(photoPath);
  const tags: Record<string, string | null> = { 'XMP-dc:Description-x-default': text, ...lenscribeTags(caption, text) };
  const has = (pred: (k: string) => boolean) => [...fd.presentTags].some(pred);
  if (ext !== 'png' || has((k) => k.endsWith(':ImageDescription'))) tags['EXIF:ImageDescription'] = text;
  if (has((k) => k.endsWith(':XPComment'))) tags['EXIF:XPComment'] = text;
  if (ext === 'png' && has((k) => k.startsWith('PNG') && k.endsWith(':Description'))) tags['PNG:Description'] = text;
  if (IPTC_EXTENSIONS.has(ext) && has((k) => k === 'IPTC:Caption-Abstract')) {
    // IPTC in Latin-1 cannot hold every caption; a garbled copy would read back as someone else's text.
    if (fd.iptcUtf8 || isLatin1(text)) tags['IPTC:Caption-Abstract'] = text;
    else tags['IPTC:Caption-Abstract'] = null;
  }
  return tags;
}

const fail = (
  photoPath: string,
  target: WriteTarget,
  file: string,
  code: NonNullable<WriteOutcome['error']>['code'],
  message: string,
): WriteOutcome => ({
  status: 'failed',
  photoPath,
  target,
  file,
  error: { code, message },
});

/**
 * Write one caption for one photo. Never throws for a per-photo problem: the outcome says what
 * happened (written, unchanged, kept-theirs, conflict, failed with a specific code), and nothing
 * the user or another program wrote is lost in any of them.
 */
export async function writeCaption(photoPath: string, caption: CaptionToWrite, options: WriteOptions = {}): Promise<WriteOutcome> {
  const text = cleanDescription(caption.text);
  let target: WriteTarget = options.target ?? 'xmp-sidecar';
  if (text === '') return fail(photoPath, target, photoPath, 'empty', 'the caption is empty');
  try {
    const st = await stat(photoPath);
    if (!st.isFile()) return fail(photoPath, target, photoPath, 'missing', `${photoPath} is not a file`);
  } catch (err) {
    // Removed (or moved) since the library scanned it: no sidecar for a photo that is not there.
    return fail(photoPath, target, photoPath, 'missing', describeError(err, photoPath));
  }
  let notice: string | undefined;
  if (target === 'embedded') {
    if (!EMBEDDABLE_EXTENSIONS.has(extOf(photoPath))) {
      notice = `${photoPath}: captions are not embedded in .${extOf(photoPath)} files; wrote an XMP sidecar instead`;
      target = 'xmp-sidecar';
    } else if (!(await writable(photoPath)) || !(await writable(dirname(photoPath)))) {
      notice = `${photoPath} is read-only; wrote an XMP sidecar instead`;
      target = 'xmp-sidecar';
    }
  }
  let outcome: WriteOutcome;
  try {
    // Through a symlink, the file to rewrite is the one it points to (renaming over the link would replace the link).
    if (target === 'embedded') outcome = { ...(await writeEmbedded(await realpath(photoPath), caption, text, options)), photoPath };
    else if (target === 'txt') outcome = await writeTxt(photoPath, caption, text, options);
    else outcome = await writeSidecar(photoPath, caption, text, options);
  } catch (err) {
    const file = err instanceof ConcurrentChangeError ? err.path : photoPath;
    if (err instanceof ConcurrentChangeError) {
      outcome = { status: 'conflict', photoPath, target, file, error: { code: 'io', message: err.message } };
    } else if ((err as NodeJS.ErrnoException).code === 'EXIFTOOL') {
      outcome = fail(photoPath, target, file, 'exiftool', (err as Error).message);
    } else if (isPermissionError(err)) {
      outcome = fail(photoPath, target, file, 'read-only', `${describeError(err, photoPath)}; the caption stays in the library`);
    } else {
      outcome = fail(photoPath, target, file, 'io', describeError(err, photoPath));
    }
  }
  if (notice) outcome.notice = notice;
  return outcome;
}

async function finish(
  photoPath: string,
  target: WriteTarget,
  file: string,
  before: FileSnapshot,
  tmp: string,
  options: WriteOptions,
  caption: CaptionToWrite,
  text: string,
): Promise<WriteOutcome> {
  await options.beforeCommit?.(file);
  try {
    await commitTemp(tmp, before);
  } catch (err) {
    if (err instanceof ConcurrentChangeError) {
      let theirs: string | undefined;
      try {
        theirs =
          target === 'txt'
            ? ((await readTextSidecar(file)) ?? undefined)
            : (currentOf(await readFileDescriptions(file, target === 'xmp-sidecar'), [
                'xmp-sidecar',
                'xmp',
                'iptc',
                'exif',
                'exif-xpcomment',
                'png',
              ]).text ?? undefined);
      } catch {
        theirs = undefined;
      }
      return {
        status: 'conflict',
        photoPath,
        target,
        file,
        ...(theirs !== undefined ? { theirs } : {}),
        error: { code: 'io', message: err.message },
      };
    }
    throw err;
  }
  return { status: 'written', photoPath, target, file, snapshot: await snapshot(file), state: { text, lenscribeKind: caption.kind } };
}

function notWritten(
  photoPath: string,
  target: WriteTarget,
  file: string,
  d: Extract<Decision, { write: false }>,
  before: FileSnapshot,
  current: Current,
): WriteOutcome {
  return {
    status: d.status,
    photoPath,
    target,
    file,
    snapshot: before,
    ...(d.theirs !== undefined ? { theirs: d.theirs } : {}),
    ...(d.status === 'unchanged'
      ? { state: { text: current.text, ...(current.mineKind ? { lenscribeKind: current.mineKind } : {}) } }
      : {}),
  };
}

/**
 * exiftool-vendored passes values with `-E` (ExifTool decodes HTML entities) but leaves `&` as it is,
 * so a caption holding `&amp;` or `&#39;` as text was written as `&` or `'` (and the next export
 * took its own sidecar for another app's edit). Escaping `&` first makes ExifTool write the text as given.
 */
const ampersands = (v: string | string[] | null) =>
  v === null ? null : Array.isArray(v) ? v.map((s) => s.replace(/&/g, '&amp;')) : v.replace(/&/g, '&amp;');

export async function exiftoolWrite(source: string | null, tmp: string, given: Record<string, string | string[] | null>): Promise<void> {
  const tags = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, ampersands(v)]));
  try {
    if (source === null) await exiftool().write(tmp, tags as WriteTags);
    else await exiftool().write(source, tags as WriteTags, { writeArgs: ['-o', tmp] });
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const e = new Error(`ExifTool could not write ${source ?? tmp}: ${(err as Error).message.split('\n')[0]}`);
    (e as NodeJS.ErrnoException).code = 'EXIFTOOL';
    throw e;
  }
}

async function writeSidecar(photoPath: string, caption: CaptionToWrite, text: string, options: WriteOptions): Promise<WriteOutcome> {
  const { path: file } = await chooseXmpSidecar(photoPath, options.sidecarNaming ?? 'auto');
  const before = await snapshot(file);
  const current: Current = before.exists ? currentOf(await readFileDescriptions(file, true), ['xmp-sidecar']) : { text: null };
  const d = decide(current, caption, text, options);
  if (!d.write) return notWritten(photoPath, 'xmp-sidecar', file, d, before, current);
  if (!(await writable(dirname(file))) || (before.exists && !(await writable(file)))) {
    return fail(
      photoPath,
      'xmp-sidecar',
      file,
      'read-only',
      `cannot write ${file}: the ${before.exists ? 'sidecar' : 'folder'} is read-only; the caption stays in the library`,
    );
  }
  const tmp = tempPathFor(file);
  await exiftoolWrite(before.exists ? file : null, tmp, { 'XMP-dc:Description-x-default': text, ...lenscribeTags(caption, text) });
  if (before.exists) await chmod(tmp, (await stat(file)).mode & 0o7777).catch(() => {});
  return finish(photoPath, 'xmp-sidecar', file, before, tmp, options, caption, text);
}

async function writeEmbedded(photoPath: string, caption: CaptionToWrite, text: string, options: WriteOptions): Promise<WriteOutcome> {
  const before = await snapshot(photoPath);
  const fd = await readFileDescriptions(photoPath, false);
  const current = currentOf(fd, ['xmp', 'iptc', 'exif', 'exif-xpcomment', 'png']);
  const d = decide(current, caption, text, options);
  if (!d.write) return notWritten(photoPath, 'embedded', photoPath, d, before, current);
  const tmp = tempPathFor(photoPath);
  await exiftoolWrite(photoPath, tmp, embeddedTags(photoPath, fd, caption, text));
  const st = await stat(photoPath);
  await chmod(tmp, st.mode & 0o7777).catch(() => {});
  if (options.preserveMtime) await utimes(tmp, st.atime, st.mtime);
  return finish(photoPath, 'embedded', photoPath, before, tmp, options, caption, text);
}

async function writeTxt(photoPath: string, caption: CaptionToWrite, text: string, options: WriteOptions): Promise<WriteOutcome> {
  const file = txtSidecarPath(photoPath);
  const before = await snapshot(file);
  const raw = before.exists ? await readTextSidecar(file) : null;
  const current: Current = { text: raw !== null && whyNotADescription(raw) === null ? raw : null };
  const d = decide(current, caption, text, options);
  if (!d.write) return notWritten(photoPath, 'txt', file, d, before, current);
  if (!(await writable(dirname(file))) || (before.exists && !(await writable(file)))) {
    return fail(
      photoPath,
      'txt',
      file,
      'read-only',
      `cannot write ${file}: the ${before.exists ? 'file' : 'folder'} is read-only; the caption stays in the library`,
    );
  }
  const tmp = tempPathFor(file);
  await writeFile(tmp, `${text}\n`, { flag: 'wx' });
  if (before.exists) await chmod(tmp, (await stat(file)).mode & 0o7777).catch(() => {});
  return finish(photoPath, 'txt', file, before, tmp, options, caption, text);
}
