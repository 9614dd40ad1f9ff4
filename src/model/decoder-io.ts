/**
 * A trained decoder on disk: one directory holding
 *
 *   config.json          format + version, DecoderConfig, which encoder feature it reads,
 *                        training notes, and the size and sha256 of the two files below
 *   vocab.json           the vocabulary (see vocab.ts)
 *   weights.safetensors  every parameter of decoder.ts's `paramShapes(config)`, float32
 *
 * A decoder with concept input records `conceptDim` (K > 0) in its config and stores W_concept;
 * one without has neither (its files are exactly what they were before concepts existed, and
 * an old one loads with K = 0). Lenscribe versions from before concepts refuse a K > 0 decoder
 * with "unexpected tensor W_concept".
 *
 * Saving is crash-safe without touching anything else in the directory. Each file is first
 * written completely as `<name>.partial` and fsynced, config.json.partial last; it holds the
 * hashes of the other two, so its complete presence is the commit record. Then the files are
 * renamed into place, config.json last. A crash before config.json.partial is complete leaves
 * the previous save untouched; a crash during the renames leaves a complete commit record,
 * which loading honours (reading each file under whichever name it has) and the next save
 * finishes before writing (it removes the strays of an incomplete one). So "kill -9 at any
 * moment" always leaves a loadable decoder, the last one completely written. One writer per
 * directory at a time; any number of readers.
 *
 * Loading validates everything and fails with a ModelFileError naming the file and problem:
 * format and version (a newer version is refused), the config's dimensions, the vocabulary,
 * the hashes, and every tensor's presence, dtype (F32), shape and finiteness.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OnnxStepModel } from './onnx-step-model.js';
import { canonicalConfig, DecoderStepModel, paramShapes, validateConfig } from './decoder.js';
import { decodeSafetensors, encodeSafetensors, ModelFileError, type TensorInput } from './safetensors.js';
import type { DecoderConfig, Params, StepModel } from './types.js';
import { Vocabulary } from './vocab.js';

export { ModelFileError } from './safetensors.js';

export const DECODER_FORMAT = 'lenscribe-decoder';
/** Version of the directory layout this code writes; a newer one is refused on load. */
export const DECODER_FORMAT_VERSION = 1;

export const CONFIG_FILE = 'config.json';
export const VOCAB_FILE = 'vocab.json';
export const WEIGHTS_FILE = 'weights.safetensors';
const PARTIAL = '.partial';

/** Which image feature the decoder was trained on; captioning must feed the same one. */
export interface FeatureInfo {
  /** Encoder name (models/encoders/<name>), e.g. "mobilenet_v2". */
  encoder: string;
  /** `encoderId(card)` (name@sha256 prefix) of the exact encoder file, when known. */
  encoderId?: string;
  /** Encoder outputs concatenated into the feature, in order, e.g. ["out_relu"]. */
  outputs?: string[];
  /** Length of the feature vector; equals the decoder's featureDim. */
  dim: number;
  /** How photos are prepared for the encoder (notes, e.g. copied from its card). */
  preprocessing?: Record<string, string>;
}

/** Free-form notes about how the weights were made (dataset, epochs, losses, seed, …). */
export type TrainingInfo = Record<string, unknown>;

/** Everything a decoder directory holds. */
export interface DecoderBundle {
  config: DecoderConfig;
  params: Params<Float32Array>;
  vocab: Vocabulary;
  feature: FeatureInfo;
  training?: TrainingInfo;
}

/** A loaded decoder, ready for `captionFeatures(decoder.model, decoder.vocab, …)`. */
export interface LoadedDecoder extends DecoderBundle {
  dir: string;
  /** The step-wise model for decoding (greedy, beam, sampling); see LoadOptions.backend. */
  model: StepModel;
  /** Format version the directory was written with. */
  formatVersion: number;
  /** ISO time of the save. */
  savedAt?: string;
}

interface FileRecord {
  bytes: number;
  sha256: string;
}

/** The JSON layout of config.json. */
export interface DecoderConfigJson {
  format: typeof DECODER_FORMAT;
  formatVersion: number;
  decoder: DecoderConfig;
  feature: FeatureInfo;
  training?: TrainingInfo;
  files: Record<typeof VOCAB_FILE | typeof WEIGHTS_FILE, FileRecord>;
  savedAt: string;
}

// ---------------------------------------------------------------------------
// Atomic file writing

let tempCounter = 0;

