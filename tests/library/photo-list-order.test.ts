/**
 * The grid's orders and filters (issue 15, "Sort and filter"), on a real library file: by file
 * name, by date taken (the file's date without EXIF), by date added, and only the photos showing
 * the user's caption or the model's, each read through the index made for it.
 */
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { FOLDER_ORDER } from '../../src/main/library/photos.js';
import { tempDir, writeJpeg } from './fixtures.js';

const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };
const MODEL = 'mobilenet-lstm@test';
let lib: Library;
let photos: string;
const names = (page: { items: Array<{ name: string }> }) => page.items.map((p) => p.name);

beforeAll(async () => {
  const root = tempDir('lenscribe-list-order-');
  photos = join(root, 'photos');
  // File dates: Zebra oldest, apple newest; name order ignores case.
  const files = ['b.jpg', 'Zebra.jpg', 'apple.jpg', 'sub/c.jpg'];
  const days = [3, 1, 5, 4];
  for (const [i, f] of files.entries()) {
    const path = await writeJpeg(join(photos, f), i + 1);
    const t = new Date(Date.UTC(2024, 0, days[i]!));
    utimesSync(path, t, t);
  }
  lib = Library.open(join(root, 'library'), LIB_OPTIONS);
  await lib.addFolder(photos, { caption: false });
  const id = (f: string) => lib.photoIdByPath(join(photos, f))!;
  lib.setUserCaption(id('b.jpg'), 'our tent by the lake');
  lib.stores.captions.addModel(id('apple.jpg'), { text: 'a red apple', modelId: MODEL, score: -1, alternatives: [] }, Date.now());
  lib.stores.captions.addModel(
    id('Zebra.jpg'),
    { text: 'a zebra', modelId: MODEL, score: -1, alternatives: [{ text: 'a zebra in the grass', score: -2 }] },
    Date.now(),
  );
  lib.chooseAlternative(id('Zebra.jpg'), 'a zebra in the grass');
}, 60_000);

afterAll(async () => {
  await lib?.close();
});

