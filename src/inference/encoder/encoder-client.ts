/**
 * The encoder behind a worker thread: same EncoderApi as Encoder, but the CNN runs in
 * encoder.worker.ts and decoding on libuv's threadpool, so the calling (main/UI) thread
 * never blocks: it only schedules decodes and receives results.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../shared/worker.js';
import { WorkerRpc, waitForWorkerReady } from '../../shared/worker-rpc.js';
import type { EncoderCard } from './card.js';
import { DEFAULT_ENCODER_NAME } from './card.js';
import { encodeFilesWith, prepareEncoderPhoto, type EncoderApi, type OpenEncoderOptions } from './encoder.js';
import type { EncodedItem, EncodeFilesOptions, PreparePhotoOptions } from './encode-pipeline.js';
import type { ClientMessage, EncoderInfo, WorkerMessage } from './encoder-protocol.js';
import type { PreparedPhoto } from './preprocess.js';
import { intraOpThreads, pipelineThreads, type ProviderName } from './session.js';

export class EncoderWorkerClient implements EncoderApi {
  readonly id: string;
  readonly name: string;
  readonly sha256: string;
  readonly card: EncoderCard;
  readonly inputSize: number;
  readonly provider: ProviderName;
  private readonly rpc: WorkerRpc<ClientMessage, WorkerMessage>;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    info: EncoderInfo,
    log: (line: string) => void,
    private readonly options: OpenEncoderOptions,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.sha256 = info.sha256;
    this.card = info.card;
    this.inputSize = info.inputSize;
    this.provider = info.provider;
    this.rpc = new WorkerRpc(worker, { name: 'encoder worker', readReply: readEncoderReply });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'log') log(m.line);
    });
  }

  static async open(opts: OpenEncoderOptions = {}): Promise<EncoderWorkerClient> {
    const { log: logOption, ...rest } = opts;
    const log = logOption ?? ((l: string) => console.error(l));
    const data: OpenEncoderOptions = { ...rest, threads: intraOpThreads(rest.threads, pipelineThreads(rest.name ?? DEFAULT_ENCODER_NAME)) };
    // dist/encoder.worker.js from the build, encoder.worker.ts from source.
    const worker = startWorker(import.meta.url, './encoder.worker.ts', { workerData: data });
    const info = await waitForWorkerReady(worker, {
      readReady: (m: WorkerMessage) => (m.type === 'ready' ? m.info : undefined),
      readFailure: (m) => (m.type === 'failed' ? m.message : undefined),
      onOther: (m) => {
        if (m.type === 'log') log(m.line);
      },
      exitMessage: (code) => `encoder worker exited during start (code ${code})`,
    });
    return new EncoderWorkerClient(worker, info, log, data);
  }

  private request<T>(build: (req: number) => ClientMessage, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('encoder is closed'));
    return this.rpc.request<T>(build, transfer);
  }

  encodeTensors(pixels: Uint8Array, n: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
    // Copied, not transferred: the caller keeps its buffer.
    return this.request((req) => ({ op: 'encodeTensors', req, pixels, n, outputs: outputs ? [...outputs] : undefined }));
  }

  /** Decodes in this thread's libuv pool (sharp is asynchronous; nothing blocks here). */
  preparePhoto(path: string, opts: PreparePhotoOptions = {}): Promise<PreparedPhoto> {
    return prepareEncoderPhoto(this.inputSize, this.options, path, opts);
  }

  /**
   * Decodes here (sharp works on libuv's threadpool; this thread only sees completions) and
   * runs the CNN in the worker, two batches queued, so a CNN run never holds up the decodes.
   */
  encodeFiles(paths: readonly string[], opts: EncodeFilesOptions = {}): Promise<EncodedItem[]> {
    return encodeFilesWith(this, this.options, paths, opts, {
      encode: (pixels, n, names) =>
        this.request((req) => ({ op: 'encodeTensors', req, pixels, n, outputs: names }), [pixels.buffer as ArrayBuffer]),
      batchesInFlight: 2,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.request((req) => ({ op: 'close', req })).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }
}

/** The worker's answer to request `req`: a value, or the error it threw (with its name). */
function readEncoderReply(m: WorkerMessage) {
  if (m.type === 'result') return { id: m.req, value: m.value };
  if (m.type !== 'error') return undefined;
  const error = new Error(m.message);
  error.name = m.name;
  return { id: m.req, error };
}

/** Opens an encoder in a worker thread (what the app's main process should use). */
export function openEncoderWorker(opts: OpenEncoderOptions = {}): Promise<EncoderWorkerClient> {
  return EncoderWorkerClient.open(opts);
}
