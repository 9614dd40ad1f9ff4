/**
 * Captions fill the grid top-down (issue 15, grid polish): a job takes its photos in the grid's
 * folder order, and the photos the user has on screen (jobs.captionFirst) before the rest.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from './fixtures.js';

let lib: Library;
let photos: string;
const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };

beforeAll(async () => {
  const root = tempDir('lenscribe-caption-order-');
  photos = join(root, 'photos');
  for (const [i, f] of ['z.jpg', 'sub/c.jpg', 'b.jpg', 'a.jpg', 'sub/d.jpg'].entries()) await writeJpeg(join(photos, f), i + 1);
  lib = Library.open(join(root, 'library'), LIB_OPTIONS);
  await lib.addFolder(photos, { caption: false });
}, 60_000);

afterAll(async () => {
  await lib?.close();
});

describe('the order a job captions in', () => {
  it('is the grid’s folder order, with the photos on screen first', () => {
    const jobs = lib.stores.jobs;
    const id = jobs.enqueue({ modelId: 'm@test' })!;
    const next = (n = 10) => jobs.todo(id, n).map((p) => p.path.slice(photos.length + 1));
    const grid = lib.listPhotos({}).items.map((p) => p.relPath);
    expect(grid).toEqual(['a.jpg', 'b.jpg', 'z.jpg', 'sub/c.jpg', 'sub/d.jpg']);
    expect(next()).toEqual(grid);
    // The user scrolled to the subfolder: its photos come next, the rest after in folder order.
    const onScreen = ['sub/c.jpg', 'sub/d.jpg'].map((f) => lib.photoIdByPath(join(photos, f))!);
    expect(lib.captionFirst(onScreen)).toBe(2);
    expect(next(2)).toEqual(['sub/c.jpg', 'sub/d.jpg']);
    expect(next().slice(2)).toEqual(['a.jpg', 'b.jpg', 'z.jpg']);
    // Later on screen wins over earlier; photos no job waits for change nothing.
    expect(lib.captionFirst([lib.photoIdByPath(join(photos, 'z.jpg'))!])).toBe(1);
    expect(next(1)).toEqual(['z.jpg']);
    jobs.setItem(id, lib.photoIdByPath(join(photos, 'z.jpg'))!, 'done');
    expect(lib.captionFirst([lib.photoIdByPath(join(photos, 'z.jpg'))!])).toBe(0);
  });
});
