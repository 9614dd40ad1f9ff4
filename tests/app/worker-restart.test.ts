/**
 * The library's worker thread dying under a running server (a real library on real photos, the
 * real worker, the real HTTP server): its death is logged with the reason, it is started again on
 * the same library, the call it cut short fails saying so, later calls answer with the same data,
 * and the event stream goes on. Past the restart budget `lenscribe serve` (the built CLI, a child
 * process) exits non-zero with the reason instead of answering 503 forever. The worker dies by
 * being terminated from outside its thread: as real a death as a crash, and one a test can time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiEvent } from '../../src/shared/api-contract.js';
import { openApiHostInWorker, type WorkerApiHost } from '../../src/main/api/remote-host.js';
import { startServer, type RunningServer } from '../../src/main/server/http-server.js';
import { copyPhotos, raw, rendererDir, requireBuiltRenderer } from './helpers.js';

const TOKEN = 'restart-token-0123456789abcdef';
let dir: string;
let photos: string;
let host: WorkerApiHost;
let srv: RunningServer;
const logged: string[] = [];
const logWaiters: Array<() => void> = [];

function log(line: string): void {
  logged.push(line);
  for (const wake of logWaiters.splice(0)) wake();
}

async function untilLogged(pattern: RegExp, count = 1, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (logged.filter((l) => pattern.test(l)).length < count) {
    if (Date.now() > deadline) throw new Error(`not logged in ${ms} ms: ${pattern}; log: ${JSON.stringify(logged)}`);
    await new Promise<void>((wake) => {
      logWaiters.push(wake);
      setTimeout(wake, 200);
    });
  }
}

async function call(port: number, token: string, method: string, input: unknown = {}) {
  const headers = { 'X-Lenscribe-Token': token, 'Content-Type': 'application/json' };
  const r = await raw(port, 'POST', `/api/${method}`, headers, JSON.stringify(input));
  return { status: r.status, ...JSON.parse(r.body.toString('utf8')) } as {
    status: number;
    ok: boolean;
    result: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    error?: { code: string; message: string };
  };
}

/** The server's SSE stream, once connected; its events parsed as they come. */
async function openEvents(port: number): Promise<{ events: ApiEvent[]; close: () => void }> {
  const events: ApiEvent[] = [];
  let buffer = '';
  let connected: () => void = () => {};
  const opened = new Promise<void>((resolve) => (connected = resolve));
  const req = request(
    { host: '127.0.0.1', port, path: '/events', headers: { Host: `127.0.0.1:${port}`, 'X-Lenscribe-Token': TOKEN } },
    (res) => {
      expect(res.statusCode).toBe(200);
      connected();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as ApiEvent);
        }
      });
    },
  );
  req.on('error', () => {});
  req.end();
  await opened;
  return { events, close: () => req.destroy() };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  requireBuiltRenderer();
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-worker-restart-'));
  photos = join(dir, 'photos');
  copyPhotos(photos, 3);
  host = await openApiHostInWorker(
    {
      libraryDir: join(dir, 'library'),
      capabilities: { pickFolder: false, dropFolders: false },
      watch: false,
      libraryOptions: { registerDefaultModel: false, importMetadata: false },
    },
    { forceWorker: true, log },
  );
  srv = await startServer({ host, rendererDir, token: TOKEN });
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a library worker that dies under the server', () => {
  it('is logged with the reason and restarted; the cut-short call fails, later calls see the same data, events go on', async () => {
    expect(host.worker).not.toBeNull();
    const added = await call(srv.port, TOKEN, 'folders.add', { path: photos });
    expect(added.ok, JSON.stringify(added)).toBe(true);
    const listed = (await call(srv.port, TOKEN, 'photos.list', { limit: 50 })).result;
    expect(listed.items).toHaveLength(3);
    const written = await call(srv.port, TOKEN, 'captions.set', { photoId: listed.items[0].id, text: 'a dog runs on the beach' });
    expect(written.ok).toBe(true);
    const before = (await call(srv.port, TOKEN, 'photos.list', { limit: 50 })).result;
    expect(before.items[0]).toMatchObject({ caption: 'a dog runs on the beach', captionSource: 'user' });
    const stream = await openEvents(srv.port);

    const first = host.worker!;
    // A call posted to the worker, then the worker's death before it can answer.
    const inFlight = host.dispatch('photos.list', { limit: 50 }).then(
      () => null,
      (err: unknown) => err,
    );
    await first.terminate();
    const cut = await inFlight;
    expect(cut).toBeInstanceOf(ApiError);
    expect((cut as ApiError).code).toBe('unavailable');
    expect((cut as ApiError).message).toMatch(
      /^The library's worker stopped during this call \(library worker exited \(code 1\)\); it is restarting: try again\.$/,
    );

    // Logged at once, with the exit code; a call made while it restarts waits for the new worker.
    await untilLogged(/died/);
    expect(logged[0]).toBe('lenscribe: the library worker died (exit code 1); restarting it (restart 1 of 3 allowed in 60 s)');
    const during = call(srv.port, TOKEN, 'photos.list', { limit: 50 });
    await untilLogged(/running again/);
    expect(host.worker).not.toBe(first);
    expect((await during).result).toEqual(before);

    const after = await call(srv.port, TOKEN, 'photos.list', { limit: 50 });
    expect(after.status).toBe(200);
    expect(after.result).toEqual(before);
    const detail = await call(srv.port, TOKEN, 'photos.get', { id: before.items[0].id });
    expect(detail.result.caption).toBe('a dog runs on the beach');

    // The stream opened before the death carries the restart notice and the new worker's events.
    await until('the restart notice', () =>
      stream.events.find((e) => e.kind === 'notice' && /stopped unexpectedly \(exit code 1\) and was restarted/.test(e.message)),
    );
    const set = await call(srv.port, TOKEN, 'settings.set', { beamWidth: 4 });
    expect(set.ok, JSON.stringify(set)).toBe(true);
    await until('a settings event from the new worker', () =>
      stream.events.find((e) => e.kind === 'settings' && e.settings.beamWidth === 4),
    );
    // Media is answered by the new worker too.
    const thumb = await raw(srv.port, 'GET', `/media/${before.items[0].folderId}/${encodeURIComponent(before.items[0].relPath)}`, {
      'X-Lenscribe-Token': TOKEN,
    });
    expect(thumb.status).toBe(200);
    stream.close();
  }, 60_000);
});

