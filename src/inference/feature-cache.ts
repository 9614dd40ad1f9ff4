/**
 * Encoder features for a dataset, extracted once and kept on disk, so training runs (and
 * reruns with other settings) never decode a photo twice.
 *
 * Layout: `<cacheDir>/<encoderId>/<output>.f32` holds rows of `dim` little-endian float32
 * values, appended; `<output>.jsonl` is its index: a header line
 * `{"format":"lenscribe-features","version":1,"encoder":…,"output":…,"dim":…}` then one line per
 * row `{"file": <absolute path>, "size": <bytes>, "mtime": <ms>, "row": <n>}`. The key is
 * (file path, file size and mtime, encoder id = name@sha256 prefix, output name): a changed
 * photo or a rebuilt encoder is re-extracted, the newest row for a path wins.
 *
 * Crash safety and resuming: rows are appended before their index lines, so on opening, a
 * half-written last index line or data rows without an index line are cut off and the store
 * continues from the last complete row. A killed extraction resumes where it stopped.
 *
 * Several processes may share a store (a training run and an eval at once): opening and every
 * append hold `<output>.lock`, and an append first reads the rows others added since, so each
 * row number is the row's true place in the data file.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { withFileLock } from '../shared/file-lock.js';
import { userFolder } from '../shared/paths.js';
import { isPhotoError, mirrorPixels, resolveOutputs, type EncodedItem, type EncoderApi, type PreparedPhoto } from './encoder/index.js';

const FORMAT = 'lenscribe-features';
/** Stores up to this size are read whole, once, and kept in memory; larger ones a row at a time. */
const WHOLE_FILE_BYTES = 512 * 1024 * 1024;
const VERSION = 1;

/** Where features are cached unless told otherwise: $LENSCRIBE_CACHE, else the platform's cache folder. */
export function defaultFeatureCacheDir(): string {
  if (process.env.LENSCRIBE_CACHE) return join(process.env.LENSCRIBE_CACHE, 'features');
  return join(userFolder('cache'), 'features');
}

/** A file's identity for the cache: its path, size and modification time. */
export interface FileKey {
  file: string;
  size: number;
  mtime: number;
}

export function fileKey(path: string): FileKey | undefined {
  try {
    const st = statSync(path);
    return { file: resolve(path), size: st.size, mtime: Math.round(st.mtimeMs) };
  } catch {
    return undefined;
  }
}

/** Safe file name for an encoder id or output name (ids look like `mobilenet_v2@788027b53856f594`). */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.@-]/g, '_');
}

/** One encoder output's rows on disk. */
export class FeatureStore {
  private readonly rows = new Map<string, { row: number; size: number; mtime: number }>();
  private count = 0;
  /** Byte offset in the index just after its last complete, valid line. */
  private indexEnd = 0;
  private data: Float32Array | undefined;
  readonly dataPath: string;
  readonly indexPath: string;
  readonly lockPath: string;

  private constructor(
    readonly dir: string,
    readonly encoderId: string,
    readonly output: string,
    readonly dim: number,
    private readonly wholeFileBytes: number,
  ) {
    this.dataPath = join(dir, `${safeName(output)}.f32`);
    this.indexPath = join(dir, `${safeName(output)}.jsonl`);
    this.lockPath = join(dir, `${safeName(output)}.lock`);
  }

  /**
   * Opens (creating if needed) the store of one output; repairs an interrupted append.
   * `wholeFileBytes`: up to this size the data is read whole once and kept, beyond it a row at a time.
   */
  static open(cacheDir: string, encoderId: string, output: string, dim: number, options: { wholeFileBytes?: number } = {}): FeatureStore {
    const dir = join(cacheDir, safeName(encoderId));
    mkdirSync(dir, { recursive: true });
    const store = new FeatureStore(dir, encoderId, output, dim, options.wholeFileBytes ?? WHOLE_FILE_BYTES);
    withFileLock(store.lockPath, () => store.load());
    return store;
  }

  private header(): string {
    return `${JSON.stringify({ format: FORMAT, version: VERSION, encoder: this.encoderId, output: this.output, dim: this.dim })}\n`;
  }

  private reset(): void {
    writeFileSync(this.dataPath, new Uint8Array(0));
    const header = this.header();
    writeFileSync(this.indexPath, header);
    this.rows.clear();
    this.count = 0;
    this.indexEnd = Buffer.byteLength(header);
  }

