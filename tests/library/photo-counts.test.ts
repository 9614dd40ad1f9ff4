/**
 * The photo counts the triggers keep (photo-counts.ts, migration 13) stay equal to counting the
 * photos themselves through everything that changes a photo row: adding a folder with
 * subfolders, a file that fails, a deleted file (missing), a file moved to another subfolder, a
 * changed file date, a folder that absorbs another, removing a folder, and a repair. The sidebar,
 * subfolder tree, timeline and list totals read from it agree with the slow queries they replaced.
 */
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { repairLibrary } from '../../src/main/library/db-repair.js';
import { tempDir, writeJpeg } from './fixtures.js';

const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };
let root: string;
let photos: string;
let lib: Library;

/** The table as the triggers left it, and the same figures counted from the photos. */
function kept(l: Library): unknown[] {
  return l.db.prepare('SELECT folder_id, dir, status, month, n FROM photo_counts ORDER BY 1, 2, 3, 4').all();
}
function recounted(l: Library): unknown[] {
  return l.db
    .prepare(
      `SELECT folder_id, rtrim(path, replace(replace(path, '/', ''), '\\', '')) AS dir, status,
         coalesce(strftime('%Y-%m', coalesce(taken_at, mtime_ms) / 1000, 'unixepoch'), '') AS month, count(*) AS n
       FROM photos GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    )
    .all();
}

/** What the library answers, and what the queries before the counts table answered. */
function answers(l: Library, folderId: number) {
  const slowFolders = l.db
    .prepare(
      `SELECT f.id, count(p.id) FILTER (WHERE p.status != 'missing') AS photoCount, count(p.id) FILTER (WHERE p.status = 'error') AS errorCount
       FROM folders f LEFT JOIN photos p ON p.folder_id = f.id GROUP BY f.id ORDER BY f.path`,
    )
    .all();
  const slowMonths = l.db
    .prepare(
      `SELECT strftime('%Y-%m', coalesce(taken_at, mtime_ms) / 1000, 'unixepoch') AS month, count(*) AS count
       FROM photos WHERE folder_id = ? AND status != 'missing' GROUP BY month HAVING month IS NOT NULL ORDER BY month`,
    )
    .all(folderId);
  const slowTotal = (l.db.prepare(`SELECT count(*) AS n FROM photos WHERE status != 'missing'`).get() as { n: number }).n;
  return {
    folders: l.listFolders().map((f) => ({ id: f.id, photoCount: f.photoCount, errorCount: f.errorCount })),
    slowFolders,
    months: l.photoMonths({ folderId }),
    slowMonths,
    total: l.listPhotos({ limit: 1 }).total,
    slowTotal,
  };
}

function expectInStep(l: Library, folderId: number): void {
  expect(kept(l)).toEqual(recounted(l));
  const a = answers(l, folderId);
  expect(a.folders).toEqual(a.slowFolders);
  expect(a.months).toEqual(a.slowMonths);
  expect(a.total).toBe(a.slowTotal);
}

async function photoOn(path: string, seed: number, day: number): Promise<void> {
  await writeJpeg(path, seed);
  const t = new Date(Date.UTC(2023, seed % 12, day));
  utimesSync(path, t, t);
}

beforeAll(async () => {
  root = tempDir('lenscribe-photo-counts-');
  photos = join(root, 'photos');
  await photoOn(join(photos, 'top.jpg'), 1, 2);
  await photoOn(join(photos, 'trip', 'a.jpg'), 2, 3);
  await photoOn(join(photos, 'trip', 'day 2', 'b.jpg'), 3, 4);
  await photoOn(join(photos, 'trip', 'day 2', 'c.jpg'), 4, 5);
  await photoOn(join(photos, 'pets', 'back\\slash.jpg'), 5, 6); // a POSIX file name may hold a '\'
  writeFileSync(join(photos, 'pets', 'broken.jpg'), 'not a photo');
  lib = Library.open(join(root, 'lib'), LIB_OPTIONS);
});

afterAll(async () => {
  await lib?.close();
});

describe('photo counts kept by triggers', () => {
  it('agree with the photos through scans, failures, deletions, moves, date changes and folder changes', async () => {
    const { folder } = await lib.addFolder(join(photos, 'trip'), { caption: false });
    expectInStep(lib, folder.id);
    // The parent absorbs the folder inside it: its photos change folder.
    const { folder: all } = await lib.addFolder(photos, { caption: false });
    expectInStep(lib, all.id);
    expect(lib.listFolders()).toHaveLength(1);
    expect(lib.listFolders()[0]!.errorCount).toBe(1);
    // pets: the failed file and the one whose name holds a '\' (on Windows, a folder 'back' holds it).
    expect(lib.subfolders(all.id).map((s) => [s.path, s.photoCount])).toEqual([
      ['pets', 2],
      ...(sep === '/' ? [] : [['pets/back', 1]]),
      ['trip', 3],
      ['trip/day 2', 2],
    ]);

    rmSync(join(photos, 'top.jpg'));
    mkdirSync(join(photos, 'trip', 'day 3'));
    renameSync(join(photos, 'trip', 'day 2', 'c.jpg'), join(photos, 'trip', 'day 3', 'c.jpg'));
    const t = new Date(Date.UTC(2020, 5, 1));
    utimesSync(join(photos, 'trip', 'a.jpg'), t, t);
    await lib.rescan(all.id, { caption: false });
    expectInStep(lib, all.id);
    expect(lib.subfolders(all.id).find((s) => s.path === 'trip/day 3')?.photoCount).toBe(1);
    expect(lib.photoMonths({ folderId: all.id })[0]).toEqual({ month: '2020-06', count: 1 });

    // A failed file that is fixed, and a subfolder's own counts.
    await photoOn(join(photos, 'pets', 'broken.jpg'), 9, 9);
    await lib.rescan(all.id, { caption: false });
    expectInStep(lib, all.id);
    expect(lib.listFolders()[0]!.errorCount).toBe(0);
    expect(lib.listPhotos({ folderId: all.id, under: 'trip', limit: 1 }).total).toBe(3);

    lib.removeFolder(all.id);
    expect(kept(lib)).toEqual([]);
  });

  it('are rebuilt by a repair', async () => {
    const { folder } = await lib.addFolder(photos, { caption: false });
    lib.db.exec('DELETE FROM photo_counts');
    const dir = lib.dir;
    await lib.close();
    // Nothing else is wrong: the repair recounts, and says so.
    const report = repairLibrary(dir);
    expect(report.ok).toBe(true);
    expect(report.done.join('\n')).toMatch(/recounted the photos per folder, subfolder and month \(\d+ counts were off\)/);
    lib = Library.open(dir, LIB_OPTIONS);
    expectInStep(lib, folder.id);
    expect(kept(lib).length).toBeGreaterThan(0);
  });
});
