/**
 * An ApiHost whose library lives in a worker thread (api-host.worker.ts): calls, media-root
 * lookups and shutdown go over postMessage, events come back the same way. Used by Electron's
 * main process and by `lenscribe serve` when run from the build. From source (tsx, vitest) the
 * library opens in-process instead: workers there cannot load TypeScript reliably on Node 20.
 */
import type { Worker } from 'node:worker_threads';
import type { ApiEvent, ApiErrorBody } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import { Emitter } from '../../shared/emitter.js';
import { startWorker } from '../../shared/worker.js';
import { WorkerRpc, waitForWorkerReady, type WorkerReply } from '../../shared/worker-rpc.js';
import type { ApiHost } from './dispatch.js';
import { openApiHost, type ApiHostOptions } from './host.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };
type ToWorker =
  { type: 'call'; id: number; method: unknown; input: unknown } | { type: 'root'; id: number; folderId: number } | { type: 'close' };
type FromWorker =
  | { type: 'ready'; thumbsDir: string }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: Reply }
  | { type: 'root'; id: number; root: string | null }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' };

/** What a call answers once the worker is gone. */
const STOPPED: Reply = { ok: false, error: { code: 'unavailable', message: 'The library stopped.' } };

function replyOf(msg: FromWorker): WorkerReply | undefined {
  if (msg.type === 'reply') return { id: msg.id, value: msg.reply };
  if (msg.type === 'root') return { id: msg.id, value: msg.root };
  return undefined;
}

export async function openApiHostInWorker(options: ApiHostOptions, extra: { sqliteBinding?: string } = {}): Promise<ApiHost> {
  if (import.meta.url.endsWith('.ts')) return openApiHost(options);
  const worker: Worker = startWorker(import.meta.url, './api-host.worker.ts', {
    workerData: { options, sqliteBinding: extra.sqliteBinding },
  });
  const thumbsDir = await waitForWorkerReady<FromWorker, string>(worker, {
    readReady: (msg) => (msg.type === 'ready' ? msg.thumbsDir : undefined),
    readFailure: (msg) => (msg.type === 'failed' ? msg.message : undefined),
    exitMessage: (code) => `library worker exited (${code}) before it was ready`,
  });

  const rpc = new WorkerRpc<ToWorker, FromWorker>(worker, { name: 'library worker', readReply: replyOf });
  const events = new Emitter<{ event: ApiEvent }>();
  let closed: (() => void) | null = null;
  worker.on('message', (msg: FromWorker) => {
    if (msg.type === 'event') events.emit('event', msg.event);
    else if (msg.type === 'closed') {
      closed?.();
    }
  });
  worker.on('exit', () => closed?.());
  const stopped = () => rpc.failed !== null;

  return {
    async dispatch(method, input) {
      const reply = await rpc.request<Reply>((id) => ({ type: 'call', id, method, input })).catch(() => STOPPED);
      if (reply.ok) return reply.result;
      throw ApiError.fromBody(reply.error);
    },
    onEvent: (listener) => events.on('event', listener),
    folderRoot: async (folderId) => rpc.request<string | null>((id) => ({ type: 'root', id, folderId })).catch(() => null),
    thumbsDir: () => thumbsDir,
    async close() {
      if (stopped()) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ type: 'close' } satisfies ToWorker);
      });
      await worker.terminate();
    },
  };
}