  private load(): void {
    if (!existsSync(this.indexPath) || !existsSync(this.dataPath)) return this.reset();
    const bytes = readFileSync(this.indexPath);
    const firstNl = bytes.indexOf(0x0a);
    let header: { format?: string; version?: number; encoder?: string; output?: string; dim?: number } = {};
    try {
      header = JSON.parse(bytes.subarray(0, firstNl < 0 ? bytes.length : firstNl).toString('utf8'));
    } catch {
      /* unreadable header: start over */
    }
    if (
      firstNl < 0 ||
      header.format !== FORMAT ||
      header.version !== VERSION ||
      header.encoder !== this.encoderId ||
      header.output !== this.output ||
      header.dim !== this.dim
    ) {
      return this.reset();
    }
    this.indexEnd = firstNl + 1;
    this.catchUp();
  }

  /**
   * Reads the index lines written since `indexEnd` (by this process or another) and cuts off
   * whatever follows the last complete row in either file. Called with the lock held.
   */
  private catchUp(): void {
    const rowBytes = this.dim * 4;
    const available = Math.floor(statSync(this.dataPath).size / rowBytes);
    const fd = openSync(this.indexPath, 'r');
    let bytes: Buffer;
    try {
      const size = fstatSync(fd).size;
      bytes = Buffer.alloc(Math.max(0, size - this.indexEnd));
      if (bytes.length > 0) readSync(fd, bytes, 0, bytes.length, this.indexEnd);
    } finally {
      closeSync(fd);
    }
    let pos = 0; // just after the last complete, valid index line read here
    while (pos < bytes.length) {
      const nl = bytes.indexOf(0x0a, pos);
      if (nl < 0) break; // half-written last line
      let entry: { file?: unknown; size?: unknown; mtime?: unknown; row?: unknown };
      try {
        entry = JSON.parse(bytes.subarray(pos, nl).toString('utf8'));
      } catch {
        break;
      }
      if (typeof entry.file !== 'string' || entry.row !== this.count || this.count >= available) break;
      this.rows.set(entry.file, { row: this.count, size: Number(entry.size), mtime: Number(entry.mtime) });
      this.count++;
      pos = nl + 1;
    }
    this.indexEnd += pos;
    // Cut whatever follows the last complete row in either file.
    if (pos < bytes.length) truncateSync(this.indexPath, this.indexEnd);
    if (statSync(this.dataPath).size !== this.count * rowBytes) truncateSync(this.dataPath, this.count * rowBytes);
  }

  /** Rows stored (including superseded ones). */
  get size(): number {
    return this.count;
  }

  /** Whether the store holds a row for this exact file version. */
  has(key: FileKey): boolean {
    const r = this.rows.get(key.file);
    return r !== undefined && r.size === key.size && r.mtime === key.mtime;
  }

  /** Appends rows (n×dim values) for the given files: data first, then the index lines. */
  append(keys: FileKey[], values: Float32Array): void {
    if (values.length !== keys.length * this.dim)
      throw new RangeError(`FeatureStore.append: ${values.length} values for ${keys.length}×${this.dim}`);
    if (keys.length === 0) return;
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    withFileLock(this.lockPath, () => {
      this.catchUp();
      const fd = openSync(this.dataPath, 'r+');
      try {
        writeSync(fd, bytes, 0, bytes.length, this.count * this.dim * 4);
      } finally {
        closeSync(fd);
      }
      let lines = '';
      for (const k of keys) {
        lines += `${JSON.stringify({ file: k.file, size: k.size, mtime: k.mtime, row: this.count })}\n`;
        this.rows.set(k.file, { row: this.count, size: k.size, mtime: k.mtime });
        this.count++;
      }
      const ifd = openSync(this.indexPath, 'a');
      try {
        writeSync(ifd, lines);
      } finally {
        closeSync(ifd);
      }
      this.indexEnd += Buffer.byteLength(lines);
    });
    this.data = undefined;
  }