function writeAndSync(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a rename durable. Directories cannot be opened for fsync on Windows; skip there. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EPERM on Windows: the rename is as durable as the platform makes it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file so that readers (and a crash) see either the old content or the new, never
 * a mix: temp file beside it, fsync, rename over, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${++tempCounter}`;
  try {
    writeAndSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

/** Writes a vocabulary alone as vocab.json, atomically (a decoder directory uses saveDecoder). */
export function saveVocabulary(path: string, vocab: Vocabulary): void {
  writeFileAtomic(path, vocab.serialize());
}

function fileRecord(bytes: Uint8Array): FileRecord {
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

// ---------------------------------------------------------------------------
// Saving

function checkBundle(b: DecoderBundle): void {
  validateConfig(b.config);
  if (b.vocab.size !== b.config.vocabSize) {
    throw new RangeError(`saveDecoder: vocabulary has ${b.vocab.size} words but config.vocabSize is ${b.config.vocabSize}`);
  }
  if (b.feature.dim !== b.config.featureDim) {
    throw new RangeError(`saveDecoder: feature.dim ${b.feature.dim} differs from config.featureDim ${b.config.featureDim}`);
  }
  const shapes = paramShapes(b.config);
  for (const [name, shape] of Object.entries(shapes)) {
    const t = b.params[name];
    const n = shape.reduce((x, y) => x * y, 1);
    if (!(t instanceof Float32Array)) throw new TypeError(`saveDecoder: parameter ${name} is missing or not a Float32Array`);
    if (t.length !== n) throw new RangeError(`saveDecoder: parameter ${name} has ${t.length} values, expected [${shape.join(', ')}]`);
    // Loading refuses non-finite weights; refuse to write them in the first place.
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i])) throw new RangeError(`saveDecoder: parameter ${name} holds a non-finite value (${t[i]}) at index ${i}`);
    }
  }
  for (const name of Object.keys(b.params)) {
    if (!(name in shapes)) throw new RangeError(`saveDecoder: unexpected parameter ${name} (not in the model's parameter list)`);
  }
}

/**
 * Writes a decoder directory (created if missing) crash-safely; files other than the three
 * above are left alone. Throws before writing anything if the bundle is inconsistent.
 */
