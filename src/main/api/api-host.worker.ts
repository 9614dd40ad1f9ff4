/**
 * The library and its API in a worker thread, so the process that owns windows or sockets
 * (Electron's main, `lenscribe serve`'s HTTP server) never waits on SQLite or a folder scan.
 * Messages: see remote-host.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConfinementError } from './confine.js';
import { replyTo } from './dispatch.js';
import type { ApiHostOptions } from './host.js';
import type { MediaReply } from './remote-host.js';
import { useSqliteBinding } from './sqlite-binding.js';

interface Data {
  options: ApiHostOptions;
  sqliteBinding?: string;
}

type Message =
  { type: 'call'; id: number; method: unknown; input: unknown } | { type: 'media'; id: number; tail: string } | { type: 'close' };

/** A media request answered here, where the library (its index) and the disk checks are. */
async function mediaReply(resolve: (tail: string) => Promise<string>, tail: string): Promise<MediaReply> {
  try {
    return { file: await resolve(tail) };
  } catch (err) {
    const status = err instanceof ConfinementError ? err.status : 500;
    return { refused: { status, message: (err as Error)?.message ?? String(err) } };
  }
}

const port = parentPort!;
const data = workerData as Data;

try {
  if (data.sqliteBinding) useSqliteBinding(data.sqliteBinding, import.meta.url);
  const { openApiHost } = await import('./host.js');
  const host = await openApiHost(data.options);
  host.onEvent((event) => port.postMessage({ type: 'event', event }));
  port.on('message', (msg: Message) => {
    if (msg.type === 'call') {
      void replyTo(host, msg.method, msg.input).then((reply) => port.postMessage({ type: 'reply', id: msg.id, reply }));
    } else if (msg.type === 'media') {
      void mediaReply((tail) => host.media(tail), msg.tail).then((reply) => port.postMessage({ type: 'media', id: msg.id, reply }));
    } else if (msg.type === 'close') {
      void host
        .close()
        .catch(() => {})
        .finally(() => {
          port.postMessage({ type: 'closed' });
          port.close();
        });
    }
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) });
}
