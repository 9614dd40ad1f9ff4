/**
 * The library and its API in a worker thread, so the process that owns windows or sockets
 * (Electron's main, `lenscribe serve`'s HTTP server) never waits on SQLite or a folder scan.
 * Messages: see remote-host.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { replyTo } from './dispatch.js';
import type { ApiHostOptions } from './host.js';
import { useSqliteBinding } from './sqlite-binding.js';

interface Data {
  options: ApiHostOptions;
  sqliteBinding?: string;
}

type Message =
  { type: 'call'; id: number; method: unknown; input: unknown } | { type: 'root'; id: number; folderId: number } | { type: 'close' };

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
    } else if (msg.type === 'root') {
      let root: string | null = null;
      try {
        root = host.folderRoot(msg.folderId) as string | null;
      } catch {
        root = null;
      }
      port.postMessage({ type: 'root', id: msg.id, root });
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
  port.postMessage({ type: 'ready', thumbsDir: host.thumbsDir() });
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error)?.message ?? String(err) });
}