  /** Copies the row of `file` into `out` at `offset`; false if the store has no row for it. */
  read(file: string, out: Float32Array, offset: number): boolean {
    const r = this.rows.get(resolve(file));
    if (!r) return false;
    if (this.count * this.dim * 4 > this.wholeFileBytes) {
      // A store of spatial grids (400 KB a photo) outgrows what one read may hold: read the row alone.
      const fd = openSync(this.dataPath, 'r');
      try {
        const view = new Uint8Array(out.buffer, out.byteOffset + offset * 4, this.dim * 4);
        if (readSync(fd, view, 0, view.length, r.row * this.dim * 4) !== view.length)
          throw new Error(`${this.dataPath}: row ${r.row} is cut short`);
      } finally {
        closeSync(fd);
      }
      return true;
    }
    if (!this.data) {
      const buf = readFileSync(this.dataPath);
      // Copy into an aligned buffer; Buffer's pool offset may not be 4-aligned.
      this.data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    }
    out.set(this.data.subarray(r.row * this.dim, (r.row + 1) * this.dim), offset);
    return true;
  }
}

export interface ExtractProgress {
  /** Photos finished (cached ones included). */
  done: number;
  total: number;
  /** Found in the cache, not recomputed. */
  cached: number;
  computed: number;
  failed: number;
  /** Photos per second over the computed ones. */
  rate: number;
  /** Seconds left at that rate. */
  eta: number;
}

export interface ExtractOptions {
  /** Cache folder (default `defaultFeatureCacheDir()`). */
  cacheDir?: string;
  /** Encoder outputs to concatenate, in order (names or roles); default: every pooled output. */
  outputs?: readonly string[];
  /** Called after every batch and at the end. */
  onProgress?: (p: ExtractProgress) => void;
  /**
   * `none` (default): features of the photo as it is. `mirror`: of its left-right mirror image.
   * `average`: the mean of both (test-time augmentation; the caption pipeline does the same when
   * a model's `features.flipAverage` is true). Mirror rows are cached under `<output>@mirror`.
   */
  flip?: 'none' | 'mirror' | 'average';
  /** Rows kept in memory before they are appended (default 64). */
  flushEvery?: number;
  signal?: AbortSignal;
}

export interface ExtractResult {
  /** Row i holds the concatenated features of paths[index[i]]: rows × dim. */
  features: Float32Array;
  dim: number;
  /** For every path, its row in `features`, or -1 if the photo failed. */
  rowOf: Int32Array;
  /** Photos that could not be read or encoded, with the reason. */
  failures: Array<{ path: string; kind: string; message: string }>;
  outputs: Array<{ name: string; dims: number[] }>;
  cached: number;
  computed: number;
  seconds: number;
}

/**
 * Features of every path for the requested encoder outputs, concatenated in order: taken from
 * the cache where present, computed with `encoder` (and cached) otherwise. Unreadable photos
 * are reported in `failures` and skipped; the rest go on.
 */
export async function extractFeatures(encoder: EncoderApi, paths: readonly string[], options: ExtractOptions = {}): Promise<ExtractResult> {
  const flip = options.flip ?? 'none';
  if (flip !== 'average') return extractPass(encoder, paths, options, flip === 'mirror');
  // Both passes report progress over twice the photos.
  const total = paths.length * 2;
  const shift = (base: number) => (p: ExtractProgress) =>
    options.onProgress?.({ ...p, done: p.done + base, total, eta: p.eta + (base === 0 && p.rate > 0 ? paths.length / p.rate : 0) });
  const plain = await extractPass(encoder, paths, { ...options, onProgress: shift(0) }, false);
  const mirrored = await extractPass(encoder, paths, { ...options, onProgress: shift(paths.length) }, true);
  const dim = plain.dim;
  const rowOf = new Int32Array(paths.length).fill(-1);
  const both: number[] = [];
  paths.forEach((_, i) => {
    if (plain.rowOf[i] >= 0 && mirrored.rowOf[i] >= 0) both.push(i);
  });
  const features = new Float32Array(both.length * dim);
  both.forEach((i, r) => {
    const a = plain.features.subarray(plain.rowOf[i] * dim, (plain.rowOf[i] + 1) * dim);
    const b = mirrored.features.subarray(mirrored.rowOf[i] * dim, (mirrored.rowOf[i] + 1) * dim);
    for (let j = 0; j < dim; j++) features[r * dim + j] = (a[j] + b[j]) / 2;
    rowOf[i] = r;
  });
  const failed = new Map(plain.failures.map((f) => [f.path, f]));
  for (const f of mirrored.failures) if (!failed.has(f.path)) failed.set(f.path, f);
  return {
    features,
    dim,
    rowOf,
    failures: [...failed.values()],
    outputs: plain.outputs,
    cached: plain.cached + mirrored.cached,
    computed: plain.computed + mirrored.computed,
    seconds: plain.seconds + mirrored.seconds,
  };
}

