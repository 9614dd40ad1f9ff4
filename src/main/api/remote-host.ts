/**
 * An ApiHost whose library lives in a worker thread (api-host.worker.ts): calls, media-root
 * lookups and shutdown go over postMessage, events come back the same way. Used by Electron's
 * main process and by `lenscribe serve` when run from the build. From source (tsx, vitest) the
 * library opens in-process instead: workers there cannot load TypeScript reliably on Node 20.
 */
import { Worker } from 'node:worker_threads';
import type { ApiEvent, ApiErrorBody } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import { startWorker } from '../../shared/worker.js';
import type { ApiHost } from './dispatch.js';
import { openApiHost, type ApiHostOptions } from './host.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };
type FromWorker =
  | { type: 'ready'; thumbsDir: string }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: Reply }
  | { type: 'root'; id: number; root: string | null }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' };

export async function openApiHostInWorker(options: ApiHostOptions, extra: { sqliteBinding?: string } = {}): Promise<ApiHost> {
  if (import.meta.url.endsWith('.ts')) return openApiHost(options);
  const worker: Worker = startWorker(import.meta.url, './api-host.worker.ts', {
    workerData: { options, sqliteBinding: extra.sqliteBinding },
  });
  const pending = new Map<number, (value: unknown) => void>();
  const listeners = new Set<(e: ApiEvent) => void>();
  let nextId = 1;
  let exited = false;
  let closed: (() => void) | null = null;

  const thumbsDir = await new Promise<string>((resolve, reject) => {
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'ready') resolve(msg.thumbsDir);
      else if (msg.type === 'failed') reject(new Error(msg.message));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`library worker exited (${code}) before it was ready`)));
  });

  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'reply' || msg.type === 'root') {
      const done = pending.get(msg.id);
      pending.delete(msg.id);
      done?.(msg.type === 'reply' ? msg.reply : msg.root);
    } else if (msg.type === 'event') {
      for (const l of listeners) {
        try {
          l(msg.event);
        } catch {
          // one broken subscriber must not stop the others
        }
      }
    } else if (msg.type === 'closed') {
      closed?.();
    }
  });
  worker.on('exit', () => {
    exited = true;
    for (const done of pending.values()) done({ ok: false, error: { code: 'unavailable', message: 'The library stopped.' } });
    pending.clear();
    closed?.();
  });

  const ask = (msg: Record<string, unknown>): Promise<unknown> => {
    if (exited) return Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'The library stopped.' } });
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      worker.postMessage({ ...msg, id });
    });
  };

  return {
    async dispatch(method, input) {
      const reply = (await ask({ type: 'call', method, input })) as Reply;
      if (reply.ok) return reply.result;
      throw ApiError.fromBody(reply.error);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    folderRoot: async (folderId) => (exited ? null : ((await ask({ type: 'root', folderId })) as string | null)),
    thumbsDir: () => thumbsDir,
    async close() {
      if (exited) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ type: 'close' });
      });
      await worker.terminate();
    },
  };
}
