/**
 * The caption pipeline's worker thread: loads one model directory (decoder + its encoder),
 * then answers batches: decode each photo once (encoder input + grid thumbnail), run the CNN
 * on the photos without cached features, concatenate the model's feature outputs (averaged
 * with the mirror image when the model says so), and beam-search the captions.
 */
import { dirname, basename, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { openEncoder, resolveOutputs, type Encoder } from './encoder/index.js';
import { intraOpThreads, pipelineThreads } from './encoder/session.js';
import { PhotoError } from './encoder/errors.js';
import { writeThumbnailFile } from './thumbnail-file.js';
import { DETECTION_MIN_SCORE } from './encoder/object-counts.js';
import { mirrorPixels, type PreparedPhoto } from './encoder/preprocess.js';
import { captionFeatures } from '../model/decode.js';
import type { GuidanceSettings } from '../model/concepts/concept-guidance.js';
import { loadModel } from '../model/model-dir.js';
import {
  modelFeatureKey,
  type CaptionOutcome,
  type CaptionRequest,
  type PipelineReady,
  type PipelineRequest,
  type PipelineResponse,
} from './caption-pipeline.js';

const port = parentPort!;
const { modelDir, threads } = workerData as { modelDir: string; threads?: number };

interface Loaded {
  encoder: Encoder;
  decoder: ReturnType<typeof loadModel>['decoder'];
  /** The features table's key for the stored vectors (modelFeatureKey). */
  featureKey: string;
  outputs: Array<{ name: string; size: number }>;
  dim: number;
  /** The model's concept output (features.conceptOutput), stored after the features; null: none. */
  concepts: { name: string; size: number } | null;
  /** What the CNN computes per photo, and what the library stores: the feature outputs, then the concepts. */
  stored: Array<{ name: string; size: number }>;
  /** Values per stored row: dim + the concepts' width. */
  width: number;
  flip: boolean;
  beam: number;
  noRepeatNgram: number;
  /** Guided decoding from the concept scores (model.json decoding.guidance), or null. */
  guidance: GuidanceSettings | null;
  maxLength: number;
}

async function load(): Promise<Loaded> {
  const model = loadModel(modelDir);
  const { manifest } = model;
  // Captions are made again from stored features, and the library stores no spatial grids.
  if (model.decoder.config.attention)
    throw new Error(
      `${modelDir}: this decoder attends over spatial grids, which the library does not keep; the app cannot caption with it (use lenscribe eval)`,
    );
  // Bundled encoders live in <modelsDir>/encoders/<name>/<file>: open that one by name.
  const encDir = dirname(model.encoderPath);
  if (basename(dirname(encDir)) !== 'encoders' || basename(encDir) !== manifest.encoder.name) {
    throw new Error(`the caption pipeline runs encoders from a models/encoders/<name>/ folder; ${model.encoderPath} is not one`);
  }
  const encoder = await openEncoder({
    name: manifest.encoder.name,
    modelsDir: resolve(encDir, '..', '..'),
    threads: intraOpThreads(threads || undefined, pipelineThreads(manifest.encoder.name)),
    objectCounts: DETECTION_MIN_SCORE,
  });
  if (encoder.sha256 !== manifest.encoder.sha256) {
    throw new Error(`encoder ${manifest.encoder.name} has sha256 ${encoder.sha256}, the model was trained with ${manifest.encoder.sha256}`);
  }
  const outputs = manifest.features.outputs.map((o) => ({ name: o.name, size: o.dims.reduce((a, b) => a * b, 1) }));
  const dim = outputs.reduce((a, o) => a + o.size, 0);
  if (dim !== model.decoder.config.featureDim)
    throw new Error(`model.json features are ${dim} wide but the decoder reads ${model.decoder.config.featureDim}`);
  const concepts = conceptOutputOf(encoder, manifest.features.conceptOutput, model.decoder.config.conceptDim ?? 0);
  const stored = concepts ? [...outputs, concepts] : outputs;
  return {
    encoder,
    decoder: model.decoder,
    featureKey: modelFeatureKey(manifest, encoder.card),
    outputs,
    dim,
    concepts,
    stored,
    width: dim + (concepts?.size ?? 0),
    flip: manifest.features.flipAverage === true,
    beam: manifest.decoding?.beam ?? 3,
    noRepeatNgram: manifest.decoding?.noRepeatNgram ?? 0,
    guidance: concepts ? (manifest.decoding?.guidance ?? null) : null,
    maxLength: manifest.decoder.maxLength ?? 20,
  };
}

/**
 * The encoder output a model reads concept scores from (its encoder's derived `concepts`), checked
 * against the decoder's K; null for a model without one. A K > 0 decoder without one cannot caption
 * here: the app takes concepts only from the model's own encoder.
 */
function conceptOutputOf(encoder: Encoder, name: string | undefined, K: number): Loaded['concepts'] {
  if (name === undefined) {
    if (K > 0)
      throw new Error(
        `the decoder reads ${K} concept scores, but model.json names no encoder output for them (features.conceptOutput); train it with an encoder that has a concepts output (centernet_resnet50)`,
      );
    return null;
  }
  const [o] = resolveOutputs(encoder.card, [name]);
  const size = o.dims.reduce((a, b) => a * b, 1);
  if (K > 0 && size !== K) throw new Error(`the decoder reads ${K} concept scores but encoder output ${name} has ${size}`);
  return { name: o.name, size };
}

/** The CNN over the decoded photos `todo` (and their mirror images if wanted): their features (and detection counts) in place. */
async function encodeDecoded(
  m: Loaded,
  prepared: ReadonlyArray<PreparedPhoto | null>,
  todo: number[],
  features: Float32Array,
  counts: Array<number[] | undefined>,
): Promise<void> {
  const S = m.encoder.inputSize;
  const per = S * S * 3;
  const copies = m.flip ? 2 : 1;
  const pixels = new Uint8Array(todo.length * copies * per);
  todo.forEach((i, k) => {
    pixels.set(prepared[i]!.input, k * per);
    if (m.flip) pixels.set(mirrorPixels(prepared[i]!.input, S), (todo.length + k) * per);
  });
  const countsOutput = m.encoder.countsOutput;
  const out = await m.encoder.encodeTensors(pixels, todo.length * copies, [
    ...m.stored.map((o) => o.name),
    ...(countsOutput ? [countsOutput] : []),
  ]);
  // Counts of the photo as it is (not of its mirror image, which holds the same objects).
  const perPhoto = countsOutput ? out[countsOutput].length / (todo.length * copies) : 0;
  if (countsOutput) todo.forEach((i, k) => (counts[i] = Array.from(out[countsOutput].subarray(k * perPhoto, (k + 1) * perPhoto))));
  todo.forEach((i, k) => {
    let off = i * m.width;
    for (const o of m.stored) {
      const data = out[o.name];
      for (let j = 0; j < o.size; j++) {
        const a = data[k * o.size + j];
        features[off + j] = m.flip ? (a + data[(todo.length + k) * o.size + j]) / 2 : a;
      }
      off += o.size;
    }
  });
}

async function captionBatch(m: Loaded, items: CaptionRequest[], beam: number): Promise<CaptionOutcome[]> {
  const results: Array<CaptionOutcome | null> = items.map(() => null);
  // Rows of m.width: the features, then the concept scores (when the model has a concept output).
  const features = new Float32Array(items.length * m.width);
  const fresh: boolean[] = items.map(() => false);
  const counts: Array<number[] | undefined> = items.map(() => undefined);
  const thumbWritten: boolean[] = items.map(() => false);
  // 1. Decode every photo that needs its pixels (no cached feature, or a thumbnail to make).
  const prepared: Array<PreparedPhoto | null> = await Promise.all(
    items.map(async (it, i) => {
      const needFeature = !(it.feature && it.feature.length === m.width);
      if (!needFeature && !it.thumbPath) return null;
      try {
        const p = await m.encoder.preparePhoto(it.path, { thumbnail: it.thumbPath ? undefined : false });
        if (it.thumbPath && p.thumbnail) thumbWritten[i] = writeThumbnailFile(it.thumbPath, p.thumbnail);
        return needFeature ? p : null;
      } catch (e) {
        const err = e as PhotoError;
        const message = err instanceof PhotoError ? err.message.replace(`${it.path}: `, '') : String((e as Error)?.message ?? e);
        results[i] = { id: it.id, ok: false, kind: err instanceof PhotoError ? err.kind : 'corrupt', message };
        return null;
      }
    }),
  );
  items.forEach((it, i) => {
    if (!results[i] && it.feature && it.feature.length === m.width) features.set(it.feature, i * m.width);
  });
  // 2. One CNN run over the photos that were decoded (and their mirror images if wanted).
  const todo = prepared.map((p, i) => (p ? i : -1)).filter((i) => i >= 0);
  if (todo.length) await encodeDecoded(m, prepared, todo, features, counts);
  for (const i of todo) fresh[i] = true;
  // 3. Beam search for every photo that has a feature.
  const rows = items.map((_, i) => i).filter((i) => !results[i]);
  if (rows.length) {
    const batch = new Float32Array(rows.length * m.dim);
    rows.forEach((i, r) => batch.set(features.subarray(i * m.width, i * m.width + m.dim), r * m.dim));
    const caps = captionFeatures(m.decoder.model, m.decoder.vocab, batch, rows.length, {
      beamWidth: beam,
      maxLength: m.maxLength,
      noRepeatNgram: m.noRepeatNgram,
      ...((m.decoder.model.conceptDim ?? 0) > 0 ? { concepts: conceptRows(m, features, rows) } : {}),
      ...(m.guidance ? { guideBy: m.guidance } : {}),
    });
    rows.forEach((i, r) => {
      const c = caps[r];
      const it = items[i];
      if (c.error) results[i] = { id: it.id, ok: false, kind: 'decoder', message: c.error };
      else
        results[i] = {
          id: it.id,
          ok: true,
          caption: c.text,
          score: c.score,
          alternatives: c.alternatives,
          feature: fresh[i] ? features.slice(i * m.width, (i + 1) * m.width) : undefined,
          ...(fresh[i] && counts[i] ? { objectCounts: counts[i] } : {}),
          thumbWritten: thumbWritten[i],
        };
    });
  }
  return results.map((r, i) => r ?? { id: items[i].id, ok: false, kind: 'internal', message: 'no result' });
}

/** The concept scores of `rows` (each row's values after its features). */
function conceptRows(m: Loaded, features: Float32Array, rows: number[]): Float32Array {
  const K = m.concepts!.size;
  const out = new Float32Array(rows.length * K);
  rows.forEach((i, r) => out.set(features.subarray(i * m.width + m.dim, (i + 1) * m.width), r * K));
  return out;
}

const loading = load();
loading.then(
  (m) =>
    port.postMessage({
      type: 'ready',
      encoderId: m.featureKey,
      dim: m.width,
      beam: m.beam,
    } satisfies PipelineReady),
  (e) => port.postMessage({ type: 'fatal', message: (e as Error)?.message ?? String(e) } satisfies PipelineResponse),
);

port.on('message', async (msg: PipelineRequest) => {
  if (msg.type === 'close') {
    try {
      await (await loading).encoder.close();
    } catch {
      // nothing to release
    }
    port.close();
    return;
  }
  try {
    const m = await loading;
    const outcomes = await captionBatch(m, msg.items, msg.beam ?? m.beam);
    const transfer = outcomes.flatMap((o) => (o.ok && o.feature ? [o.feature.buffer as ArrayBuffer] : []));
    port.postMessage({ type: 'result', reqId: msg.reqId, outcomes } satisfies PipelineResponse, transfer);
  } catch (e) {
    port.postMessage({ type: 'error', reqId: msg.reqId, message: (e as Error)?.message ?? String(e) } satisfies PipelineResponse);
  }
});