describe('lenscribe serve past the restart budget', () => {
  let serve: ChildProcess;
  let stderr = '';

  afterAll(async () => {
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
  });

  it('restarts the worker three times, then exits non-zero with the reason', async () => {
    const lib = join(dir, 'serve-library');
    serve = spawn(process.execPath, ['bin/lenscribe.js', 'serve', '--library', lib, '--json', '--no-watch'], {
      env: { ...process.env, LENSCRIBE_KILL_WORKER_ON_SIGUSR2: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stderr!.setEncoding('utf8');
    serve.stderr!.on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout! }).once('line', resolve);
      void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    });
    const { port, url } = JSON.parse(first) as { url: string; port: number };
    const token = new URL(url).searchParams.get('token')!;
    const info = (await call(port, token, 'library.info')).result;

    const restarted = (n: number) => until(`restart ${n}`, () => (stderr.match(/running again/g)?.length === n ? true : undefined), 60_000);
    for (let n = 1; n <= 3; n++) {
      serve.kill('SIGUSR2');
      await restarted(n);
      const again = await call(port, token, 'library.info');
      expect(again.status).toBe(200);
      expect(again.result).toEqual(info);
    }
    expect(stderr).toContain('lenscribe: the library worker died (exit code 1); restarting it (restart 3 of 3 allowed in 60 s)\n');

    serve.kill('SIGUSR2');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    expect(code, stderr).toBe(1);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      'lenscribe: serve stopped: the library worker died (exit code 1) after 3 restarts within 60 s',
    );
  }, 120_000);
});
