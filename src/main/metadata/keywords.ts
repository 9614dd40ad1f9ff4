/**
 * Tags that travel as keywords: XMP dc:subject (a sidecar, or the photo itself) and, when
 * embedding into a format that has one, IPTC Keywords. Keywords other apps wrote are never taken
 * away: Lenscribe records the ones it wrote (XMP-lenscribe:Keywords) and only ever removes those.
 * Reading them (to import as the user's tags) is read.ts's, with the descriptions.
 */
import { chmod, realpath, stat, utimes } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { describeError, readFileDescriptions, type FileDescriptions } from './read.js';
import { chooseXmpSidecar } from './sidecars.js';
import { commitTemp, ConcurrentChangeError, snapshot, tempPathFor } from './snapshot.js';
import type { SidecarNaming, WriteOutcome } from './types.js';
import { EMBEDDABLE_EXTENSIONS, exiftoolWrite, IPTC_EXTENSIONS, writable } from './write.js';

export interface KeywordWriteOptions {
  target: 'xmp-sidecar' | 'embedded';
  /** Which XMP sidecar (the caption's: the same choice as write.ts makes); default 'auto'. */
  sidecarNaming?: SidecarNaming | 'auto';
  /** Embedded writes: keep the photo's modification time. */
  preserveMtime?: boolean;
}

const lower = (s: string) => s.toLowerCase();

/**
 * The field's new list: what is there, less the keywords Lenscribe wrote before and no longer
 * writes, plus ours not yet there (any case), in the order found.
 */
export function mergeKeywords(current: readonly string[], oursBefore: readonly string[], ours: readonly string[]): string[] {
  const now = new Set(ours.map(lower));
  const dropped = new Set(oursBefore.map(lower).filter((k) => !now.has(k)));
  const kept = current.filter((k) => !dropped.has(lower(k)));
  const have = new Set(kept.map(lower));
  return [...kept, ...ours.filter((k) => !have.has(lower(k)))];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
// eslint-disable-next-line no-control-regex -- the whole Latin-1 range, control characters included
const isLatin1 = (s: string) => /^[\u0000-\u00ff]*$/.test(s);

/** The tags to write into a file that holds `fd` (null: none yet), or null when nothing would change. */
function keywordTags(fd: FileDescriptions | null, tags: readonly string[], iptc: boolean): Record<string, string[] | null> | null {
  const field = (f: string) => (fd?.keywords ?? []).filter((k) => k.field === f).map((k) => k.text);
  const oursBefore = fd?.lenscribeKeywords ?? [];
  const subject = field('dc:subject');
  const nextSubject = mergeKeywords(subject, oursBefore, tags);
  const out: Record<string, string[] | null> = {};
  if (!sameList(subject, nextSubject)) out['XMP-dc:Subject'] = nextSubject.length ? nextSubject : null;
  if (iptc) {
    // IPTC in Latin-1 cannot hold every keyword; a garbled copy would read back as another app's.
    const fits = fd?.iptcUtf8 ? tags : tags.filter(isLatin1);
    const current = field('iptc:keywords');
    const next = mergeKeywords(current, oursBefore, fits);
    if (!sameList(current, next)) out['IPTC:Keywords'] = next.length ? next : null;
  }
  if (!sameList([...oursBefore].sort(), [...tags].sort())) out['XMP-lenscribe:Keywords'] = tags.length ? [...tags] : null;
  return Object.keys(out).length ? out : null;
}

/**
 * Where keywords go for this photo: the embedded target falls back to a sidecar where it cannot be
 * written; a sidecar is the one the caption goes to under the same naming.
 */
async function keywordFile(photoPath: string, options: KeywordWriteOptions): Promise<{ file: string; embedded: boolean }> {
  const ext = extname(photoPath).slice(1).toLowerCase();
  if (
    options.target === 'embedded' &&
    EMBEDDABLE_EXTENSIONS.has(ext) &&
    (await writable(photoPath)) &&
    (await writable(dirname(photoPath)))
  )
    return { file: await realpath(photoPath), embedded: true };
  return { file: (await chooseXmpSidecar(photoPath, options.sidecarNaming ?? 'auto')).path, embedded: false };
}

/**
 * Make the photo's keywords hold `tags` (the user's, and the model's the caller chose): written,
 * unchanged, a conflict (the file changed while we wrote: nothing lost) or failed, never thrown.
 */
export async function writeKeywords(photoPath: string, tags: readonly string[], options: KeywordWriteOptions): Promise<WriteOutcome> {
  let file = photoPath;
  let target: WriteOutcome['target'] = options.target;
  try {
    const where = await keywordFile(photoPath, options);
    file = where.file;
    target = where.embedded ? 'embedded' : 'xmp-sidecar';
    const before = await snapshot(file);
    if (!before.exists && !where.embedded && tags.length === 0) return { status: 'unchanged', photoPath, target, file };
    const fd = before.exists ? await readFileDescriptions(file, !where.embedded) : null;
    const iptc = where.embedded && IPTC_EXTENSIONS.has(extname(photoPath).slice(1).toLowerCase());
    const write = keywordTags(fd, tags, iptc);
    if (!write) return { status: 'unchanged', photoPath, target, file, snapshot: before };
    const tmp = tempPathFor(file);
    await exiftoolWrite(before.exists ? file : null, tmp, write);
    const st = before.exists ? await stat(file) : null;
    if (st) await chmod(tmp, st.mode & 0o7777).catch(() => {});
    if (st && where.embedded && options.preserveMtime) await utimes(tmp, st.atime, st.mtime);
    await commitTemp(tmp, before);
    return { status: 'written', photoPath, target, file, snapshot: await snapshot(file) };
  } catch (err) {
    if (err instanceof ConcurrentChangeError)
      return { status: 'conflict', photoPath, target, file, error: { code: 'io', message: err.message } };
    const code = (err as NodeJS.ErrnoException).code === 'EXIFTOOL' ? 'exiftool' : 'io';
    return { status: 'failed', photoPath, target, file, error: { code, message: describeError(err, photoPath) } };
  }
}
