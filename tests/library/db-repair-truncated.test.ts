/**
 * A library.db cut short (a copy cut off, a full disk) repaired by `repairLibrary`: the newest rows —
 * the user's captions written after the last backup — sit on the last pages, the ones a cut loses.
 * Cut at many places, each repair must bring back every caption of the user that the cut file still
 * holds (in its history row or in the photo row that shows it), quickly, without claiming to have
 * lost more rows than the library had.
 */
import Database from 'better-sqlite3';
import { copyFileSync, cpSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupNow } from '../../src/main/library/db-backup.js';
import { repairLibrary } from '../../src/main/library/db-repair.js';
import { Library } from '../../src/main/library/library.js';
import { stillHeld } from './db-damage.js';
import { tempDir } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const modelDir = testModelDir();

describe.skipIf(!modelDir)('a library.db cut short', () => {
  let template: string;
  const beforeBackup = new Map<number, string>();
  const afterBackup = new Map<number, string>();
  /** Rows per table of the whole library: a repair can have failed to read no more than that. */
  const rowsOf = new Map<string, number>();

  beforeAll(async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    mkdirSync(photos);
    flickrPhotos(30, 1200).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${String(i).padStart(2, '0')}.jpg`)));
    template = join(d, 'lib');
    const lib = Library.open(template, { registerDefaultModel: false, importMetadata: false });
    try {
      lib.registerModel(modelDir!, { activate: true });
      const { jobId } = await lib.addFolder(photos);
      await lib.waitForJob(jobId!);
      const items = lib.listPhotos({ limit: 100 }).items;
      for (const p of items.slice(0, 4)) beforeBackup.set(p.id, lib.setUserCaption(p.id, `Oma's garden, photo ${p.id}`).caption!);
      backupNow(lib.db, template, 'daily');
      // Written after the backup: only the damaged file has them, on its newest pages.
      for (const p of items.slice(-5)) afterBackup.set(p.id, lib.setUserCaption(p.id, `Zoë "día" at the lake, photo ${p.id} 🐕`).caption!);
      const tables = lib.db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
      for (const t of tables) rowsOf.set(t, lib.db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number);
    } finally {
      await lib.close();
    }
  }, 240_000);

  it('gets back every caption of the user the cut file still holds, in seconds', () => {
    const pageSize = 4096;
    const pages = statSync(join(template, 'library.db')).size / pageSize;
    expect(Number.isInteger(pages)).toBe(true);
    let heldOnlyByPhotoRow = 0;
    let cuts = 0;
    // Cuts from half the file to its last page but one (every third page: each repair reads what is left).
    for (let keep = Math.floor(pages / 2); keep < pages; keep += 3) {
      const dir = join(tempDir(), 'lib');
      cpSync(template, dir, { recursive: true });
      const file = join(dir, 'library.db');
      truncateSync(file, keep * pageSize);
      const { held, photoRowOnly } = stillHeld(file, afterBackup);
      heldOnlyByPhotoRow += photoRowOnly;
      const started = performance.now();
      const report = repairLibrary(dir);
      const seconds = (performance.now() - started) / 1000;
      const what = `cut to ${keep} of ${pages} pages: ${report.done.join('; ')}`;
      expect(report.ok, what).toBe(true);
      expect(seconds, what).toBeLessThan(10);
      for (const [, n, table] of report.done.join('\n').matchAll(/(\d+) (\w+) rows/g))
        expect(Number(n), what).toBeLessThanOrEqual(rowsOf.get(table!)!);

      const db = new Database(file, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true }), what).toBe('ok');
        const shown = db.prepare(`SELECT caption FROM photos WHERE id = ? AND caption_source = 'user'`).pluck();
        for (const [id, text] of beforeBackup) expect(shown.get(id), `${what}: photo ${id}`).toBe(text);
        for (const [id, text] of afterBackup) if (held.has(id)) expect(shown.get(id), `${what}: photo ${id}`).toBe(text);
      } finally {
        db.close();
      }
      cuts++;
    }
    expect(cuts).toBeGreaterThan(5);
    // Some cut lost the history rows of captions whose photo rows it kept: the case the repair reads photo rows for.
    expect(heldOnlyByPhotoRow).toBeGreaterThan(0);
  }, 240_000);
});
