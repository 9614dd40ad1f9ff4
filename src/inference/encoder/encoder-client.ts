/**
 * The encoder behind a worker thread: same EncoderApi as Encoder, but the CNN runs in
 * encoder.worker.ts and decoding on libuv's threadpool, so the calling (main/UI) thread
 * never blocks: it only schedules decodes and receives results.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../shared/worker.js';
import type { EncoderCard } from './card.js';
import { DEFAULT_ENCODER_NAME, resolveOutputs } from './card.js';
import {
  DEFAULT_BATCH,
  DEFAULT_DECODES,
  type EncodedItem,
  type EncodeFilesOptions,
  type EncoderApi,
  type OpenEncoderOptions,
} from './encoder.js';
import { runEncodePipeline } from './encode-pipeline.js';
import { DEFAULT_MAX_PIXELS, DEFAULT_THUMBNAIL, preparePhoto } from './preprocess.js';
import type { ClientMessage, EncoderInfo, WorkerMessage } from './encoder-protocol.js';
import type { PreparedPhoto } from './preprocess.js';
import { intraOpThreads, pipelineThreads, type ProviderName } from './session.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class EncoderWorkerClient implements EncoderApi {
  readonly id: string;
  readonly name: string;
  readonly sha256: string;
  readonly card: EncoderCard;
  readonly inputSize: number;
  readonly provider: ProviderName;
  private nextReq = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    info: EncoderInfo,
    private readonly log: (line: string) => void,
    private readonly options: OpenEncoderOptions,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.sha256 = info.sha256;
    this.card = info.card;
    this.inputSize = info.inputSize;
    this.provider = info.provider;
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => this.failAll(new Error(`encoder worker exited (code ${code})`)));
  }

  static async open(opts: OpenEncoderOptions = {}): Promise<EncoderWorkerClient> {
    const { log, ...rest } = opts;
    const data: OpenEncoderOptions = { ...rest, threads: intraOpThreads(rest.threads, pipelineThreads(rest.name ?? DEFAULT_ENCODER_NAME)) };
    // dist/encoder.worker.js from the build, encoder.worker.ts from source.
    const worker = startWorker(import.meta.url, './encoder.worker.ts', { workerData: data });
    let onMessage: (m: WorkerMessage) => void = () => {};
    let onError: (e: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    const info = await new Promise<EncoderInfo>((resolve, reject) => {
      onMessage = (m: WorkerMessage) => {
        if (m.type === 'log') (log ?? ((l: string) => console.error(l)))(m.line);
        else if (m.type === 'ready') resolve(m.info);
        else if (m.type === 'failed') reject(new Error(m.message));
      };
      onError = reject;
      onExit = (code) => reject(new Error(`encoder worker exited during start (code ${code})`));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).catch(async (e) => {
      await worker.terminate();
      throw e;
    });
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    return new EncoderWorkerClient(worker, info, log ?? ((l: string) => console.error(l)), data);
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'log') this.log(m.line);
    else if (m.type === 'result') {
      this.pending.get(m.req)?.resolve(m.value);
      this.pending.delete(m.req);
    } else if (m.type === 'error') {
      const e = new Error(m.message);
      e.name = m.name;
      this.pending.get(m.req)?.reject(e);
      this.pending.delete(m.req);
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private request<T>(msg: ClientMessage & { req: number }, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('encoder is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(msg.req, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(msg, transfer);
    });
  }

  encodeTensors(pixels: Uint8Array, n: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
    // Copied, not transferred: the caller keeps its buffer.
    return this.request({ op: 'encodeTensors', req: this.nextReq++, pixels, n, outputs: outputs ? [...outputs] : undefined });
  }

  /** Decodes in this thread's libuv pool (sharp is asynchronous; nothing blocks here). */
  preparePhoto(path: string, opts: { thumbnail?: number | false; hash?: boolean } = {}): Promise<PreparedPhoto> {
    return preparePhoto(path, {
      size: this.inputSize,
      thumbnail: opts.thumbnail ?? this.options.thumbnail ?? DEFAULT_THUMBNAIL,
      maxPixels: this.options.maxPixels ?? DEFAULT_MAX_PIXELS,
      hash: opts.hash,
    });
  }

  /**
   * Decodes here (sharp works on libuv's threadpool; this thread only sees completions) and
   * runs the CNN in the worker, two batches queued, so a CNN run never holds up the decodes.
   */
  encodeFiles(paths: readonly string[], opts: EncodeFilesOptions = {}): Promise<EncodedItem[]> {
    return runEncodePipeline(paths, opts, {
      inputSize: this.inputSize,
      outputs: resolveOutputs(this.card, opts.outputs),
      prepare: (path, o) => this.preparePhoto(path, o),
      encode: (pixels, n, names) =>
        this.request({ op: 'encodeTensors', req: this.nextReq++, pixels, n, outputs: names }, [pixels.buffer as ArrayBuffer]),
      batchSize: Math.max(1, this.options.batchSize ?? DEFAULT_BATCH),
      decodeConcurrency: Math.max(1, this.options.decodeConcurrency ?? DEFAULT_DECODES),
      batchesInFlight: 2,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.request({ op: 'close', req: this.nextReq++ }).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }
}

/** Opens an encoder in a worker thread (what the app's main process should use). */
export function openEncoderWorker(opts: OpenEncoderOptions = {}): Promise<EncoderWorkerClient> {
  return EncoderWorkerClient.open(opts);
}
