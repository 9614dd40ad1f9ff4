/**
 * Photo paths -> encoder features (cached by content hash) -> decoder captions. The one place
 * the encoder and the decoder are combined. The work runs in a worker thread
 * (pipeline.worker.ts); this module is the main-thread handle the library's jobs call.
 */
export interface CaptionRequest {
  /** Caller's key, echoed back. */
  id: number;
  path: string;
  /** Cached encoder output for this content, if the library has it. */
  feature?: Float32Array;
  /** Where to write the grid thumbnail (WebP), made from the same decode; omitted = none. */
  thumbPath?: string;
}

export interface CaptionAlternative {
  text: string;
  /** Length-normalised log-probability from beam search (higher is better). */
  score: number;
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

// ---------------------------------------------------------------------------------------------
// Word embeddings of a model (query expansion reads them in the main thread: V×W floats).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WordEmbeddings {
  vocab: string[];
  vectors: Float32Array;
  dim: number;
}

/** The decoder's `W_embed` (V×W) with its vocabulary, read from a model directory. */
export async function loadWordEmbeddings(modelDir: string): Promise<WordEmbeddings | null> {
  const { loadModelDir } = await import('../training/model-dir.js');
  const { readSafetensors } = await import('../training/safetensors.js');
  const loaded = loadModelDir(modelDir, { verify: false });
  const st = readSafetensors(loaded.weightsPath);
  const t = st.tensors.get('W_embed');
  if (!t || t.shape.length !== 2) return null;
  const vocab = (JSON.parse(readFileSync(loaded.vocabularyPath, 'utf8')) as { words: string[] }).words;
  const [V, W] = t.shape;
  if (vocab.length !== V) throw new Error(`${join(modelDir, loaded.manifest.decoder.vocabulary)} has ${vocab.length} words but W_embed has ${V} rows`);
  return { vocab, vectors: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), dim: W };
}
