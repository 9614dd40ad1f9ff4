/**
 * The libraries the fault campaigns break, and what they check after each break: a folder of
 * generated and Flickr8k photos (read in place from ../shared/datasets/flickr8k, copied into a
 * temp folder, never into the repo), a real library over it with some captions the user wrote,
 * and the library's state read straight from library.db by a second connection.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Library } from '../../src/main/library/library.js';
import { txtSidecarPath } from '../../src/main/metadata/sidecars.js';
import { writeJpeg } from '../library/fixtures.js';
import { FLICKR, flickrPhotos } from '../library/model.js';

/** `generated` noise JPEGs (g*.jpg, 160 px) and `flickr` Flickr8k photos (f*.jpg) from line `skip` of its captions. */
export async function photoFolder(dir: string, generated: number, flickr: number, skip: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < generated; i++) await writeJpeg(join(dir, `g${String(i).padStart(2, '0')}.jpg`), skip + i + 1, 160);
  flickrPhotos(flickr, skip).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(dir, `f${String(i).padStart(2, '0')}.jpg`)));
  return dir;
}

/** What the user wrote: photo id -> the caption as the library stored it. */
export type UserCaptions = Map<number, string>;

/**
 * A library over `photos` with `model` active and every `userEvery`-th photo captioned by the user
 * (words with quotes, an apostrophe, accents, an emoji and markup, as people type them). Not captioned by the model.
 */
export async function userLibrary(libDir: string, photos: string, model: string, userEvery: number): Promise<UserCaptions> {
  const lib = Library.open(libDir, { registerDefaultModel: false, importMetadata: false, autoCaption: false });
  try {
    lib.registerModel(model, { activate: true });
    await lib.addFolder(photos, { caption: false });
    const mine: UserCaptions = new Map();
    lib.listPhotos({ limit: 2000 }).items.forEach((p, i) => {
      if (i % userEvery !== 0) return;
      const text = `a dog on the grass with Rosa's "día" ${i} 🐕 <b>&amp;</b>`;
      mine.set(p.id, lib.setUserCaption(p.id, text).caption!);
    });
    return mine;
  } finally {
    await lib.close();
  }
}

/** The state of a library whose database cannot be read: every check fails. */
function damaged(integrity: string[]): LibraryState {
  return {
    integrity,
    userChanged: ['the database cannot be read'],
    inactive: 0,
    activeModel: null,
    unfinishedJobs: 0,
    captionJobs: 0,
    uncaptioned: 0,
    captionedTwice: 0,
    shown: new Map(),
  };
}

export interface LibraryState {
  /** integrity_check, FTS5 integrity-check and foreign_key_check problems ([] when whole). */
  integrity: string[];
  /** User captions no longer shown as written, or user captions that appeared from nowhere. */
  userChanged: string[];
  /** Photos showing a model caption from a model that is not the active one. */
  inactive: number;
  activeModel: string | null;
  unfinishedJobs: number;
  captionJobs: number;
  uncaptioned: number;
  /** Photos captioned twice by the same model (a batch redone instead of resumed). */
  captionedTwice: number;
  /** Shown caption of every photo, by path. */
  shown: Map<string, string | null>;
}

/** The library's state, read by a connection of our own (the CLI must not be running). */
export function inspectLibrary(libDir: string, mine: UserCaptions): LibraryState {
  const db = new Database(join(libDir, 'library.db'));
  const integrity: string[] = [];
  const count = (sql: string, ...args: unknown[]) =>
    (db
      .prepare(sql)
      .pluck()
      .get(...args) as number | undefined) ?? 0;
  try {
    const check = (name: string, run: () => string | null) => {
      try {
        const problem = run();
        if (problem) integrity.push(`${name}: ${problem}`);
      } catch (err) {
        integrity.push(`${name}: ${(err as Error).message}`);
      }
    };
    check('integrity_check', () => {
      const ic = db.pragma('integrity_check', { simple: true });
      return ic === 'ok' ? null : String(ic);
    });
    check('fts5 integrity-check', () => (db.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`), null));
    check('foreign_key_check', () => {
      const fk = db.pragma('foreign_key_check') as unknown[];
      return fk.length ? JSON.stringify(fk.slice(0, 3)) : null;
    });
    if (integrity.length) return damaged(integrity);

    const userChanged: string[] = [];
    const row = db.prepare('SELECT caption, caption_source AS source FROM photos WHERE id = ?');
    for (const [id, text] of mine) {
      const r = row.get(id) as { caption: string | null; source: string | null } | undefined;
      if (r?.caption !== text || r.source !== 'user')
        userChanged.push(`photo ${id} shows ${JSON.stringify(r ?? null)}, not ${JSON.stringify(text)}`);
    }
    const userRows = count(`SELECT count(DISTINCT photo_id) FROM captions WHERE is_user = 1`);
    if (userRows !== mine.size) userChanged.push(`${userRows} photos have a user caption, the user wrote ${mine.size}`);

    const activeModel = (db.prepare('SELECT id FROM models WHERE active = 1').pluck().get() as string | undefined) ?? null;
    const shown = new Map(
      (db.prepare('SELECT path, caption FROM photos').all() as Array<{ path: string; caption: string | null }>).map((r) => [
        r.path,
        r.caption,
      ]),
    );
    return {
      integrity,
      userChanged,
      inactive: count(
        `SELECT count(*) FROM photos WHERE caption_source IS NOT NULL AND caption_source != 'user' AND caption_source NOT LIKE 'import:%' AND caption_source IS NOT ?`,
        activeModel,
      ),
      activeModel,
      unfinishedJobs: count(`SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'paused')`),
      captionJobs: count(`SELECT count(*) FROM jobs WHERE kind = 'caption'`),
      uncaptioned: count(`SELECT count(*) FROM photos WHERE status != 'captioned'`),
      captionedTwice: count(
        `SELECT count(*) FROM (SELECT 1 FROM captions WHERE is_user = 0 GROUP BY photo_id, source HAVING count(*) > 1)`,
      ),
      shown,
    };
  } finally {
    db.close();
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1))) : (XML_ENTITIES[e] ?? m),
  );

/**
 * The sidecars of `format` beside each photo of `shown` (path -> caption), judged: a sidecar is
 * half-written unless it is a whole file carrying exactly the photo's caption (an XMP packet with its
 * closing mark, a .txt of the caption and a newline). `missing`: photos with a caption and no sidecar.
 */
export function judgeSidecars(shown: Map<string, string | null>, format: 'xmp' | 'txt'): { halfWritten: string[]; missing: string[] } {
  const halfWritten: string[] = [];
  const missing: string[] = [];
  for (const [photo, caption] of shown) {
    if (caption === null) continue;
    const files =
      format === 'txt'
        ? [txtSidecarPath(photo)]
        : [`${photo}.xmp`, photo.replace(/\.[^./]+$/, '.xmp')].filter((f, i, a) => a.indexOf(f) === i);
    const present = files.filter((f) => existsSync(f));
    if (!present.length) missing.push(photo);
    for (const file of present) {
      const text = readFileSync(file, 'utf8');
      const whole =
        format === 'txt'
          ? text === `${caption}\n`
          : /<\?xpacket end='w'\?>\s*$/.test(text) &&
            unescapeXml(/<dc:description>\s*<rdf:Alt>\s*<rdf:li[^>]*>([^<]*)<\/rdf:li>/.exec(text)?.[1] ?? '') === caption;
      if (!whole) halfWritten.push(`${file}: ${JSON.stringify(text.slice(0, 80))}… for ${JSON.stringify(caption)}`);
    }
  }
  return { halfWritten, missing };
}