/**
 * Like encoder.encodeFiles, for the mirror images: decodes the next batch while the CNN runs
 * the current one.
 */
async function encodeMirrored(
  encoder: EncoderApi,
  paths: readonly string[],
  outputs: Array<{ name: string; size: number }>,
  onItem: (item: EncodedItem, index: number) => void,
  signal: AbortSignal | undefined,
  batch = 8,
): Promise<void> {
  const S = encoder.inputSize;
  const per = S * S * 3;
  const prepare = (start: number) =>
    Promise.all(
      paths.slice(start, start + batch).map((p) => encoder.preparePhoto(p, { thumbnail: false }).catch((e: unknown) => e as Error)),
    );
  let next = prepare(0);
  for (let b = 0; b < paths.length; b += batch) {
    if (signal?.aborted) {
      const e = new Error('feature extraction aborted');
      e.name = 'AbortError';
      throw e;
    }
    const prepared = await next;
    if (b + batch < paths.length) next = prepare(b + batch);
    const ok: number[] = [];
    prepared.forEach((p, i) => {
      if (p instanceof Error) {
        const kind = isPhotoError(p) ? p.kind : 'corrupt';
        onItem({ path: paths[b + i], ok: false, error: { kind, message: p.message } }, b + i);
      } else ok.push(i);
    });
    if (ok.length === 0) continue;
    const pixels = new Uint8Array(ok.length * per);
    ok.forEach((i, k) => pixels.set(mirrorPixels((prepared[i] as PreparedPhoto).input, S), k * per));
    let out: Record<string, Float32Array>;
    try {
      out = await encoder.encodeTensors(
        pixels,
        ok.length,
        outputs.map((o) => o.name),
      );
    } catch (e) {
      for (const i of ok) onItem({ path: paths[b + i], ok: false, error: { kind: 'encoder', message: (e as Error).message } }, b + i);
      continue;
    }
    ok.forEach((i, k) => {
      const features: Record<string, Float32Array> = {};
      for (const o of outputs) features[o.name] = out[o.name].slice(k * o.size, (k + 1) * o.size);
      const { input: _input, ...photo } = prepared[i] as PreparedPhoto;
      onItem({ path: paths[b + i], ok: true, features, photo }, b + i);
    });
  }
}

/** Which photos every store already has (counted) and which are still to encode (indices); unreadable files fail here. */
function findCached(
  paths: readonly string[],
  keys: Array<FileKey | undefined>,
  stores: FeatureStore[],
  failures: ExtractResult['failures'],
): { todo: number[]; cached: number } {
  const todo: number[] = [];
  let cached = 0;
  keys.forEach((k, i) => {
    if (!k) failures.push({ path: paths[i], kind: 'missing', message: `${paths[i]}: file not found or unreadable` });
    else if (stores.every((s) => s.has(k))) cached++;
    else todo.push(i);
  });
  return { todo, cached };
}

/** Appends the buffered rows of every store (store j's rows in pending[j], one per key) and empties the buffers. */
function appendRows(stores: FeatureStore[], keys: FileKey[], pending: Float32Array[][]): void {
  stores.forEach((s, j) => {
    const rows = pending[j];
    const buf = new Float32Array(rows.length * s.dim);
    rows.forEach((r, i) => buf.set(r, i * s.dim));
    s.append(keys, buf);
    pending[j] = [];
  });
}

