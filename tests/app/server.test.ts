/**
 * The HTTP transport of `lenscribe serve` over a real library (SQLite in a temp folder, real
 * photos): token, Host and Origin checks, JSON errors, CSP, SSE, and confinement of media.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiEvent } from '../../src/shared/api-contract.js';
import { openApiHost } from '../../src/main/api/host.js';
import { replyTo } from '../../src/main/api/dispatch.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { createHttpClient, createIpcClient } from '../../src/renderer/client.js';
import { copyPhotos, raw, rendererDir, requireBuiltRenderer } from './helpers.js';

let dir: string;
let photos: string;
let host: Awaited<ReturnType<typeof openApiHost>>;
let srv: RunningServer;
let names: string[];
let folderId: number;
const TOKEN = 'test-token-0123456789abcdef';
const auth = () => ({ 'X-Lenscribe-Token': TOKEN });
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));

beforeAll(async () => {
  requireBuiltRenderer();
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-serve-'));
  photos = join(dir, 'photos');
  names = copyPhotos(photos, 3);
  mkdirSync(join(photos, 'sub dir'));
  copyPhotos(join(photos, 'sub dir'), 1, 10);
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  symlinkSync(join(dir, 'secret.txt'), join(photos, 'escape.jpg'));
  symlinkSync(dir, join(photos, 'uplink'));
  // No caption model here: these tests are about the transport, not captions.
  host = await openApiHost({
    libraryDir: join(dir, 'library'),
    capabilities: { pickFolder: false, dropFolders: false },
    watch: false,
    libraryOptions: { registerDefaultModel: false },
  });
  srv = await startServer({ host, rendererDir, token: TOKEN });
  const added = json(
    (await raw(srv.port, 'POST', '/api/folders.add', { ...auth(), 'Content-Type': 'application/json' }, JSON.stringify({ path: photos })))
      .body,
  );
  expect(added.ok).toBe(true);
  folderId = added.result.folder.id;
});

afterAll(async () => {
  await srv?.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lenscribe serve: listening', () => {
  it('binds to loopback only', async () => {
    const addr = srv.server.address();
    expect(typeof addr === 'object' && addr?.address).toBe('127.0.0.1');
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${TOKEN}`);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const refused = await new Promise<string>((resolve) => {
        const s = connect({ host: external.address, port: srv.port });
        s.on('connect', () => (s.destroy(), resolve('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
  });

  it('makes a random token when none is given', async () => {
    const other = await startServer({ host, rendererDir });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(other.token).not.toBe(TOKEN);
    } finally {
      await other.close();
    }
  });
});

describe('lenscribe serve: token', () => {
  it('refuses every route without the token, with a JSON error and CSP', async () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/index.html'],
      ['GET', '/events'],
      ['POST', '/api/library.info'],
      ['GET', `/media/${folderId}/${names[0]}`],
      ['GET', '/thumbs/x.webp'],
    ]) {
      const res = await raw(
        srv.port,
        method,
        path,
        method === 'POST' ? { 'Content-Type': 'application/json' } : {},
        method === 'POST' ? '{}' : undefined,
      );
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(json(res.body).error.message).toMatch(/token/);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });

  it('answers a browser opening the address without its token with a page that says what to do', async () => {
    const page = await raw(srv.port, 'GET', '/', { Accept: 'text/html,application/xhtml+xml' });
    expect(page.status).toBe(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const html = String(page.body);
    expect(html).toContain('Open the address <code>lenscribe serve</code> printed');
    expect(html).not.toMatch(/<script|style=/);
    expect(html).not.toContain(TOKEN);
    // The API and the event stream still answer in JSON, whatever the Accept header says.
    for (const path of ['/api/library.info', '/events']) {
      const res = await raw(srv.port, 'GET', path, { Accept: 'text/html' });
      expect(res.status).toBe(401);
      expect(json(res.body).error.message).toMatch(/token/);
    }
  });

  it('refuses a wrong token in header, bearer, cookie or query', async () => {
    expect((await raw(srv.port, 'GET', '/', { 'X-Lenscribe-Token': 'nope' })).status).toBe(401);
    expect((await raw(srv.port, 'GET', '/', { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await raw(srv.port, 'GET', '/', { Cookie: `lenscribe_token_${srv.port}=${TOKEN.slice(1)}` })).status).toBe(401);
    expect((await raw(srv.port, 'GET', '/?token=wrong')).status).toBe(401);
  });

  it('turns the URL token into an HttpOnly SameSite cookie and drops it from the URL', async () => {
    const res = await raw(srv.port, 'GET', `/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`lenscribe_token_${srv.port}=${TOKEN}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await raw(srv.port, 'GET', '/', { Cookie: `lenscribe_token_${srv.port}=${TOKEN}` });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await raw(srv.port, 'GET', '/', { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('refuses foreign Host headers (DNS rebinding) and cross-origin API calls', async () => {
    expect((await raw(srv.port, 'GET', '/', { ...auth(), Host: `evil.example:${srv.port}` })).status).toBe(421);
    const cross = await raw(
      srv.port,
      'POST',
      '/api/library.info',
      { ...auth(), 'Content-Type': 'application/json', Origin: 'http://evil.example' },
      '{}',
    );
    expect(cross.status).toBe(403);
    const form = await raw(srv.port, 'POST', '/api/library.info', { ...auth(), 'Content-Type': 'text/plain' }, '{}');
    expect(form.status).toBe(415);
    expect((await raw(srv.port, 'GET', '/api/library.info', auth())).status).toBe(405);
  });
});

describe('lenscribe serve: API', () => {
  const post = (method: string, body: string) =>
    raw(srv.port, 'POST', `/api/${method}`, { ...auth(), 'Content-Type': 'application/json' }, body);

  it('answers calls with results from the real library', async () => {
    const res = await post('photos.list', JSON.stringify({ folderId }));
    expect(res.status).toBe(200);
    const page = json(res.body).result;
    // The symlink leading out of the folder is not a photo of it: at most an error entry.
    const readable = page.items.filter((p: { status: string }) => p.status !== 'error');
    expect(readable.map((p: { relPath: string }) => p.relPath).sort()).toEqual(
      [...names, `sub dir/${readable.find((p: { relPath: string }) => p.relPath.startsWith('sub dir/')).name}`].sort(),
    );
  });

  it('gives JSON errors with codes for bad calls', async () => {
    let r = await post('no.such.call', '{}');
    expect(r.status).toBe(404);
    expect(json(r.body).error.code).toBe('unknown_method');
    r = await post('photos.get', '{"id": "1; DROP TABLE photos"}');
    expect(r.status).toBe(400);
    expect(json(r.body).error.issues[0].path).toBe('id');
    r = await post('%E0%A4%A', '{}');
    expect(r.status).toBe(400);
    expect(json(r.body).error.message).toMatch(/Malformed/);
    r = await post('photos.get', '{not json');
    expect(r.status).toBe(400);
    expect(json(r.body).error.message).toMatch(/JSON/);
    r = await post('photos.get', '{"id": 999999}');
    expect(r.status).toBe(404);
    expect(json(r.body).error.code).toBe('not_found');
    r = await post('folders.add', JSON.stringify({ path: join(dir, 'nope') }));
    expect(r.status).toBe(409);
    expect(json(r.body).error.message).toMatch(/not found/);
    r = await post('captions.set', JSON.stringify({ photoId: 1, text: 'x'.repeat(2 << 20) }));
    expect(r.status).toBe(413);
  });

  it('pushes events over SSE', async () => {
    const ac = new AbortController();
    const res = await fetch(`${srv.origin}/events`, { headers: auth(), signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    await reader.read(); // the "connected" comment
    await post('settings.set', JSON.stringify({ theme: 'dark' }));
    let text = '';
    while (!/event: settings\ndata: [^\n]*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    // Other events (folder counts from the scan) may come first: take the settings frame.
    const lines = text.split('\n');
    const data = lines[lines.indexOf('event: settings') + 1]!;
    const event = JSON.parse(data.slice(6)) as ApiEvent;
    expect(event).toMatchObject({ kind: 'settings', settings: { theme: 'dark' } });
    ac.abort();
  });

  it('works through the renderer clients (HTTP and the IPC bridge shape) with the same errors', async () => {
    const http = createHttpClient(srv.origin, TOKEN);
    const ipc = createIpcClient({
      call: (m, i) => replyTo(host, m, i) as never,
      onEvent: (l) => host.onEvent(l),
      pickFolder: async () => null,
      showInFolder: async () => false,
      pathForFile: () => null,
      onMenuAddFolder: () => () => {},
    });
    for (const client of [http, ipc]) {
      const folders = await client.call('folders.list');
      expect(folders.map((f) => f.id)).toEqual([folderId]);
      expect(folders[0].photoCount - folders[0].errorCount).toBe(4);
      const err = await client.call('photos.get', { id: -1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('invalid_input');
      expect(client.photoUrl({ folderId: 3, relPath: 'a b/c#d.jpg' })).toMatch(/\/media\/3\/a%20b\/c%23d\.jpg$/);
    }
  });
});

describe('lenscribe serve: media confinement', () => {
  it('serves photos inside the library folder, byte for byte', async () => {
    const res = await raw(srv.port, 'GET', `/media/${folderId}/${names[0]}`, auth());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.body.equals(readFileSync(join(photos, names[0])))).toBe(true);
  });

  it('refuses traversal, encoded traversal, symlink escapes and unknown folders', async () => {
    const cases: Array<[string, number[]]> = [
      [`/media/${folderId}/../../secret.txt`, [400]],
      [`/media/${folderId}/%2e%2e/%2e%2e/secret.txt`, [400]],
      [`/media/${folderId}/..%2f..%2fsecret.txt`, [400]],
      [`/media/${folderId}/%2E%2E%5Csecret.txt`, [400]],
      [`/media/${folderId}/escape.jpg`, [403]],
      // Not a photo the library indexes: refused before the disk is looked at.
      [`/media/${folderId}/uplink/secret.txt`, [404]],
      [`/media/${folderId}/%252e%252e/secret.txt`, [404]],
      [`/media/${folderId}/${names[0]}%00.txt`, [400]],
      [`/media/999/${names[0]}`, [404]],
      [`/media/../../etc/passwd`, [400]],
      [`/thumbs/..%2f..%2fsecret.txt`, [400]],
      [`/thumbs/../library.db`, [400]],
      [`/../../../../etc/passwd`, [400]],
      [`/%2e%2e/%2e%2e/etc/passwd`, [400]],
      [`/assets/..%2f..%2fpackage.json`, [400]],
    ];
    for (const [path, statuses] of cases) {
      const res = await raw(srv.port, 'GET', path, auth());
      expect(statuses, `${path} -> ${res.status}`).toContain(res.status);
      expect(res.body.toString()).not.toContain('SECRET');
      expect(res.headers['content-type']).toContain('application/json');
    }
  });
});
