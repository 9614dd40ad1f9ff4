/**
 * The tags calls at the API boundary (openApiHost's dispatch, as IPC and HTTP reach it) on a real
 * library of real Flickr8k photos: each bad input gets its own message, the user's tags are added,
 * listed, filtered by and removed, and with write-back on a tag reaches the photo's XMP sidecar.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHost } from '../../src/main/api/host.js';
import type { PhotoDetail, PhotoPage, PhotoTag, TagCount } from '../../src/shared/api-contract.js';
import { exiftoolJson } from '../metadata/helpers.js';
import { copyPhotos } from './helpers.js';

let dir: string;
let photos: string;
let names: string[];
let host: Awaited<ReturnType<typeof openApiHost>>;

const call = <T>(method: string, input: unknown = {}) => host.dispatch(method, input) as Promise<T>;
const failure = (method: string, input: unknown) =>
  call(method, input).then(
    () => null,
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-tags-api-'));
  photos = join(dir, 'photos');
  names = copyPhotos(photos, 3, 40);
  host = await openApiHost({
    libraryDir: join(dir, 'library'),
    capabilities: { pickFolder: false, dropFolders: false },
    watch: false,
    libraryOptions: { registerDefaultModel: false, importMetadata: false },
  });
  await call('folders.add', { path: photos });
});

afterAll(async () => {
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tags over the API', () => {
  it('refuses bad input, each with its own reason', async () => {
    const id = (await call<PhotoPage>('photos.list')).items[0].id;
    const cases: Array<[unknown, RegExp]> = [
      [{ photoId: id, tag: '   ' }, /tag: A tag cannot be empty\./],
      [{ photoId: id, tag: 'x'.repeat(65) }, /tag: A tag is at most 64 characters\./],
      [{ photoId: id, tag: 'bell\u0007' }, /tag: A tag cannot contain control characters\./],
      [{ photoId: id, tag: 42 }, /tag: /],
      [{ photoId: 0, tag: 'dog' }, /photoId: /],
      [{ photoId: id, tag: 'dog', score: 1 }, /Unrecognized key/],
    ];
    for (const [input, message] of cases) {
      const f = await failure('tags.add', input);
      expect(f, JSON.stringify(input)).toMatchObject({ code: 'invalid_input' });
      expect(f!.message).toMatch(message);
    }
    expect(await failure('tags.add', { photoId: 99_999, tag: 'dog' })).toMatchObject({ code: 'not_found' });
    expect(await failure('tags.forPhoto', { photoId: 99_999 })).toMatchObject({ code: 'not_found' });
    expect(await failure('tags.remove', { photoId: id, tag: 'never there' })).toMatchObject({
      code: 'not_found',
      message: `no tag "never there" on photo ${id}`,
    });
    expect(await failure('tags.list', { limit: 0 })).toMatchObject({ code: 'invalid_input' });
    expect(await failure('photos.list', { tag: 'x'.repeat(201) })).toMatchObject({ code: 'invalid_input' });
    for (const bad of [-0.1, 1.5, '0.5'])
      expect(await failure('settings.set', { metadataTagMinScore: bad })).toMatchObject({ code: 'invalid_input' });
    expect(await call('settings.set', { metadataTagMinScore: 0.7 })).toMatchObject({ metadataTagMinScore: 0.7 });
  });

  it('adds, lists, filters by and removes the user’s tags', async () => {
    const [a, b] = (await call<PhotoPage>('photos.list')).items;
    const detail = await call<PhotoDetail>('tags.add', { photoId: a.id, tag: ' Grand   Canyon ' });
    expect(detail.tags).toEqual([{ tag: 'Grand Canyon', kind: 'user', source: 'user', score: null, count: null }]);
    await call('tags.add', { photoId: b.id, tag: 'grand canyon' }); // the same tag, any case
    await call('tags.add', { photoId: b.id, tag: 'Rexo' });
    expect(await call<PhotoTag[]>('tags.forPhoto', { photoId: b.id })).toHaveLength(2);
    expect(await call<TagCount[]>('tags.list')).toEqual([
      { tag: 'Grand Canyon', photos: 2 },
      { tag: 'Rexo', photos: 1 },
    ]);
    const page = await call<PhotoPage>('photos.list', { tag: 'GRAND CANYON' });
    expect(page.items.map((p) => p.id).sort()).toEqual([a.id, b.id].sort());
    expect((await call<PhotoPage>('photos.list', { tag: 'nothing' })).total).toBe(0);
    const after = await call<PhotoDetail>('tags.remove', { photoId: b.id, tag: 'GRAND canyon' });
    expect(after.tags.map((t) => t.tag)).toEqual(['Rexo']);
    expect((await call<PhotoDetail>('photos.get', { id: b.id })).tags.map((t) => t.tag)).toEqual(['Rexo']);
  });

  it('with write-back on, an added tag reaches the photo’s XMP sidecar', async () => {
    await call('settings.set', { metadataWrite: 'xmp' });
    const c = (await call<PhotoPage>('photos.list')).items.find((p) => p.name === names[2])!;
    await call('tags.add', { photoId: c.id, tag: 'Lighthouse' });
    const sidecar = join(photos, `${names[2]}.xmp`);
    await expect.poll(() => existsSync(sidecar), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => exiftoolJson(sidecar, ['XMP-dc:Subject'])['XMP-dc:Subject'], { timeout: 10_000 }).toBe('Lighthouse');
  });
});
