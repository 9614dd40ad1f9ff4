/**
 * Review leftovers of search by content (issue 19), on a real SQLite library of real JPEG files:
 * the grid's tag filter reads a tag as tags are stored (NFC), search keeps to the selected
 * subfolder as the grid does (the API takes `under` for it), and the user's tags (written and removed) survive removing their
 * folder and come back with it, by path or by content, across a reopen; a version-5 library opens.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiHost } from '../../src/main/api/host.js';
import { openDatabase } from '../../src/main/library/db.js';
import { Library } from '../../src/main/library/library.js';
import { latestVersion, migrations } from '../../src/main/library/migrations.js';
import type { PhotoPage, SearchResult } from '../../src/shared/api-contract.js';
import { tempDir, writeJpeg } from './fixtures.js';

const open: Library[] = [];
function openLib(dir: string): Library {
  const lib = Library.open(dir, { registerDefaultModel: false, importMetadata: false, autoCaption: false });
  open.push(lib);
  return lib;
}
afterEach(async () => {
  for (const lib of open.splice(0)) await lib.close();
});

/** A folder of real JPEGs: Pets/{rex,tom}.jpg and Holiday/{sea,cafe}.jpg. */
async function photos(root: string): Promise<string> {
  const dir = join(root, 'photos');
  let seed = 1;
  for (const p of ['Pets/rex.jpg', 'Pets/tom.jpg', 'Holiday/sea.jpg', 'Holiday/cafe.jpg']) await writeJpeg(join(dir, p), seed++);
  return dir;
}

const byName = (lib: Library) => new Map(lib.listPhotos({ limit: 100 }).items.map((p) => [p.name, p.id]));
const tagRows = (lib: Library, id: number) => lib.photoTags(id).map((t) => [t.tag, t.kind, t.source, t.score] as const);

describe('the grid filtered by a tag', () => {
  it('finds a tag typed decomposed (cafe + combining accent) as it was stored (NFC)', async () => {
    const root = tempDir();
    const lib = openLib(join(root, 'lib'));
    await lib.addFolder(await photos(root), { caption: false });
    const ids = byName(lib);
    lib.addTag(ids.get('cafe.jpg')!, 'cafe\u0301'); // stored NFC: "café"
    expect(lib.photoTags(ids.get('cafe.jpg')!)[0].tag).toBe('caf\u00e9');
    for (const typed of ['caf\u00e9', 'cafe\u0301', '  Cafe\u0301 ']) {
      expect(
        lib.listPhotos({ tag: typed }).items.map((p) => p.name),
        JSON.stringify(typed),
      ).toEqual(['cafe.jpg']);
    }
  });
});

describe('search with a subfolder selected', () => {
  it('keeps to the subfolder, for caption words and for tags, as photos.list does', async () => {
    const root = tempDir();
    const lib = openLib(join(root, 'lib'));
    const { folder } = await lib.addFolder(await photos(root), { caption: false });
    const ids = byName(lib);
    lib.setUserCaption(ids.get('rex.jpg')!, 'a dog on the sofa');
    lib.setUserCaption(ids.get('sea.jpg')!, 'a dog on the beach');
    lib.addTag(ids.get('tom.jpg')!, 'sofa');
    lib.addTag(ids.get('cafe.jpg')!, 'sofa');
    const names = (q: string, under?: string) =>
      lib
        .search(q, { folderId: folder.id, similarWords: false, ...(under ? { under } : {}) })
        .hits.map((h) => h.photo.name)
        .sort();
    expect(names('dog')).toEqual(['rex.jpg', 'sea.jpg']);
    expect(names('dog', 'Pets')).toEqual(['rex.jpg']);
    expect(names('dog', 'Holiday')).toEqual(['sea.jpg']);
    expect(names('sofa')).toEqual(['cafe.jpg', 'rex.jpg', 'tom.jpg']);
    expect(names('sofa', 'Pets')).toEqual(['rex.jpg', 'tom.jpg']);
    expect(names('tag:sofa', 'Holiday')).toEqual(['cafe.jpg']);
    expect(lib.search('sofa', { folderId: folder.id, under: 'Holiday', similarWords: false }).total).toBe(1);
    // The same subfolder in the grid.
    expect(lib.listPhotos({ folderId: folder.id, under: 'Pets', tag: 'sofa' }).items.map((p) => p.name)).toEqual(['tom.jpg']);
  });
});

