/**
 * Folders that merge, split and leave the library (issue 13, items 4 and 7), on a real SQLite
 * library and real Flickr8k photos copied into temp folders: what adding a parent or a child
 * would do is told first, the user's captions survive every reshaping, a removed folder's user
 * captions come back when it is added again, and a cancelled job's folder says it is paused and resumes.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describePlan, expandHome } from '../../src/main/library/folders.js';
import { Library } from '../../src/main/library/library.js';
import { defaultModelDir } from '../../src/shared/paths.js';
import { tempDir } from './fixtures.js';
import { FLICKR } from './model.js';

const images = join(FLICKR, 'images');
const hasPhotos = existsSync(images);

/** Copy `n` Flickr8k photos (from `skip`) into `dir`. */
function copyPhotos(dir: string, n: number, skip: number): string[] {
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(images)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(skip, skip + n);
  for (const name of names) copyFileSync(join(images, name), join(dir, name));
  return names;
}

/** ux-photos with Holiday (2 photos), Pets (2) and Broken (1 good photo, 1 broken file). */
function uxPhotos(root: string): string {
  const ux = join(root, 'ux-photos');
  copyPhotos(join(ux, 'Holiday'), 2, 0);
  copyPhotos(join(ux, 'Pets'), 2, 2);
  copyPhotos(join(ux, 'Broken'), 1, 4);
  writeFileSync(join(ux, 'Broken', 'cut.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  return ux;
}

const open: Library[] = [];
function openLib(dir: string, options: Parameters<typeof Library.open>[1] = {}): Library {
  const lib = Library.open(dir, { registerDefaultModel: false, importMetadata: false, ...options });
  open.push(lib);
  return lib;
}
afterEach(async () => {
  for (const lib of open.splice(0)) await lib.close();
});

/** Every user caption in the library by photo path. */
function userCaptions(lib: Library): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of lib.exportRows()) if (row.userCaption) out[row.path] = row.userCaption;
  return out;
}

describe.skipIf(!hasPhotos)('folders that merge, split and leave the library', () => {
  it('tells what adding a parent of library folders does, and keeps their captions when it goes ahead', async () => {
    const root = tempDir();
    const ux = uxPhotos(root);
    const lib = openLib(join(root, 'lib'));
    for (const sub of ['Holiday', 'Pets', 'Broken']) await lib.addFolder(join(ux, sub), { caption: false });
    const pets = lib.listPhotos({ limit: 100 }).items.filter((p) => p.relPath.endsWith('.jpg') && p.status !== 'error');
    lib.setUserCaption(pets[0].id, 'a dog asleep on the sofa');
    lib.setUserCaption(pets[2].id, 'grandma on the beach');
    const before = userCaptions(lib);

    const plan = lib.planFolder(ux);
    expect(plan.kind).toBe('new');
    expect(describePlan(plan)).toBe(
      'ux-photos contains Broken, Holiday and Pets, already in the library; they will be shown as subfolders of ux-photos, and their captions are kept.',
    );
    // Planning changed nothing.
    expect(lib.listFolders().map((f) => f.path.split('/').pop())).toEqual(['Broken', 'Holiday', 'Pets']);

    const { folder } = await lib.addFolder(ux, { caption: false });
    expect(lib.listFolders().map((f) => f.path)).toEqual([folder.path]);
    expect(folder.photoCount).toBe(6);
    expect(userCaptions(lib)).toEqual(before);
    // The absorbed folders stay browsable as subfolders, each with its own photos.
    expect(lib.subfolders(folder.id).map((s) => [s.path, s.photoCount])).toEqual([
      ['Broken', 2],
      ['Holiday', 2],
      ['Pets', 2],
    ]);
    const holiday = lib.listPhotos({ folderId: folder.id, under: 'Holiday' });
    expect(holiday.total).toBe(2);
    expect(holiday.items.every((p) => p.relPath.startsWith('Holiday/'))).toBe(true);
  });

  it('says a folder inside a library folder is already covered, and an exact one is already in the library', async () => {
    const root = tempDir();
    const ux = uxPhotos(root);
    const lib = openLib(join(root, 'lib'));
    await lib.addFolder(ux, { caption: false });
    const inside = lib.planFolder(join(ux, 'Pets'));
    expect(inside.kind).toBe('inside');
    expect(describePlan(inside)).toMatch(/^Pets is already in the library, inside ux-photos/);
    expect(describePlan(lib.planFolder(ux))).toBe('ux-photos is already in the library.');
    expect(describePlan(lib.planFolder(join(root)))).toMatch(/contains ux-photos, already in the library; it will be shown as a subfolder/);
  });

  it('removing a folder keeps the user captions it holds; adding it again brings them back, even for a moved file', async () => {
    const root = tempDir();
    const ux = uxPhotos(root);
    const lib = openLib(join(root, 'lib'));
    const { folder } = await lib.addFolder(ux, { caption: false });
    const photos = lib.listPhotos({ folderId: folder.id, under: 'Pets' }).items;
    lib.setUserCaption(photos[0].id, 'first words');
    lib.setUserCaption(photos[0].id, 'a dog asleep on the sofa');
    lib.setUserCaption(photos[1].id, 'a cat in a box');
    const before = userCaptions(lib);
    const historyBefore = lib.captionHistory(photos[0].id).map((c) => [c.text, c.source, c.createdAt]);
    expect(lib.folderRemoval(folder.id).userCaptions).toBe(2);

    expect(lib.removeFolder(folder.id)).toBe(true);
    expect(lib.listFolders()).toEqual([]);
    expect(lib.stores.kept.count()).toBe(3);
    // The files are not touched.
    expect(readdirSync(join(ux, 'Pets'))).toHaveLength(2);

    // One photo moved while its folder was out of the library: it is known by its content.
    const [moved] = readdirSync(join(ux, 'Pets')).sort();
    renameSync(join(ux, 'Pets', moved), join(ux, 'Pets', `renamed-${moved}`));
    await lib.addFolder(join(ux, 'Pets'), { caption: false });
    const after = userCaptions(lib);
    expect(Object.values(after).sort()).toEqual(Object.values(before).sort());
    expect(Object.keys(after).some((p) => p.endsWith(`renamed-${moved}`))).toBe(true);
    const back = lib.listPhotos().items.find((p) => p.caption === 'a dog asleep on the sofa')!;
    expect(lib.captionHistory(back.id).map((c) => [c.text, c.source, c.createdAt])).toEqual(historyBefore);
    expect(lib.stores.kept.count()).toBe(0);
    expect(lib.search('sofa').total).toBe(1);
  });

  it('keeps the kept captions across closing and reopening the library', async () => {
    const root = tempDir();
    const ux = uxPhotos(root);
    let lib = openLib(join(root, 'lib'));
    const { folder } = await lib.addFolder(join(ux, 'Holiday'), { caption: false });
    lib.setUserCaption(lib.listPhotos().items[0].id, 'sunset over the harbour');
    lib.removeFolder(folder.id);
    await lib.close();
    lib = openLib(join(root, 'lib'));
    await lib.addFolder(join(ux, 'Holiday'), { caption: false });
    expect(Object.values(userCaptions(lib))).toEqual(['sunset over the harbour']);
  });

  it('expands a leading ~ to the home folder', () => {
    expect(expandHome('~')).toBe(homedir());
    expect(expandHome('~/Pictures')).toBe(join(homedir(), 'Pictures'));
    expect(expandHome('/srv/~photos')).toBe('/srv/~photos');
    expect(expandHome('~bob/Pictures')).toBe('~bob/Pictures');
  });
});

