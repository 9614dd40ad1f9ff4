/** Messages between encoder-client.ts (main thread) and encoder.worker.ts. */
import type { EncoderCard } from './card.js';
import type { ProviderName } from './session.js';

export interface EncoderInfo {
  id: string;
  name: string;
  sha256: string;
  card: EncoderCard;
  inputSize: number;
  provider: ProviderName;
}

export type ClientMessage =
  { op: 'encodeTensors'; req: number; pixels: Uint8Array; n: number; outputs?: readonly string[] } | { op: 'close'; req: number };

export type WorkerMessage =
  | { type: 'ready'; info: EncoderInfo }
  | { type: 'failed'; message: string }
  | { type: 'log'; line: string }
  | { type: 'result'; req: number; value: Record<string, Float32Array> | null }
  | { type: 'error'; req: number; name: string; message: string };