describe('the grid’s orders and filters', () => {
  it('sorts by name (any case), by date taken and by date added, newest first', () => {
    expect(names(lib.listPhotos({ sort: 'name' }))).toEqual(['apple.jpg', 'b.jpg', 'c.jpg', 'Zebra.jpg']);
    expect(names(lib.listPhotos({ sort: 'taken' }))).toEqual(['apple.jpg', 'c.jpg', 'b.jpg', 'Zebra.jpg']);
    const added = lib.listPhotos({ sort: 'added' }).items.map((p) => p.id);
    expect(added).toHaveLength(4);
    expect(added).toEqual([...added].sort((a, b) => b - a)); // the last one the scan added first
    // Paging keeps the order.
    expect(names(lib.listPhotos({ sort: 'name', offset: 1, limit: 2 }))).toEqual(['b.jpg', 'c.jpg']);
  });

  it('filters the photos showing the user’s caption or the model’s (a picked alternative is the model’s words)', () => {
    expect(names(lib.listPhotos({ captionBy: 'user' }))).toEqual(['b.jpg']);
    expect(names(lib.listPhotos({ captionBy: 'model', sort: 'name' }))).toEqual(['apple.jpg', 'Zebra.jpg']);
    // With the other conditions: c.jpg, with no caption, is in neither.
    expect(names(lib.listPhotos({ captionBy: 'model', sort: 'taken', limit: 1 }))).toEqual(['apple.jpg']);
    expect(lib.listPhotos({ captionBy: 'user', under: 'sub', folderId: lib.listFolders()[0]!.id }).total).toBe(0);
  });

  it('keeps to a range of days taken (the file’s date without EXIF) and counts the photos of each month', () => {
    expect(names(lib.listPhotos({ from: '2024-01-04', sort: 'taken' }))).toEqual(['apple.jpg', 'c.jpg']);
    expect(names(lib.listPhotos({ from: '2024-01-01', to: '2024-01-03', sort: 'taken' }))).toEqual(['b.jpg', 'Zebra.jpg']);
    expect(lib.listPhotos({ to: '2023-12-31' }).total).toBe(0);
    expect(lib.listPhotoIds({ from: '2024-01-05' }, 10)).toEqual([lib.photoIdByPath(join(photos, 'apple.jpg'))]);
    expect(lib.photoMonths()).toEqual([{ month: '2024-01', count: 4 }]);
    expect(lib.photoMonths({ captionBy: 'user' })).toEqual([{ month: '2024-01', count: 1 }]);
    expect(() => lib.listPhotos({ from: 'last week' })).toThrow(/not a date/);
  });

  /** The query plan of a page of the present photos in this order, one line. */
  const pagePlan = (order: string, select = 'id', offset = 0) =>
    (
      lib.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT ${select} FROM photos p WHERE p.status != 'missing' ORDER BY ${order} LIMIT 300${offset ? ` OFFSET ${offset}` : ''}`,
        )
        .all() as Array<{ detail: string }>
    )
      .map((r) => r.detail)
      .join(' | ');

  it('reads each order from its index, not by sorting the library', () => {
    const plan = (order: string) => pagePlan(order);
    expect(plan('p.name COLLATE NOCASE, p.path')).toMatch(/photos_by_name/);
    expect(plan('coalesce(p.taken_at, p.mtime_ms) DESC, p.id')).toMatch(/photos_by_taken/);
    expect(plan('p.name COLLATE NOCASE, p.path')).not.toMatch(/TEMP B-TREE/);
    expect(plan(FOLDER_ORDER)).toMatch(/photos_by_folder_order/);
    expect(plan(FOLDER_ORDER)).not.toMatch(/TEMP B-TREE/);
  });

  it('skips to a deep page along the index alone: every order of the grid is a covering index with the status', () => {
    // PhotoStore.page's inner query; an index without status reads each skipped photo's row (150 ms at offset 99,700 of 100k).
    const plan = (order: string) => pagePlan(order, 'p.id', 1000);
    expect(plan(FOLDER_ORDER)).toMatch(/COVERING INDEX photos_by_folder_order/);
    expect(plan('p.name COLLATE NOCASE, p.path')).toMatch(/COVERING INDEX photos_by_name/);
    expect(plan('coalesce(p.taken_at, p.mtime_ms) DESC, p.id')).toMatch(/COVERING INDEX photos_by_taken/);
    expect(plan('p.id DESC')).toMatch(/COVERING INDEX photos_by_added/);
    // A page from far down the list is the same photos in the same order as the whole list sorted.
    for (const sort of ['path', 'name', 'taken', 'added'] as const) {
      const all = lib.listPhotos({ sort, limit: 100 }).items.map((p) => p.id);
      expect(lib.listPhotos({ sort, offset: 2, limit: 2 }).items.map((p) => p.id)).toEqual(all.slice(2, 4));
    }
  });

  it('finds how the user first spelled a tag from its index, not a scan of every tag (once per photo of a bulk add)', () => {
    const detail = (
      lib.db
        .prepare(`EXPLAIN QUERY PLAN SELECT tag FROM tags WHERE tag = ? AND kind = 'user' AND photo_id != ? ORDER BY created_at LIMIT 1`)
        .all('dog', 0) as Array<{ detail: string }>
    )
      .map((r) => r.detail)
      .join(' | ');
    expect(detail).toMatch(/tags_user_spelling/);
    expect(detail).not.toMatch(/TEMP B-TREE|SCAN tags/);
  });

  it('folder order: each folder’s own photos, then each subfolder’s tree whole (file-manager order)', async () => {
    const root = tempDir('lenscribe-folder-order-');
    const dir = join(root, 'Trip');
    // Plain path order would give a.jpg, sub-b/…, sub.jpg, sub/…, z.jpg: the folder's photos split around
    // its subfolders, and sub-b between sub.jpg and sub's own tree.
    const files = ['z.jpg', 'a.jpg', 'sub.jpg', 'sub/c.jpg', 'sub/deeper/e.jpg', 'sub/f.jpg', 'sub-b/d.jpg'];
    for (const [i, f] of files.entries()) await writeJpeg(join(dir, f), i + 1);
    const other = Library.open(join(root, 'library'), LIB_OPTIONS);
    try {
      await other.addFolder(dir, { caption: false });
      const rel = (page: { items: Array<{ relPath: string }> }) => page.items.map((p) => p.relPath);
      const order = ['a.jpg', 'sub.jpg', 'z.jpg', 'sub/c.jpg', 'sub/f.jpg', 'sub/deeper/e.jpg', 'sub-b/d.jpg'];
      expect(rel(other.listPhotos({}))).toEqual(order);
      expect(rel(other.listPhotos({ offset: 2, limit: 3 }))).toEqual(order.slice(2, 5)); // pages keep it
      const folderId = other.listFolders()[0]!.id;
      expect(rel(other.listPhotos({ folderId, under: 'sub' }))).toEqual(['sub/c.jpg', 'sub/f.jpg', 'sub/deeper/e.jpg']);
      expect(other.listPhotoIds({}, 100)).toEqual(other.listPhotos({}).items.map((p) => p.id));
    } finally {
      await other.close();
    }
  });
});
