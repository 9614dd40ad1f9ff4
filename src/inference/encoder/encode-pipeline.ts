/**
 * The encodeFiles pipeline: keeps several photo decodes in flight (sharp decodes on libuv's
 * threadpool) and feeds the CNN as soon as it is idle, with whatever photos are ready (up to
 * a batch), so decoding and inference overlap. Backpressure: decoded-but-unencoded photos
 * plus decodes in flight never exceed `decodeConcurrency`, so a slow CNN (InceptionV3)
 * does not let decoded photos pile up in memory.
 *
 * Each file ends as features or a specific error; the job always goes on.
 */
import type { EncoderOutput } from './card.js';
import { PhotoError, type PhotoErrorKind } from './errors.js';
import type { PreparedPhoto } from './preprocess.js';

export interface EncodeFilesOptions {
  /** Output names or roles (`final`, `imagenet`, `grid`); default: every pooled output. */
  outputs?: readonly string[];
  /** Override the encoder's thumbnail setting for this call. */
  thumbnail?: number | false;
  /** Also return each file's sha256 (computed from the bytes already read). */
  hash?: boolean;
  /** Called as each file finishes (completion order); `index` is its position in `paths`. */
  onItem?: (item: EncodedItem, index: number) => void;
  /** Keep results in the returned array (default true); false returns [] and only streams onItem. */
  collect?: boolean;
  /** Stops starting new files; the call then rejects with an AbortError after in-flight ones finish. */
  signal?: AbortSignal;
}

/** Per-call overrides of preparePhoto. */
export interface PreparePhotoOptions {
  thumbnail?: number | false;
  hash?: boolean;
}

/** Photo facts from the same decode (everything from PreparedPhoto except the input pixels). */
export type PhotoInfo = Omit<PreparedPhoto, 'input'>;

export type EncodedItem =
  | { path: string; ok: true; features: Record<string, Float32Array>; photo: PhotoInfo }
  | { path: string; ok: false; error: { kind: PhotoErrorKind | 'encoder'; message: string } };

export interface PipelineStages {
  inputSize: number;
  outputs: EncoderOutput[];
  /** Decodes one photo (must not block the calling thread for long). */
  prepare(path: string, opts: PreparePhotoOptions): Promise<PreparedPhoto>;
  /** Runs the CNN on N×S×S×3 pixels; the pipeline hands over `pixels` (it may be transferred). */
  encode(pixels: Uint8Array, n: number, outputs: string[]): Promise<Record<string, Float32Array>>;
  batchSize: number;
  decodeConcurrency: number;
  /** CNN batches queued at once (2 keeps a worker busy while the next batch is sent). */
  batchesInFlight: number;
}

export function runEncodePipeline(paths: readonly string[], opts: EncodeFilesOptions, st: PipelineStages): Promise<EncodedItem[]> {
  const collect = opts.collect ?? true;
  const results: EncodedItem[] = collect ? new Array(paths.length) : [];
  const per = st.inputSize * st.inputSize * 3;
  const names = st.outputs.map((o) => o.name);
  const sizes = st.outputs.map((o) => o.dims.reduce((a, b) => a * b, 1));

  return new Promise<EncodedItem[]>((resolve, reject) => {
    const ready: Array<{ index: number; photo: PreparedPhoto }> = [];
    let next = 0;
    let decoding = 0;
    let batches = 0;
    let finished = 0;
    let failed: Error | undefined;
    const aborted = () => opts.signal?.aborted === true;

    const emit = (item: EncodedItem, index: number) => {
      finished++;
      if (collect) results[index] = item;
      try {
        opts.onItem?.(item, index);
      } catch (e) {
        failed ??= e as Error;
      }
    };

    const settle = () => {
      if (decoding > 0 || batches > 0) return false;
      if (failed) reject(failed);
      else if (finished === paths.length) resolve(results);
      else if (aborted() && ready.length === 0) reject(abortError());
      else return false;
      return true;
    };

    const pump = () => {
      // Start decodes while there is room.
      while (!aborted() && !failed && next < paths.length && decoding + ready.length < st.decodeConcurrency) {
        const index = next++;
        decoding++;
        st.prepare(paths[index], { thumbnail: opts.thumbnail, hash: opts.hash }).then(
          (photo) => {
            decoding--;
            ready.push({ index, photo });
            pump();
          },
          (e) => {
            decoding--;
            emit({ path: paths[index], ok: false, error: errorOf(e) }, index);
            pump();
          },
        );
      }
      // Feed the CNN: a full batch, or whatever is ready when it would otherwise idle.
      const noMoreComing = decoding === 0 && (next >= paths.length || aborted());
      while (ready.length > 0 && batches < st.batchesInFlight && (ready.length >= st.batchSize || batches === 0 || noMoreComing)) {
        runBatch(ready.splice(0, st.batchSize));
      }
      settle();
    };

    const runBatch = (batch: Array<{ index: number; photo: PreparedPhoto }>) => {
      batches++;
      const pixels = new Uint8Array(batch.length * per);
      batch.forEach((b, i) => pixels.set(b.photo.input, i * per));
      st.encode(pixels, batch.length, names).then(
        (out) => {
          batch.forEach((b, i) => {
            const features = rowOf(out, names, sizes, i);
            const { input: _input, ...photo } = b.photo;
            emit({ path: paths[b.index], ok: true, features, photo }, b.index);
          });
          batches--;
          pump();
        },
        (e) => {
          for (const b of batch)
            emit({ path: paths[b.index], ok: false, error: { kind: 'encoder', message: (e as Error).message } }, b.index);
          batches--;
          pump();
        },
      );
    };

    if (paths.length === 0) resolve(results);
    else pump();
  });
}

/** Image i's slice of each batched output (`sizes[k]` values per image for output `names[k]`). */
function rowOf(out: Record<string, Float32Array>, names: string[], sizes: number[], i: number): Record<string, Float32Array> {
  const features: Record<string, Float32Array> = {};
  names.forEach((name, k) => {
    features[name] = out[name].slice(i * sizes[k], (i + 1) * sizes[k]);
  });
  return features;
}

function abortError(): Error {
  const e = new Error('encodeFiles aborted');
  e.name = 'AbortError';
  return e;
}

function errorOf(e: unknown): { kind: PhotoErrorKind | 'encoder'; message: string } {
  if (e instanceof PhotoError) return { kind: e.kind, message: e.message };
  return { kind: 'corrupt', message: (e as Error)?.message ?? String(e) };
}
