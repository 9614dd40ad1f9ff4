/**
 * The image encoder: an ONNX CNN session plus the photo pipeline that feeds it.
 *
 * encodeFiles keeps several photo decodes in flight (sharp decodes on libuv's threadpool)
 * while the CNN runs a batch, so decoding and inference overlap; every file ends as either
 * features or a PhotoError kind, and the job always goes on.
 *
 * This class runs in the calling thread; the app runs it off the main thread, in the caption
 * pipeline's worker (src/inference/caption-pipeline.worker.ts) or behind openEncoderWorker
 * (encoder-client.ts, the same EncoderApi from a worker thread).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnxRuntime, type InferenceSession } from '../../model/onnx-runtime.js';
import { modelsDir as defaultModelsDir } from '../../shared/paths.js';
import { DEFAULT_ENCODER_NAME, ENCODER_NAMES, encoderDir, encoderId, loadCard, resolveOutputs, type EncoderCard } from './card.js';
import {
  runEncodePipeline,
  type EncodedItem,
  type EncodeFilesOptions,
  type PipelineStages,
  type PreparePhotoOptions,
} from './encode-pipeline.js';
import { computeDerived, type DerivedOutput } from './derived-outputs.js';
import { DEFAULT_MAX_PIXELS, DEFAULT_THUMBNAIL, preparePhoto, type PreparedPhoto } from './preprocess.js';
import { OBJECT_COUNTS_OUTPUT, withObjectCounts } from './object-counts.js';
import { openSession, type ProviderName, type SessionOptions } from './session.js';

/** Images per CNN run at most. */
export const DEFAULT_BATCH = 8;
/** Photos decoding or waiting for the CNN at once. */
export const DEFAULT_DECODES = 16;

export interface OpenEncoderOptions extends SessionOptions {
  /** Encoder name under models/encoders/ (default `mobilenet_v2`; also `mobilenet_v2_int8`, `inception_v3`). */
  name?: string;
  modelsDir?: string;
  /** Images per CNN run in encodeFiles at most (default 8; smaller batches run when the CNN would idle). */
  batchSize?: number;
  /** Photos decoding or decoded-and-waiting at once (default 16). */
  decodeConcurrency?: number;
  /** Decoded-pixel limit per photo (default 120 MP). */
  maxPixels?: number;
  /** Thumbnail longest side for encodeFiles/preparePhoto, or false (default 320). */
  thumbnail?: number | false;
  /**
   * For a detector (an `objects` output): also count its detections scoring at least this, per
   * class (output OBJECT_COUNTS_OUTPUT, object-counts.ts). Undefined: no counts.
   */
  objectCounts?: number;
}

/** What both the in-thread Encoder and the worker client offer. */
export interface EncoderApi {
  /** `name@sha256[0:16]` — use it in feature cache keys. */
  readonly id: string;
  readonly name: string;
  readonly sha256: string;
  readonly card: EncoderCard;
  /** Input side in pixels (224 or 299). */
  readonly inputSize: number;
  readonly provider: ProviderName;
  /**
   * Runs the CNN on N images already at the input size: `pixels` is N×S×S×3 RGB uint8 (NHWC).
   * Returns each requested output flat, N×dims (row-major).
   */
  encodeTensors(pixels: Uint8Array, n: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>>;
  /** Decodes one photo for this encoder (input pixels, thumbnail, size, orientation). */
  preparePhoto(path: string, opts?: PreparePhotoOptions): Promise<PreparedPhoto>;
  /** Decodes and encodes files; one result per path, in the order given. */
  encodeFiles(paths: readonly string[], opts?: EncodeFilesOptions): Promise<EncodedItem[]>;
  close(): Promise<void>;
}

export class Encoder implements EncoderApi {
  readonly id: string;
  readonly name: string;
  readonly sha256: string;
  readonly inputSize: number;

  private constructor(
    readonly card: EncoderCard,
    private readonly session: InferenceSession,
    readonly provider: ProviderName,
    private readonly opts: OpenEncoderOptions,
    /** OBJECT_COUNTS_OUTPUT when the session counts detections (OpenEncoderOptions.objectCounts), else null. */
    readonly countsOutput: string | null = null,
  ) {
    this.id = encoderId(card);
    this.name = card.name;
    this.sha256 = card.sha256;
    this.inputSize = card.input.size;
  }