describe('search with a subfolder selected, over the API', () => {
  it('takes `under` (validated) and keeps to it', async () => {
    const root = tempDir();
    const dir = await photos(root);
    const host = await openApiHost({
      libraryDir: join(root, 'lib'),
      capabilities: { pickFolder: false, dropFolders: false },
      watch: false,
      libraryOptions: { registerDefaultModel: false, importMetadata: false, autoCaption: false },
    });
    try {
      const call = <T>(method: string, input: unknown) => host.dispatch(method, input) as Promise<T>;
      const { folder } = await call<{ folder: { id: number } }>('folders.add', { path: dir });
      const page = await call<PhotoPage>('photos.list', { folderId: folder.id });
      for (const p of page.items) await call('tags.add', { photoId: p.id, tag: 'garden' });
      const search = (under?: string) =>
        call<SearchResult>('search', { query: 'tag:garden', folderId: folder.id, similarWords: false, ...(under ? { under } : {}) });
      expect((await search()).total).toBe(4);
      expect((await search('Pets')).hits.map((h) => h.photo.relPath).sort()).toEqual(['Pets/rex.jpg', 'Pets/tom.jpg']);
      await expect(search('x'.repeat(5000))).rejects.toMatchObject({ code: 'invalid_input' });
    } finally {
      await host.close();
    }
  });
});

describe('the user’s tags when their folder leaves the library', () => {
  it('keeps the tags the user wrote and removed, and gives them back when the folder returns (by path or content)', async () => {
    const root = tempDir();
    const dir = await photos(root);
    let lib = openLib(join(root, 'lib'));
    const { folder } = await lib.addFolder(dir, { caption: false });
    let ids = byName(lib);
    const [rex, tom] = [ids.get('rex.jpg')!, ids.get('tom.jpg')!];
    lib.stores.tags.replaceModel(rex, 'm@1', [
      { tag: 'dog', score: 0.8, count: 1 },
      { tag: 'cat', score: 0.4, count: 1 },
    ]);
    lib.addTag(rex, 'Rexo');
    lib.removeTag(rex, 'cat'); // a model tag the user took away
    lib.importTags(join(dir, 'Pets', 'rex.jpg'), [{ tag: 'Holiday 2019', field: 'dc:subject' }]);
    lib.addTag(tom, 'Tommy');
    lib.removeTag(rex, 'Rexo');
    lib.addTag(rex, 'Rexo'); // written, removed, written again: the user's tag
    const rexBefore = tagRows(lib, rex).filter(([, , source]) => source === 'user');
    expect(rexBefore).toEqual([['Rexo', 'user', 'user', null]]);

    expect(lib.removeFolder(folder.id)).toBe(true);
    expect(lib.db.prepare('SELECT count(*) FROM tags').pluck().get()).toBe(0);
    await lib.close();
    open.pop();

    // Across a reopen; tom.jpg moved while its folder was out of the library (known by its content).
    lib = openLib(join(root, 'lib'));
    renameSync(join(dir, 'Pets', 'tom.jpg'), join(dir, 'Pets', 'tommy.jpg'));
    await lib.addFolder(dir, { caption: false });
    ids = byName(lib);
    const rexBack = ids.get('rex.jpg')!;
    expect(tagRows(lib, rexBack)).toEqual(rexBefore); // the imported keyword is not kept: the file has it
    expect(lib.stores.tags.removed(rexBack)).toEqual(['cat']);
    expect(tagRows(lib, ids.get('tommy.jpg')!)).toEqual([['Tommy', 'user', 'user', null]]);
    expect(lib.db.prepare('SELECT count(*) FROM kept_tags').pluck().get()).toBe(0);

    // The model derives tags again: the removed one stays away, the user's stays.
    lib.stores.tags.replaceModel(rexBack, 'm@1', [
      { tag: 'dog', score: 0.8, count: 1 },
      { tag: 'cat', score: 0.4, count: 1 },
    ]);
    expect(lib.photoTags(rexBack).map((t) => t.tag)).toEqual(['Rexo', 'dog']);
    expect(lib.listPhotos({ tag: 'tommy' }).items.map((p) => p.name)).toEqual(['tommy.jpg']);
  });

  it('opens a library made before kept tags (schema 5) and keeps its kept captions', async () => {
    const root = tempDir();
    const file = join(root, 'lib', 'library.db');
    const old = openDatabase(file, { migrations: migrations.filter((m) => m.version <= 5) });
    old.prepare(`INSERT INTO kept_captions (path, hash, caption, removed_at) VALUES ('/gone/a.jpg', NULL, '{}', 0)`).run();
    old.close();
    const lib = openLib(join(root, 'lib'));
    expect(lib.db.pragma('user_version', { simple: true })).toBe(latestVersion);
    expect(lib.stores.kept.count()).toBe(1);
    expect(lib.db.prepare('SELECT count(*) FROM kept_tags').pluck().get()).toBe(0);
  });
});