export function saveDecoder(dir: string, bundle: DecoderBundle): void {
  checkBundle(bundle);
  mkdirSync(dir, { recursive: true });
  recover(dir); // finish or discard an interrupted earlier save first

  const shapes = paramShapes(bundle.config);
  const tensors: Record<string, TensorInput> = {};
  for (const [name, shape] of Object.entries(shapes)) tensors[name] = { shape, data: bundle.params[name] };
  const weights = encodeSafetensors(tensors, {
    format: DECODER_FORMAT,
    format_version: String(DECODER_FORMAT_VERSION),
    decoder_config: JSON.stringify(canonicalConfig(bundle.config)),
  });
  const vocab = Buffer.from(bundle.vocab.serialize(), 'utf8');
  const config: DecoderConfigJson = {
    format: DECODER_FORMAT,
    formatVersion: DECODER_FORMAT_VERSION,
    decoder: canonicalConfig(bundle.config),
    feature: bundle.feature,
    ...(bundle.training !== undefined ? { training: bundle.training } : {}),
    files: { [VOCAB_FILE]: fileRecord(vocab), [WEIGHTS_FILE]: fileRecord(weights) },
    savedAt: new Date().toISOString(),
  };

  const p = (name: string) => join(dir, name + PARTIAL);
  writeAndSync(p(WEIGHTS_FILE), weights);
  writeAndSync(p(VOCAB_FILE), vocab);
  writeAndSync(p(CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
  syncDir(dir);
  // Commit point passed: config.json.partial is complete and names the other two.
  commitPartials(dir);
}

function commitPartials(dir: string): void {
  for (const name of [WEIGHTS_FILE, VOCAB_FILE, CONFIG_FILE]) {
    const partial = join(dir, name + PARTIAL);
    if (existsSync(partial)) renameSync(partial, join(dir, name));
  }
  syncDir(dir);
}

/**
 * Finishes an interrupted save: if config.json.partial is complete and every file it names is
 * present (as .partial or already renamed) with the recorded hash, the renames are completed;
 * otherwise the previous save is intact and the stray .partial files are removed.
 */
function recover(dir: string): void {
  const strays = [WEIGHTS_FILE, VOCAB_FILE, CONFIG_FILE].map((n) => join(dir, n + PARTIAL)).filter((f) => existsSync(f));
  if (strays.length === 0) return;
  if (pendingCommit(dir)) commitPartials(dir);
  else for (const f of strays) rmSync(f, { force: true });
}

/** Where each file of a save is: its final name, or its .partial name during a commit. */
interface SaveView {
  config: string;
  files: Record<typeof VOCAB_FILE | typeof WEIGHTS_FILE, string>;
}

/**
 * A save whose commit record (config.json.partial) is complete and whose files are all
 * present with the recorded hashes, some maybe still under their .partial names: the state
 * after a crash (or, for a reader, a writer) between the renames. Null if there is none.
 */
function pendingCommit(dir: string): SaveView | null {
  const configPartial = join(dir, CONFIG_FILE + PARTIAL);
  try {
    const cfg = JSON.parse(readFileSync(configPartial, 'utf8')) as DecoderConfigJson;
    const files = {} as SaveView['files'];
    for (const name of [VOCAB_FILE, WEIGHTS_FILE] as const) {
      const rec = cfg.files[name];
      const candidate = existsSync(join(dir, name + PARTIAL)) ? join(dir, name + PARTIAL) : join(dir, name);
      const now = fileRecord(readFileSync(candidate));
      if (!rec || now.bytes !== rec.bytes || now.sha256 !== rec.sha256) return null;
      files[name] = candidate;
    }
    return { config: configPartial, files };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Loading

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads and validates config.json alone (cheap: no weights), e.g. to list models. */
export function readDecoderConfig(dir: string, file = join(dir, CONFIG_FILE)): DecoderConfigJson {
  const fail = (problem: string): never => {
    throw new ModelFileError(file, problem);
  };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(code === 'ENOENT' ? 'not found; is this a Lenscribe decoder directory?' : `cannot read (${code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) return fail('not a JSON object');
  if (json.format !== DECODER_FORMAT)
    fail(`not a Lenscribe decoder config (format ${JSON.stringify(json.format)}, expected "${DECODER_FORMAT}")`);
  const v = json.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`invalid formatVersion ${JSON.stringify(v)}`);
  if ((v as number) > DECODER_FORMAT_VERSION) {
    fail(`decoder format version ${v} is newer than this Lenscribe reads (${DECODER_FORMAT_VERSION}); update Lenscribe to use this model`);
  }
  if (!isObject(json.decoder)) fail('"decoder" (the architecture) is missing');
  const config = json.decoder as unknown as DecoderConfig;
  try {
    validateConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  const feature = json.feature;
  if (!isObject(feature) || typeof feature.encoder !== 'string' || typeof feature.dim !== 'number') {
    fail('"feature" must name the encoder and the feature dimension');
  }
  if ((feature as Record<string, unknown>).dim !== config.featureDim) {
    fail(`feature.dim ${(feature as Record<string, unknown>).dim} differs from decoder.featureDim ${config.featureDim}`);
  }
  if (!isObject(json.files)) fail('"files" (sizes and hashes of the weights and vocabulary) is missing');
  for (const name of [VOCAB_FILE, WEIGHTS_FILE]) {
    const rec = (json.files as Record<string, unknown>)[name];
    if (!isObject(rec) || typeof rec.bytes !== 'number' || typeof rec.sha256 !== 'string')
      fail(`files["${name}"] must give bytes and sha256`);
  }
  return json as unknown as DecoderConfigJson;
}

/** Thrown when a file does not match the config's record: maybe a writer is mid-save. */
class MismatchError extends ModelFileError {}

function readChecked(file: string, rec: FileRecord): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (e as Error).message})`);
  }
  if (bytes.length !== rec.bytes) {
    throw new MismatchError(file, `is ${bytes.length} bytes but config.json records ${rec.bytes}; truncated, or from a different save`);
  }
  if (fileRecord(bytes).sha256 !== rec.sha256) {
    throw new MismatchError(file, 'content does not match the sha256 in config.json; corrupted, or from a different save');
  }
  return bytes;
}

export interface LoadDecoderOptions {
  /**
   * How `model` runs: 'onnx' (default) compiles the step into onnxruntime graphs with the
   * weights as constants (src/model/onnx-step-model.ts, ~4x faster for decoding);
   * 'reference' uses decoder.ts's DecoderStepModel over the shared matmul module.
   */
  backend?: 'onnx' | 'reference';
  /** onnxruntime threads for the 'onnx' backend (default: LENSCRIBE_THREADS or all cores). */
  threads?: number;
}

/**
 * Loads and validates a decoder directory. Throws ModelFileError (a UserError: one clear
 * line naming the file) when anything is missing, corrupt, mismatched or too new.
 * Loading never changes the directory (it may be read-only, or a trainer may be saving into
 * it): after an interrupted save it reads the committed files wherever they are, and if a
 * file changes under it (a save in progress) it reads again, up to five times.
 */
export function loadDecoder(dir: string, options: LoadDecoderOptions = {}): LoadedDecoder {
  if (!existsSync(dir)) throw new ModelFileError(dir, 'decoder directory not found');
  for (let attempt = 1; ; attempt++) {
    try {
      return loadOnce(dir, options);
    } catch (e) {
      if (!(e instanceof MismatchError) || attempt === 5) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}

function loadOnce(dir: string, options: LoadDecoderOptions): LoadedDecoder {
  const pending = existsSync(join(dir, CONFIG_FILE + PARTIAL)) ? pendingCommit(dir) : null;
  if (!pending) {
    return loadView(
      dir,
      { config: join(dir, CONFIG_FILE), files: { [VOCAB_FILE]: join(dir, VOCAB_FILE), [WEIGHTS_FILE]: join(dir, WEIGHTS_FILE) } },
      options,
    );
  }
  try {
    return loadView(dir, pending, options);
  } catch (e) {
    // A writer may have renamed the files meanwhile: read again.
    if (e instanceof ModelFileError && !(e instanceof MismatchError)) throw new MismatchError(e.file, e.problem);
    throw e;
  }
}

function loadView(dir: string, view: SaveView, options: LoadDecoderOptions): LoadedDecoder {
  const cfg = readDecoderConfig(dir, view.config);
  const config: DecoderConfig = canonicalConfig({
    featureDim: cfg.decoder.featureDim,
    embedDim: cfg.decoder.embedDim,
    hiddenDim: cfg.decoder.hiddenDim,
    layers: cfg.decoder.layers,
    vocabSize: cfg.decoder.vocabSize,
    dropout: cfg.decoder.dropout,
    conceptDim: cfg.decoder.conceptDim,
    attention: cfg.decoder.attention,
  });

  const vocabPath = view.files[VOCAB_FILE];
  const vocabBytes = readChecked(vocabPath, cfg.files[VOCAB_FILE]);
  let vocabJson: unknown;
  try {
    vocabJson = JSON.parse(vocabBytes.toString('utf8'));
  } catch (e) {
    throw new ModelFileError(vocabPath, `not valid JSON (${(e as Error).message})`);
  }
  let vocab: Vocabulary;
  try {
    vocab = Vocabulary.fromJSON(vocabJson, vocabPath);
  } catch (e) {
    throw new ModelFileError(vocabPath, (e as Error).message.replace(`${vocabPath}: `, ''));
  }
  if (vocab.size !== config.vocabSize) {
    throw new ModelFileError(vocabPath, `has ${vocab.size} words but config.json says vocabSize ${config.vocabSize}`);
  }

  const weightsPath = view.files[WEIGHTS_FILE];
  const { tensors } = decodeSafetensors(readChecked(weightsPath, cfg.files[WEIGHTS_FILE]), weightsPath);
  const shapes = paramShapes(config);
  const params: Params<Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const t = tensors.get(name);
    if (!t) throw new ModelFileError(weightsPath, `parameter ${name} is missing`);
    if (t.dtype !== 'F32') throw new ModelFileError(weightsPath, `parameter ${name} is ${t.dtype}, expected F32`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(
        weightsPath,
        `parameter ${name} has shape [${t.shape.join(', ')}], the config implies [${shape.join(', ')}]`,
      );
    }
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new ModelFileError(weightsPath, `parameter ${name} holds a non-finite value (${data[i]}) at index ${i}`);
    }
    params[name] = data;
  }
  for (const name of tensors.keys()) {
    if (!(name in shapes)) throw new ModelFileError(weightsPath, `unexpected tensor ${name}; the config does not describe this model`);
  }

  const bundle: DecoderBundle = {
    config,
    params,
    vocab,
    feature: cfg.feature,
    ...(cfg.training !== undefined ? { training: cfg.training } : {}),
  };
  return {
    ...bundle,
    dir,
    model:
      (options.backend ?? 'onnx') === 'onnx'
        ? new OnnxStepModel(params, options.threads !== undefined ? { threads: options.threads } : {})
        : new DecoderStepModel(params),
    formatVersion: cfg.formatVersion,
    savedAt: cfg.savedAt,
  };
}
