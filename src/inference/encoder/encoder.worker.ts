/**
 * Worker-thread host for the Encoder (started by encoder-client.ts through
 * src/shared/worker.ts), so decoding and the CNN never block the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Encoder, type OpenEncoderOptions } from './encoder.js';
import type { ClientMessage, WorkerMessage } from './encoder-protocol.js';

const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const cancels = new Map<number, AbortController>();

const opening = Encoder.open({ ...(workerData as OpenEncoderOptions), log: (line) => post({ type: 'log', line }) });
opening.then(
  (enc) => post({ type: 'ready', info: { id: enc.id, name: enc.name, sha256: enc.sha256, card: enc.card, inputSize: enc.inputSize, provider: enc.provider } }),
  (e) => post({ type: 'failed', message: (e as Error).message }),
);

port.on('message', async (m: ClientMessage) => {
  if (m.op === 'cancel') {
    cancels.get(m.target)?.abort();
    return;
  }
  let enc: Encoder;
  try {
    enc = await opening;
  } catch {
    return;
  }
  try {
    if (m.op === 'encodeTensors') {
      const out = await enc.encodeTensors(m.pixels, m.n, m.outputs);
      post({ type: 'result', req: m.req, value: out }, Object.values(out).map((a) => a.buffer as ArrayBuffer));
    } else if (m.op === 'preparePhoto') {
      const photo = await enc.preparePhoto(m.path, m.opts);
      post({ type: 'result', req: m.req, value: photo });
    } else if (m.op === 'encodeFiles') {
      const ac = new AbortController();
      cancels.set(m.req, ac);
      try {
        await enc.encodeFiles(m.paths, {
          ...m.opts,
          collect: false,
          signal: ac.signal,
          onItem: (item, index) => {
            const transfer = item.ok ? Object.values(item.features).map((a) => a.buffer as ArrayBuffer) : [];
            post({ type: 'item', req: m.req, index, item }, transfer);
          },
        });
        post({ type: 'result', req: m.req, value: null });
      } finally {
        cancels.delete(m.req);
      }
    } else if (m.op === 'close') {
      await enc.close();
      post({ type: 'result', req: m.req, value: null });
      port.close();
    }
  } catch (e) {
    post({ type: 'error', req: m.req, name: (e as Error).name, message: (e as Error).message });
  }
});
