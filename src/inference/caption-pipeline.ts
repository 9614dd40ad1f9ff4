/**
 * Photo paths -> encoder features (cached by content hash) -> decoder captions. The one place
 * the encoder and the decoder are combined. The work runs in a worker thread
 * (caption-pipeline.worker.ts); this module is the main-thread handle the library's jobs call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { WorkerRpc, waitForWorkerReady } from '../shared/worker-rpc.js';
import type { CaptionAlternative } from '../model/decode.js';
import { encoderId, resolveOutputs, type EncoderCard } from './encoder/card.js';
export interface CaptionRequest {
  /** Caller's key, echoed back. */
  id: number;
  path: string;
  /** Cached encoder output for this content, if the library has it. */
  feature?: Float32Array;
  /** Where to write the grid thumbnail (WebP), made from the same decode; omitted = none. */
  thumbPath?: string;
}

export type CaptionOutcome =
  | {
      id: number;
      ok: true;
      caption: string;
      score: number;
      /** Beam search's k best, best first (the caption is the first). */
      alternatives: CaptionAlternative[];
      /** The encoder output when it was computed now (so the caller can cache it). */
      feature?: Float32Array;
      /** With the feature, for a detector's encoder: its confident detections per class (object-counts.ts). */
      objectCounts?: number[];
      /** Thumbnail written to the request's thumbPath. */
      thumbWritten: boolean;
    }
  | { id: number; ok: false; kind: string; message: string };

/** What a captioning job needs: the library does not care how captions are made. */
export interface Captioner {
  readonly modelId: string;
  /** Identifies the encoder's output (features are cached under it). */
  readonly encoderId: string;
  caption(batch: CaptionRequest[], options?: { beam?: number }): Promise<CaptionOutcome[]>;
  close(): Promise<void>;
}

/**
 * The key the library's features table keeps a model's stored vectors under (Captioner.encoderId):
 * the encoder id, the feature outputs the model concatenates, then its concept output with the
 * concept map's version when it has one (the stored vector is the features followed by the concept
 * scores), and `:flip` for flip averaging. Models that store the same vector share the key.
 */
export function storedFeatureKey(
  encoderId: string,
  features: { outputs: ReadonlyArray<{ name: string }>; flipAverage?: boolean },
  concepts?: { name: string; version?: string } | null,
): string {
  const names = features.outputs.map((o) => o.name);
  if (concepts) names.push(concepts.version ? `${concepts.name}@${concepts.version}` : concepts.name);
  return `${encoderId}:${names.join('+')}${features.flipAverage ? ':flip' : ''}`;
}

/** storedFeatureKey of a model, from its manifest and its encoder's card (what the library needs to find the model's vectors). */
export function modelFeatureKey(
  manifest: { features: { outputs: ReadonlyArray<{ name: string }>; flipAverage?: boolean; conceptOutput?: string } },
  card: EncoderCard,
): string {
  const { conceptOutput } = manifest.features;
  const concepts = conceptOutput === undefined ? null : resolveOutputs(card, [conceptOutput])[0];
  return storedFeatureKey(encoderId(card), manifest.features, concepts && { name: concepts.name, version: concepts.derived?.version });
}

// ---------------------------------------------------------------------------------------------
// The worker protocol and the main-thread handle.

export type PipelineRequest = { type: 'caption'; reqId: number; items: CaptionRequest[]; beam?: number } | { type: 'close' };

export interface PipelineReady {
  type: 'ready';
  /** Feature cache key: storedFeatureKey (encoder id + the outputs the model concatenates, + concepts, + flip averaging). */
  encoderId: string;
  /** Values per stored vector (the features, then the concept scores if any). */
  dim: number;
  beam: number;
}

export type PipelineResponse =
  | PipelineReady
  | { type: 'fatal'; message: string }
  | { type: 'result'; reqId: number; outcomes: CaptionOutcome[] }
  | { type: 'error'; reqId: number; message: string };

export interface OpenCaptionerOptions {
  /** onnxruntime threads for the encoder in the worker (default: pipelineThreads of the encoder). */
  threads?: number;
}

/** A Captioner running the pipeline in a worker thread. */
export class WorkerCaptioner implements Captioner {
  private readonly rpc: WorkerRpc<PipelineRequest, PipelineResponse>;

  private constructor(
    private readonly worker: Worker,
    readonly modelId: string,
    readonly encoderId: string,
    readonly featureDim: number,
  ) {
    this.rpc = new WorkerRpc(worker, {
      name: 'caption worker',
      readReply: (msg: PipelineResponse) => {
        if (msg.type === 'result') return { id: msg.reqId, value: msg.outcomes };
        if (msg.type === 'error') return { id: msg.reqId, error: new Error(msg.message) };
        return undefined;
      },
    });
  }

  static async open(modelDir: string, modelId: string, options: OpenCaptionerOptions = {}): Promise<WorkerCaptioner> {
    const worker = await startPipelineWorker({ workerData: { modelDir, threads: options.threads } });
    const ready = await waitForWorkerReady(worker, {
      readReady: (msg: PipelineResponse) => (msg.type === 'ready' ? msg : undefined),
      readFailure: (msg) => (msg.type === 'fatal' ? msg.message : undefined),
      exitMessage: (code) => `caption worker exited while loading (code ${code})`,
    });
    return new WorkerCaptioner(worker, modelId, ready.encoderId, ready.dim);
  }

  caption(batch: CaptionRequest[], options: { beam?: number } = {}): Promise<CaptionOutcome[]> {
    return this.rpc.request((reqId) => ({ type: 'caption', reqId, items: batch, beam: options.beam }));
  }

  async close(): Promise<void> {
    if (this.rpc.failed) return;
    this.worker.postMessage({ type: 'close' } satisfies PipelineRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    clearTimeout(timer);
  }
}

async function startPipelineWorker(options: WorkerOptions): Promise<Worker> {
  const { startWorker } = await import('../shared/worker.js');
  return startWorker(import.meta.url, './caption-pipeline.worker.ts', options);
}

/** Open the caption pipeline for a model directory (models/<name>/ with model.json). */
export function openCaptioner(modelDir: string, modelId: string, options: OpenCaptionerOptions = {}): Promise<WorkerCaptioner> {
  return WorkerCaptioner.open(modelDir, modelId, options);
}

// ---------------------------------------------------------------------------------------------
// Word embeddings of a model (query expansion reads them in the main thread: V×W floats).

export interface WordEmbeddings {
  vocab: string[];
  vectors: Float32Array;
  dim: number;
}

/** The decoder's `W_embed` (V×W) with its vocabulary, read from a model directory. */
export async function loadWordEmbeddings(modelDir: string): Promise<WordEmbeddings | null> {
  const { loadModelDir } = await import('../model/model-dir.js');
  const { readSafetensors } = await import('../model/safetensors.js');
  const loaded = loadModelDir(modelDir, { verify: false });
  const st = readSafetensors(loaded.weightsPath);
  const t = st.tensors.get('W_embed');
  if (!t || t.shape.length !== 2) return null;
  const vocab = (JSON.parse(readFileSync(loaded.vocabularyPath, 'utf8')) as { words: string[] }).words;
  const [V, W] = t.shape;
  if (vocab.length !== V)
    throw new Error(`${join(modelDir, loaded.manifest.decoder.vocabulary)} has ${vocab.length} words but W_embed has ${V} rows`);
  return { vocab, vectors: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), dim: W };
}
