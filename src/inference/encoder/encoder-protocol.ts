/** Messages between encoder-client.ts (main thread) and encoder.worker.ts. */
import type { EncoderCard } from './card.js';
import type { EncodedItem, EncodeFilesOptions } from './encoder.js';
import type { PreparedPhoto } from './preprocess.js';
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
  | { op: 'encodeTensors'; req: number; pixels: Uint8Array; n: number; outputs?: readonly string[] }
  | { op: 'preparePhoto'; req: number; path: string; opts?: { thumbnail?: number | false; hash?: boolean } }
  | { op: 'encodeFiles'; req: number; paths: readonly string[]; opts: Pick<EncodeFilesOptions, 'outputs' | 'thumbnail' | 'hash'> }
  | { op: 'cancel'; target: number }
  | { op: 'close'; req: number };

export type WorkerMessage =
  | { type: 'ready'; info: EncoderInfo }
  | { type: 'failed'; message: string }
  | { type: 'log'; line: string }
  | { type: 'item'; req: number; index: number; item: EncodedItem }
  | { type: 'result'; req: number; value: Record<string, Float32Array> | PreparedPhoto | null }
  | { type: 'error'; req: number; name: string; message: string };
