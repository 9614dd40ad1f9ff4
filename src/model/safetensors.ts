/**
 * The safetensors file format (https://huggingface.co/docs/safetensors), written and read
 * exactly, so a decoder's weights open in Python (`safetensors`, or plain json + numpy):
 *
 *   bytes 0..8      N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N    the header: UTF-8 JSON object, right-padded with spaces so the data
 *                   starts on an 8-byte boundary
 *                     { "__metadata__": { "key": "string value", … },
 *                       "<name>": { "dtype": "F32", "shape": [r, c], "data_offsets": [begin, end] }, … }
 *   bytes 8+N..     the data buffer; offsets are relative to its start, tensors are
 *                   row-major little-endian, contiguous, without holes or overlap, and the
 *                   last one ends at the end of the file.
 *
 * We write F32 (Float32Array) and F64 (Float64Array), tensors sorted by name, as the
 * reference implementation does for a single dtype. Reading checks every rule above and
 * fails with a ModelFileError naming the file and what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { UserError } from '../shared/errors.js';
import type { FloatArray } from './matmul.js';

/** A model file that is missing, truncated, corrupt or does not match its configuration. */
export class ModelFileError extends UserError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelFileError';
  }
}

export type SafetensorsDtype = 'F32' | 'F64';

export interface Tensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: FloatArray;
}

export interface SafetensorsContents {
  /** Tensors by name, in the order of their data in the file. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` string map (empty if absent). */
  metadata: Record<string, string>;
}

export interface TensorInput {
  shape: readonly number[];
  data: FloatArray;
}

/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER_BYTES = 100_000_000;
const ALIGNMENT = 8;
const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F64: 8 };
const KNOWN_DTYPES = new Set([
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
]);
const littleEndianHost = endianness() === 'LE';

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Serialises tensors (sorted by name) and string metadata into one safetensors buffer. */
export function encodeSafetensors(tensors: Record<string, TensorInput>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`safetensors metadata "${k}" must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__' || name.length === 0) throw new TypeError(`invalid tensor name ${JSON.stringify(name)}`);
    const { shape, data } = tensors[name];
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new TypeError(`tensor ${name}: invalid dimension ${d}`);
    }
    if (elementCount(shape) !== data.length) {
      throw new TypeError(`tensor ${name}: shape [${shape.join(', ')}] needs ${elementCount(shape)} values, data has ${data.length}`);
    }
    const dtype: SafetensorsDtype = data instanceof Float64Array ? 'F64' : 'F32';
    const bytes = data.length * BYTES[dtype];
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((8 + json.length) / ALIGNMENT) * ALIGNMENT - 8;
  if (padded > json.length) json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);

  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const { data } = tensors[name];
    if (littleEndianHost) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else if (data instanceof Float64Array) {
      for (let i = 0; i < data.length; i++) view.setFloat64(pos + 8 * i, data[i], true);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i], true);
    }
    pos += data.byteLength;
  }
  return out;
}

/** Parses and validates a safetensors buffer; `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors buffer'): SafetensorsContents {
  const fail = (problem: string): never => {
    throw new ModelFileError(file, problem);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short to hold the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES))
    fail(`header length ${headerLen64} is implausible (limit ${MAX_HEADER_BYTES} bytes); not a safetensors file?`);
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length)
    fail(`truncated: header says ${headerLen} header bytes but the file has only ${bytes.length - 8} after the length field`);
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8');
  if (!headerText.startsWith('{')) fail('header does not start with "{"; not a safetensors file');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata "${k}" is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(tensorEntry(name, info, fail));
  }

  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  checkContiguous(entries, dataLen, fail);

  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const n = (e.end - e.begin) / BYTES[e.dtype];
    const data = e.dtype === 'F64' ? new Float64Array(n) : new Float32Array(n);
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (littleEndianHost) {
      new Uint8Array(data.buffer).set(src);
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < n; i++) data[i] = e.dtype === 'F64' ? dv.getFloat64(8 * i, true) : dv.getFloat32(4 * i, true);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** A tensor's header entry: where its bytes are in the data section (begin inclusive, end exclusive). */
interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates one tensor's header entry (dtype, shape, offsets that span exactly its bytes). */
function tensorEntry(name: string, info: unknown, fail: (problem: string) => never): TensorEntry {
  if (typeof info !== 'object' || info === null) fail(`tensor ${name}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || !KNOWN_DTYPES.has(dtype)) fail(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
  if (!((dtype as string) in BYTES)) fail(`tensor ${name}: dtype ${dtype} is not supported (Lenscribe reads F32 and F64)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(`tensor ${name}: invalid shape ${JSON.stringify(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    fail(`tensor ${name}: invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape as number[]) * BYTES[dtype as SafetensorsDtype];
  if (end - begin !== expected) {
    fail(
      `tensor ${name}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** The tensors must tile the data section exactly: sorted by offset, no hole, no overlap, nothing after. */
function checkContiguous(entries: TensorEntry[], dataLen: number, fail: (problem: string) => never): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of entries) {
    if (e.end > dataLen)
      fail(`tensor ${e.name}: data_offsets [${e.begin}, ${e.end}] point past the end of the data (${dataLen} bytes); file truncated?`);
    if (e.begin !== expectedBegin) {
      fail(
        `tensor ${e.name}: data starts at ${e.begin} but the previous tensor ends at ${expectedBegin} (tensors must be contiguous, without holes or overlap)`,
      );
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataLen)
    fail(`${dataLen - expectedBegin} bytes after the last tensor; file has trailing data or a tensor is missing from the header`);
}

/** Reads and validates a safetensors file. */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(path, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}