describe.skipIf(!hasPhotos || !existsSync(join(defaultModelDir, 'model.json')))('a folder whose captioning was cancelled', () => {
  it('is paused with its photos waiting, and resumes', { timeout: 120_000 }, async () => {
    const root = tempDir();
    const photos = join(root, 'Zoo');
    copyPhotos(photos, 6, 20);
    const lib = openLib(join(root, 'lib'), { batchSize: 2 });
    lib.registerModel(defaultModelDir, { activate: true });
    const { folder, jobId } = await lib.addFolder(photos);
    lib.cancelJob(jobId!);
    await lib.waitForJob(jobId!);
    await lib.runJobs();
    const paused = lib.getFolder(folder.id)!;
    expect(paused.pendingCount).toBeGreaterThan(0);
    expect(paused.status).toBe('paused');

    const again = lib.resumeCaptioning(folder.id);
    expect(again).not.toBeNull();
    expect(lib.getFolder(folder.id)!.status).toBe('captioning');
    expect((await lib.waitForJob(again!)).status).toBe('done');
    const done = lib.getFolder(folder.id)!;
    expect([done.status, done.pendingCount, done.captionedCount]).toEqual(['ready', 0, 6]);
  });

  it('a paused job makes its folder paused (not captioning), and resuming the folder resumes that job', { timeout: 120_000 }, async () => {
    const root = tempDir();
    const photos = join(root, 'Zoo');
    copyPhotos(photos, 4, 30);
    const lib = openLib(join(root, 'lib'), { batchSize: 2 });
    lib.registerModel(defaultModelDir, { activate: true });
    const { folder, jobId } = await lib.addFolder(photos);
    lib.pauseJob(jobId!);
    await lib.runJobs();
    expect(lib.getFolder(folder.id)!.status).toBe(lib.getFolder(folder.id)!.pendingCount > 0 ? 'paused' : 'ready');
    expect(lib.resumeCaptioning(folder.id)).toBe(jobId);
    expect((await lib.waitForJob(jobId!)).status).toBe('done');
    expect(lib.getFolder(folder.id)!.captionedCount).toBe(4);
  });
});
