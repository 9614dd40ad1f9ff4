/**
 * An ApiHost whose library lives in a worker thread (api-host.worker.ts): calls, media requests
 * (resolved there, against the index and the disk) and shutdown go over postMessage, events come
 * back the same way. Used by Electron's main process and by `lenscribe serve` when run from the
 * build. From source (tsx, vitest) the library opens in-process instead: workers there cannot
 * load TypeScript reliably on Node 20.
 */
import type { Worker } from 'node:worker_threads';
import type { ApiEvent, ApiErrorBody } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import { ConfinementError } from './confine.js';
import { checkValueDepth } from './input-limits.js';
import { Emitter } from '../../shared/emitter.js';
import { startWorker } from '../../shared/worker.js';
import { WorkerRpc, waitForWorkerReady, type WorkerReply } from '../../shared/worker-rpc.js';
import type { ApiHost } from './dispatch.js';
import { openApiHost, type ApiHostOptions } from './host.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };
/** A media request's answer: the file, or why it is refused (a ConfinementError's status and message). */
export type MediaReply = { file: string } | { refused: { status: ConfinementError['status'] | 500; message: string } };
type ToWorker =
  { type: 'call'; id: number; method: unknown; input: unknown } | { type: 'media'; id: number; tail: string } | { type: 'close' };
type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: Reply }
  | { type: 'media'; id: number; reply: MediaReply }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' };

/** What a call (or a media request) answers once the worker is gone. */
const STOPPED_ERROR: ApiErrorBody = { code: 'unavailable', message: 'The library stopped.' };
const STOPPED: Reply = { ok: false, error: STOPPED_ERROR };

function replyOf(msg: FromWorker): WorkerReply | undefined {
  if (msg.type === 'reply') return { id: msg.id, value: msg.reply };
  if (msg.type === 'media') {
    if ('file' in msg.reply) return { id: msg.id, value: msg.reply.file };
    const { status, message } = msg.reply.refused;
    return { id: msg.id, error: status === 500 ? new Error(message) : new ConfinementError(message, status) };
  }
  return undefined;
}

export async function openApiHostInWorker(options: ApiHostOptions, extra: { sqliteBinding?: string } = {}): Promise<ApiHost> {
  if (import.meta.url.endsWith('.ts')) return openApiHost(options);
  const worker: Worker = startWorker(import.meta.url, './api-host.worker.ts', {
    workerData: { options, sqliteBinding: extra.sqliteBinding },
  });
  await waitForWorkerReady<FromWorker, true>(worker, {
    readReady: (msg) => (msg.type === 'ready' ? true : undefined),
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
      checkValueDepth(input); // before postMessage's structured clone recurses into it
      const reply = await rpc.request<Reply>((id) => ({ type: 'call', id, method, input })).catch(() => STOPPED);
      if (reply.ok) return reply.result;
      throw ApiError.fromBody(reply.error);
    },
    onEvent: (listener) => events.on('event', listener),
    media: (tail) =>
      rpc
        .request<string>((id) => ({ type: 'media', id, tail }))
        .catch((err: unknown) => {
          throw rpc.failed ? ApiError.fromBody(STOPPED_ERROR) : err;
        }),
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
