/**
 * The built `lenscribe serve` (its library in a worker thread, as users run it) on 127.0.0.1 over a
 * real captioned library: the media routes serve only indexed photos and their thumbnails, and
 * request bodies too large or nested too deep get a 413 or 400 saying so, never a 500.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/api-contract.js';
import { checkJsonTextDepth, checkValueDepth, MAX_INPUT_DEPTH } from '../../src/main/api/input-limits.js';
import { copyPhotos, raw, requireBuiltRenderer } from './helpers.js';

let dir: string;
let photos: string;
let lib: string;
let names: string[];
let serve: ChildProcess;
let port: number;
let token: string;
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
const auth = () => ({ 'X-Lenscribe-Token': token });
const call = (method: string, body: string) => raw(port, 'POST', `/api/${method}`, { ...auth(), 'Content-Type': 'application/json' }, body);

beforeAll(async () => {
  requireBuiltRenderer();
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-serve-limits-'));
  photos = join(dir, 'photos');
  lib = join(dir, 'lib');
  names = copyPhotos(photos, 2);
  writeFileSync(join(photos, 'secret.txt'), 'SECRET');
  mkdirSync(join(photos, 'notes'));
  writeFileSync(join(photos, 'notes', 'todo.md'), 'SECRET');
  const captioned = spawnSync(process.execPath, ['bin/lenscribe.js', 'caption', photos, '--library', lib], { encoding: 'utf8' });
  expect(captioned.status, captioned.stderr).toBe(0);
  // A thumbnail write in flight (or cut short): in the cache folder, but no photo's thumbnail.
  writeFileSync(join(lib, 'thumbs', 'half-written.webp.123.abc.tmp'), 'SECRET');
  serve = spawn(process.execPath, ['bin/lenscribe.js', 'serve', '--library', lib, '--json', '--no-watch'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: serve.stdout! }).once('line', resolve);
    serve.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
  });
  const started = JSON.parse(first) as { url: string; port: number };
  port = started.port;
  token = new URL(started.url).searchParams.get('token')!;
}, 120_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('lenscribe serve: only indexed photos and their thumbnails', () => {
  it('serves an indexed photo and its thumbnail', async () => {
    const page = json((await call('photos.list', '{}')).body).result;
    expect(page.items).toHaveLength(2);
    const photo = page.items.find((p: { name: string }) => p.name === names[0]);
    const res = await raw(port, 'GET', `/media/${photo.folderId}/${encodeURIComponent(photo.relPath)}`, auth());
    expect(res.status).toBe(200);
    expect(res.body.equals(readFileSync(join(photos, names[0])))).toBe(true);
    expect(photo.thumb).toMatch(/^[0-9a-f]{64}\.webp$/);
    const thumb = await raw(port, 'GET', `/thumbs/${photo.thumb}`, auth());
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/webp');
  });

  it('refuses other files of a library folder and of the thumbnail cache with 404', async () => {
    const folderId = json((await call('folders.list', '{}')).body).result[0].id;
    for (const path of [
      `/media/${folderId}/secret.txt`,
      `/media/${folderId}/notes/todo.md`,
      `/media/${folderId}/${names[0]}.nope`,
      '/thumbs/half-written.webp.123.abc.tmp',
      '/thumbs/' + 'f'.repeat(64) + '.webp',
    ]) {
      const res = await raw(port, 'GET', path, auth());
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain('SECRET');
      expect(json(res.body).error.code).toBe('not_found');
    }
  });
});

describe('lenscribe serve: request bodies', () => {
  it('answers a body nested 100k deep with 400 naming the limit, and keeps serving', async () => {
    for (const body of ['['.repeat(100_000) + ']'.repeat(100_000), `{"folderId": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`]) {
      const res = await call('photos.list', body);
      expect(res.status).toBe(400);
      expect(json(res.body).error).toMatchObject({ code: 'invalid_input' });
      expect(json(res.body).error.message).toMatch(/more than 32 levels deep/);
    }
    // Brackets inside strings are text, not nesting.
    const text = await call('search', JSON.stringify({ query: '['.repeat(400) + ' dog' }));
    expect(text.status).toBe(200);
    expect((await call('library.info', '{}')).status).toBe(200);
  });

  it('answers a body over 1 MB with 413 saying how large it may be', async () => {
    const res = await call('captions.set', JSON.stringify({ photoId: 1, text: 'x'.repeat(2 << 20) }));
    expect(res.status).toBe(413);
    expect(json(res.body).error.message).toMatch(/too large.*1 MB at most/);
  });
});

describe('input depth, as text (HTTP) and as a value (Electron IPC)', () => {
  const nested = (levels: number) => {
    let v: unknown = 1;
    for (let i = 0; i < levels; i++) v = [v];
    return v;
  };
  it('takes the limit and refuses one level more, either way', () => {
    for (const levels of [MAX_INPUT_DEPTH, MAX_INPUT_DEPTH + 1, 100_000]) {
      const ok = levels <= MAX_INPUT_DEPTH;
      const asText = () => checkJsonTextDepth('['.repeat(levels) + '1' + ']'.repeat(levels));
      const asValue = () => checkValueDepth(nested(levels));
      for (const check of [asText, asValue]) {
        if (ok) expect(check).not.toThrow();
        else expect(check).toThrow(ApiError);
      }
    }
  });

  it('counts no brackets inside strings, and ends on a value that refers to itself', () => {
    expect(() => checkJsonTextDepth(JSON.stringify({ q: '[{'.repeat(1000) + '\\"[' }))).not.toThrow();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => checkValueDepth(loop)).not.toThrow();
  });
});