/** One row per photo that has every output (the stores' values side by side, `dim` in all); rowOf[i] is photo i's row or −1. */
function gatherRows(
  paths: readonly string[],
  keys: Array<FileKey | undefined>,
  stores: FeatureStore[],
  failures: ExtractResult['failures'],
  dim: number,
): { features: Float32Array; rowOf: Int32Array } {
  const rowOf = new Int32Array(paths.length).fill(-1);
  const okPaths: number[] = [];
  const failedSet = new Set(failures.map((f) => f.path));
  paths.forEach((p, i) => {
    if (!failedSet.has(p) && keys[i] && stores.every((s) => s.has(keys[i]!))) okPaths.push(i);
  });
  const features = new Float32Array(okPaths.length * dim);
  okPaths.forEach((i, r) => {
    let off = r * dim;
    for (const store of stores) {
      store.read(paths[i], features, off);
      off += store.dim;
    }
    rowOf[i] = r;
  });
  return { features, rowOf };
}

/** Why an encoded photo cannot be cached: its error, or an output missing or not finite; undefined if it can. */
function itemFailure(
  item: EncodedItem,
  outs: ReadonlyArray<{ name: string }>,
  path: string,
): Omit<ExtractResult['failures'][number], 'path'> | undefined {
  if (!item.ok) return { kind: item.error.kind, message: item.error.message };
  const bad = outs.find((o) => !item.features[o.name] || item.features[o.name].some((v) => !Number.isFinite(v)));
  return bad ? { kind: 'encoder', message: `${path}: encoder output ${bad.name} missing or not finite` } : undefined;
}

async function extractPass(
  encoder: EncoderApi,
  paths: readonly string[],
  options: ExtractOptions,
  mirror: boolean,
): Promise<ExtractResult> {
  const t0 = performance.now();
  const cacheDir = options.cacheDir ?? defaultFeatureCacheDir();
  const outs = resolveOutputs(encoder.card, options.outputs).map((o) => ({
    name: o.name,
    dims: o.dims,
    size: o.dims.reduce((a, b) => a * b, 1),
    // A derived output's rows also depend on how it is computed (concepts: the concept map), not only on the encoder.
    store: o.derived ? `${o.name}@${o.derived.version}` : o.name,
  }));
  const stores = outs.map((o) => FeatureStore.open(cacheDir, encoder.id, mirror ? `${o.store}@mirror` : o.store, o.size));
  const dim = outs.reduce((a, o) => a + o.size, 0);
  const failures: ExtractResult['failures'] = [];

  const keys = paths.map((p) => fileKey(p));
  const { todo, cached } = findCached(paths, keys, stores, failures);

  const total = paths.length;
  let computed = 0;
  let failedNow = 0; // failures among the photos being encoded
  const tStart = performance.now();
  const report = () => {
    const secs = (performance.now() - tStart) / 1000;
    const rate = computed > 0 ? computed / secs : 0;
    const left = todo.length - computed - failedNow;
    const failed = failures.length;
    options.onProgress?.({ done: cached + computed + failed, total, cached, computed, failed, rate, eta: rate > 0 ? left / rate : 0 });
  };
  report();

  const flushEvery = Math.max(1, options.flushEvery ?? 64);
  const pending = outs.map(() => [] as Float32Array[]);
  let pendingKeys: FileKey[] = [];
  const flush = () => {
    if (pendingKeys.length === 0) return;
    appendRows(stores, pendingKeys, pending);
    pendingKeys = [];
    report();
  };

  if (todo.length > 0) {
    const onItem = (item: EncodedItem, j: number) => {
      const i = todo[j];
      const failure = itemFailure(item, outs, paths[i]);
      if (failure || !item.ok) {
        failedNow++;
        failures.push({ path: paths[i], ...failure! });
        return;
      }
      outs.forEach((o, k) => pending[k].push(item.features[o.name]));
      pendingKeys.push(keys[i]!);
      computed++;
      if (pendingKeys.length >= flushEvery) flush();
    };
    const todoPaths = todo.map((i) => paths[i]);
    const run = mirror
      ? encodeMirrored(encoder, todoPaths, outs, onItem, options.signal)
      : encoder.encodeFiles(todoPaths, {
          outputs: outs.map((o) => o.name),
          thumbnail: false,
          collect: false,
          signal: options.signal,
          onItem,
        });
    await Promise.resolve(run).finally(flush);
  }
  report();

  const { features, rowOf } = gatherRows(paths, keys, stores, failures, dim);
  return {
    features,
    dim,
    rowOf,
    failures,
    outputs: outs.map(({ name, dims }) => ({ name, dims })),
    cached,
    computed,
    seconds: (performance.now() - t0) / 1000,
  };
}