  static async open(opts: OpenEncoderOptions = {}): Promise<Encoder> {
    const name = opts.name ?? DEFAULT_ENCODER_NAME;
    const dir = encoderDir(name, opts.modelsDir ?? defaultModelsDir);
    if (!existsSync(join(dir, 'card.json'))) throw new Error(`no encoder "${name}" in ${dir} (known: ${ENCODER_NAMES.join(', ')})`);
    const card = loadCard(name, opts.modelsDir ?? defaultModelsDir);
    const file = join(dir, card.file);
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`npm run build\` (scripts/build-encoders.mjs) to generate it`);
    const objects = opts.objectCounts !== undefined ? card.outputs.find((o) => o.role === 'objects') : undefined;
    const counting = objects ? withObjectCounts(readFileSync(file), objects.name, opts.objectCounts!) : null;
    const { session, provider } = await openSession(counting ?? file, opts);
    return new Encoder(card, session, provider, opts, counting ? OBJECT_COUNTS_OUTPUT : null);
  }

  async encodeTensors(pixels: Uint8Array, n: number, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
    const s = this.inputSize;
    if (pixels.length !== n * s * s * 3) throw new RangeError(`encodeTensors: ${pixels.length} bytes is not ${n}×${s}×${s}×3`);
    const counts = this.countsOutput !== null && outputs?.includes(this.countsOutput) ? [this.countsOutput] : [];
    const named = outputs?.filter((o) => !counts.includes(o));
    // Only the counts asked for: no card output (an empty list would mean every pooled one).
    const resolved = counts.length && named?.length === 0 ? [] : resolveOutputs(this.card, named);
    const wanted = resolved.map((o) => o.name);
    // Derived outputs (concepts: derived-outputs.ts) are computed here from graph outputs of the same run.
    const derived = resolved.filter((o): o is DerivedOutput => o.derived !== undefined);
    const graphNames = [...new Set([...resolved.filter((o) => !o.derived).map((o) => o.name), ...derived.flatMap((o) => o.derived.from)])];
    const { Tensor } = onnxRuntime();
    const feeds = { [this.card.input.name]: new Tensor('uint8', pixels, [n, s, s, 3]) };
    const result = await this.session.run(feeds, [...graphNames, ...counts]);
    const graph: Record<string, Float32Array> = {};
    for (const name of [...graphNames, ...counts]) graph[name] = result[name].data as Float32Array;
    for (const t of Object.values(result)) t.dispose?.();
    const all = { ...graph, ...computeDerived(derived, graph, n) };
    return Object.fromEntries([...wanted, ...counts].map((name) => [name, all[name]]));
  }

  preparePhoto(path: string, opts: PreparePhotoOptions = {}): Promise<PreparedPhoto> {
    return prepareEncoderPhoto(this.inputSize, this.opts, path, opts);
  }

  encodeFiles(paths: readonly string[], opts: EncodeFilesOptions = {}): Promise<EncodedItem[]> {
    return encodeFilesWith(this, this.opts, paths, opts, {
      encode: (pixels, n, names) => this.encodeTensors(pixels, n, names),
      // In this thread a CNN run blocks the event loop, so queueing a second batch gains nothing.
      batchesInFlight: 1,
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** Decodes one photo at an encoder's input size, under the limits it was opened with. */
export function prepareEncoderPhoto(
  inputSize: number,
  encoderOptions: OpenEncoderOptions,
  path: string,
  opts: PreparePhotoOptions,
): Promise<PreparedPhoto> {
  return preparePhoto(path, {
    size: inputSize,
    thumbnail: opts.thumbnail ?? encoderOptions.thumbnail ?? DEFAULT_THUMBNAIL,
    maxPixels: encoderOptions.maxPixels ?? DEFAULT_MAX_PIXELS,
    hash: opts.hash,
  });
}

/** encodeFiles for either EncoderApi: the decode/encode pipeline, sized by the options the encoder was opened with. */
export function encodeFilesWith(
  encoder: Pick<EncoderApi, 'inputSize' | 'card' | 'preparePhoto'>,
  encoderOptions: OpenEncoderOptions,
  paths: readonly string[],
  opts: EncodeFilesOptions,
  cnn: Pick<PipelineStages, 'encode' | 'batchesInFlight'>,
): Promise<EncodedItem[]> {
  return runEncodePipeline(paths, opts, {
    inputSize: encoder.inputSize,
    outputs: resolveOutputs(encoder.card, opts.outputs),
    prepare: (path, o) => encoder.preparePhoto(path, o),
    ...cnn,
    batchSize: Math.max(1, encoderOptions.batchSize ?? DEFAULT_BATCH),
    decodeConcurrency: Math.max(1, encoderOptions.decodeConcurrency ?? DEFAULT_DECODES),
  });
}

/** Opens an encoder in the calling thread. */
export function openEncoder(opts: OpenEncoderOptions = {}): Promise<Encoder> {
  return Encoder.open(opts);
}
