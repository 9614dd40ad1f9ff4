/**
 * The folders calls over real HTTP (`lenscribe serve`'s server on a real library with real
 * Flickr8k photos): a relative path is refused with what to type instead, `~` is the home folder,
 * a folder already in the library says so, adding a parent or a child of library folders and
 * removing a folder ask first with what will happen, and a removed folder's user captions return.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiHost } from '../../src/main/api/host.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { copyPhotos, raw, rendererDir, requireBuiltRenderer } from './helpers.js';

let dir: string;
let ux: string;
let host: Awaited<ReturnType<typeof openApiHost>>;
let srv: RunningServer;
const TOKEN = 'folders-token-0123456789abcdef';

interface Answer {
  status: number;
  ok: boolean;
  result: Record<string, unknown> & { outcome?: string; message?: string };
  error?: { code: string; message: string };
}

async function call(method: string, input: unknown = {}): Promise<Answer> {
  const headers = { 'X-Lenscribe-Token': TOKEN, 'Content-Type': 'application/json' };
  const r = await raw(srv.port, 'POST', `/api/${method}`, headers, JSON.stringify(input));
  return { status: r.status, ...JSON.parse(r.body.toString('utf8')) } as Answer;
}

beforeAll(async () => {
  requireBuiltRenderer();
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-folders-api-'));
  ux = join(dir, 'ux-photos');
  copyPhotos(join(ux, 'Holiday'), 2, 0);
  copyPhotos(join(ux, 'Pets'), 2, 2);
  copyPhotos(join(ux, 'Pets', 'Cats'), 1, 4);
  host = await openApiHost({
    libraryDir: join(dir, 'library'),
    capabilities: { pickFolder: false, dropFolders: false },
    watch: false,
    libraryOptions: { registerDefaultModel: false, importMetadata: false },
  });
  srv = await startServer({ host, rendererDir, token: TOKEN });
});

afterAll(async () => {
  await srv?.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('folders over the API', () => {
  it('refuses a relative path with what to type instead', async () => {
    for (const path of ['Pictures', './Pictures', '../x']) {
      const r = await call('folders.add', { path });
      expect(r.status).toBe(400);
      expect(r.error!.message).toContain('Use a full path, e.g. /home/you/Pictures');
    }
  });

  it('reads a leading ~ as the home folder of the server', async () => {
    const home = mkdtempSync(join(homedir(), 'lenscribe-test-home-'));
    try {
      copyPhotos(join(home, 'pics'), 1, 8);
      const r = await call('folders.add', { path: `~/${basename(home)}/pics` });
      expect(r.ok).toBe(true);
      expect(r.result).toMatchObject({ outcome: 'added', folder: { path: join(home, 'pics'), photoCount: 1 } });
      const removed = await call('folders.remove', { id: (r.result.folder as { id: number }).id, confirm: true });
      expect(removed.result).toMatchObject({ outcome: 'removed', removed: true, keptCaptions: 0 });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says a folder is already in the library', async () => {
    const first = await call('folders.add', { path: join(ux, 'Pets') });
    expect(first.result.outcome).toBe('added');
    const again = await call('folders.add', { path: join(ux, 'Pets') });
    expect(again.status).toBe(409);
    expect(again.error!.message).toBe(`${join(ux, 'Pets')} is already in the library.`);
  });

  it('asks before adding a parent of library folders, and keeps their captions when told to go ahead', async () => {
    await call('folders.add', { path: join(ux, 'Holiday') });
    const pets = ((await call('photos.list', { limit: 50 })).result.items as Array<{ id: number; relPath: string }>).find((p) =>
      p.relPath.startsWith('Cats/'),
    )!;
    await call('captions.set', { photoId: pets.id, text: 'the cat asleep in the sun' });

    const ask = await call('folders.add', { path: ux });
    expect(ask.result).toEqual({
      outcome: 'needs-confirmation',
      message:
        'ux-photos contains Holiday and Pets, already in the library; they will be shown as subfolders of ux-photos, and their captions are kept.',
    });
    expect(((await call('folders.list')).result as unknown as unknown[]).length).toBe(2);

    const added = await call('folders.add', { path: ux, confirm: true });
    expect(added.result).toMatchObject({ outcome: 'added', subfolder: null, folder: { path: ux, photoCount: 5 } });
    const id = (added.result.folder as { id: number }).id;
    expect((await call('folders.list')).result).toHaveLength(1);
    expect((await call('photos.get', { id: pets.id })).result.caption).toBe('the cat asleep in the sun');
    expect((await call('folders.subfolders', { id })).result).toEqual([
      { path: 'Holiday', photoCount: 2, captionedCount: 0, pendingCount: 2 },
      { path: 'Pets', photoCount: 3, captionedCount: 0, pendingCount: 3 },
      { path: 'Pets/Cats', photoCount: 1, captionedCount: 0, pendingCount: 1 },
    ]);
    const cats = (await call('photos.list', { folderId: id, under: 'Pets/Cats' })).result;
    expect([cats.total, (cats.items as Array<{ id: number }>)[0].id]).toEqual([1, pets.id]);
    // A subfolder never climbs out of its folder: the call is refused, for the grid and for search.
    for (const under of ['..', '../..', 'Pets/../..', './Pets', 'Pets\\..\\..']) {
      for (const [method, input] of [
        ['photos.list', { folderId: id, under }],
        ['search', { query: 'cat', folderId: id, under }],
      ] as const) {
        const r = await call(method, input);
        expect(r.error?.code, `${method} ${under}`).toBe('invalid_input');
        expect(r.error!.message).toContain('without "." or ".." parts');
      }
    }
  });

  it('asks before adding a folder inside a library folder, saying it is already covered', async () => {
    const ask = await call('folders.add', { path: join(ux, 'Pets', 'Cats') });
    expect(ask.result.outcome).toBe('needs-confirmation');
    expect(ask.result.message).toMatch(/^Cats is already in the library, inside ux-photos/);
    const added = await call('folders.add', { path: join(ux, 'Pets', 'Cats'), confirm: true });
    expect(added.result).toMatchObject({ outcome: 'added', subfolder: 'Pets/Cats', folder: { path: ux } });
  });

  it('asks before removing a folder, with how many of the user captions it keeps; they come back with the folder', async () => {
    const [folder] = (await call('folders.list')).result as unknown as Array<{ id: number }>;
    const ask = await call('folders.remove', { id: folder.id });
    expect(ask.result).toEqual({
      outcome: 'needs-confirmation',
      message:
        'Remove ux-photos from the library? Its photos and any metadata written beside them stay on disk. ' +
        'ux-photos holds 1 of your own captions; it is kept and comes back if you add the folder again.',
    });
    expect((await call('folders.list')).result).toHaveLength(1);
    const removed = await call('folders.remove', { id: folder.id, confirm: true });
    expect(removed.result).toEqual({ outcome: 'removed', removed: true, keptCaptions: 1 });
    expect((await call('photos.list')).result.total).toBe(0);

    mkdirSync(join(ux, 'empty'), { recursive: true });
    await call('folders.add', { path: ux });
    const hits = (await call('search', { query: 'asleep' })).result;
    expect(hits.total).toBe(1);
    const missing = await call('folders.remove', { id: 999_999 });
    expect(missing.status).toBe(404);
  });

  it('refuses to resume captioning without a model, saying why', async () => {
    const [folder] = (await call('folders.list')).result as unknown as Array<{ id: number; status: string }>;
    // No model: the waiting photos are not "paused", they wait for one.
    expect(folder.status).toBe('ready');
    const r = await call('folders.resume', { id: folder.id });
    expect(r.status).toBe(503);
    expect(r.error!.message).toMatch(/No caption model is installed/);
  });
});
