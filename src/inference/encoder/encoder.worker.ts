/**
 * Worker-thread host for the Encoder (started by encoder-client.ts through
 * src/shared/worker.ts), so decoding and the CNN never block the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Encoder, type OpenEncoderOptions } from './encoder.js';
import type { ClientMessage, WorkerMessage } from './encoder-protocol.js';

const port = parentPort!;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const opening = Encoder.open({ ...(workerData as OpenEncoderOptions), log: (line) => post({ type: 'log', line }) });
opening.then(
  (enc) =>
    post({
      type: 'ready',
      info: { id: enc.id, name: enc.name, sha256: enc.sha256, card: enc.card, inputSize: enc.inputSize, provider: enc.provider },
    }),
  (e) => post({ type: 'failed', message: (e as Error).message }),
);

port.on('message', async (m: ClientMessage) => {
  let enc: Encoder;
  try {
    enc = await opening;
  } catch {
    return;
  }
  try {
    if (m.op === 'encodeTensors') {
      const out = await enc.encodeTensors(m.pixels, m.n, m.outputs);
      post(
        { type: 'result', req: m.req, value: out },
        Object.values(out).map((a) => a.buffer as ArrayBuffer),
      );
    } else if (m.op === 'close') {
      await enc.close();
      post({ type: 'result', req: m.req, value: null });
      port.close();
    }
  } catch (e) {
    post({ type: 'error', req: m.req, name: (e as Error).name, message: (e as Error).message });
  }
});
