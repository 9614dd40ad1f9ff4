/**
 * The model directory `models/<name>/`: everything needed to caption with one trained model.
 *
 *   model.json            this manifest (format "lenscribe-model", version 1): architecture,
 *                         encoder reference, feature layers, preprocessing, training data credit,
 *                         validation metrics, date, and the sha256 of every file
 *   weights.safetensors,  the decoder as src/model/decoder-io.ts saves it (saveDecoder), with
 *   vocab.json,           its own hashes in config.json
 *   config.json
 *   (encoder)             an ONNX encoder, either shared (`../encoders/mobilenet_v2/encoder.onnx`)
 *                         or inside the directory (`encoder.onnx`) for a bring-your-own encoder
 *
 * Loading checks the format, the version and every sha256 — files listed in `files` and the
 * encoder — and fails with a ModelDirError naming the file and both hashes on a mismatch.
 * docs/model-format.md is the user-facing description; keep the two in step.
 */
import { checkGuidanceSettings, type GuidanceSettings } from './concepts/concept-guidance.js';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../shared/errors.js';
import { modelsDir } from '../shared/paths.js';
import { CONFIG_FILE, loadDecoder, type LoadedDecoder } from './decoder-io.js';
import { canonicalConfig } from './decoder.js';
import type { DecoderConfig } from './types.js';

export const MODEL_FORMAT = 'lenscribe-model';
export const MODEL_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'model.json';

/** Credit and citation for models trained on Flickr8k (the bundled default model). */
export const FLICKR8K_CREDIT: TrainingData = {
  name: 'Flickr8k',
  description:
    'Flickr photos of everyday scenes, 5 English captions each by crowd workers (Amazon Mechanical Turk); released by UIUC for research use. The photos are not redistributed with this model.',
  citation:
    'M. Hodosh, P. Young and J. Hockenmaier (2013). Framing Image Description as a Ranking Task: Data, Models and Evaluation Metrics. Journal of Artificial Intelligence Research 47:853–899.',
  url: 'https://doi.org/10.1613/jair.3994',
};

export class ModelDirError extends UserError {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`model ${dir}: ${message}`);
    this.name = 'ModelDirError';
  }
}

/** How the encoder is fed: what a user declares for their own ONNX encoder. */
export interface EncoderInput {
  /** ONNX input name, e.g. `pixels`. */
  name: string;
  /** Square input side in pixels (224 for MobileNetV2, 299 for InceptionV3). */
  size: number;
  /** `NHWC` or `NCHW`. */
  layout: 'NHWC' | 'NCHW';
  /**
   * `uint8`: raw 0–255 RGB, any scaling happens inside the graph.
   * `float32`: the runtime feeds (pixel / 255 − mean) / std per channel.
   */
  dtype: 'uint8' | 'float32';
  /** Per-channel RGB mean and std on the 0–1 scale (float32 inputs only). */
  mean?: [number, number, number];
  std?: [number, number, number];
}

export interface EncoderRef {
  /** Encoder name, e.g. `mobilenet_v2` (a folder under models/encoders/) or the user's own. */
  name: string;
  /**
   * Path of the ONNX file relative to the model directory, or `models:<path>` relative to
   * Lenscribe's models folder (how a model outside it refers to a bundled encoder).
   */
  file: string;
  sha256: string;
  input: EncoderInput;
  /** Human-readable preprocessing (orientation, colour, resize, scaling). */
  preprocessing: Record<string, string>;
}

export interface FeatureSpec {
  /** Encoder outputs, concatenated in this order into the decoder's feature vector. */
  outputs: Array<{ name: string; dims: number[] }>;
  /** Length of the concatenated vector (= decoder featureDim). */
  dim: number;
  /** Average the features of the photo and its mirror image (test-time augmentation). */
  flipAverage?: boolean;
  /**
   * The encoder output holding the photo's concept scores (`concepts`, K wide: src/inference's
   * derived output), which the caption pipeline stores after the features and passes to a decoder
   * with conceptDim K > 0. Absent: no concepts (the app cannot caption with a K > 0 decoder then).
   */
  conceptOutput?: string;
  /**
   * The encoder output holding the photo's spatial grid (e.g. `resnet_grid`, G×Dg) that a decoder
   * with attention reads beside the feature. Absent: the decoder has no attention.
   */
  gridOutput?: string;
}

export interface TrainingData {
  name: string;
  description?: string;
  citation?: string;
  url?: string;
  /** Photos and captions the decoder was trained / validated on. */
  trainImages?: number;
  trainCaptions?: number;
  valImages?: number;
}

export interface ValidationMetrics {
  /** How the validation photos were chosen, e.g. "hash split, fraction 0.05". */
  split: string;
  images: number;
  /** BLEU and ROUGE-L are absent while training is still running (only CIDEr-D is measured per epoch). */
  bleu1?: number;
  bleu2?: number;
  bleu3?: number;
  bleu4?: number;
  rouge_l?: number;
  /** CIDEr-D on coco-caption's scale (can exceed 1). */
  cider: number;
  /** Mean cross-entropy per target token on the validation captions. */
  loss?: number;
  /** Decoding used for the figures. */
  beam?: number;
  noRepeatNgram?: number;
}

export interface FileEntry {
  sha256: string;
  bytes: number;
}

/**
 * The encoder outputs of a model's stored vector, in order: its feature outputs, then its concept
 * output if it reads concept scores. What the library caches per photo and the replay set holds.
 */
export function storedOutputNames(features: Pick<FeatureSpec, 'outputs' | 'conceptOutput'>): string[] {
  return [...features.outputs.map((o) => o.name), ...(features.conceptOutput ? [features.conceptOutput] : [])];
}

/** Photos as a decoder reads them: features (n×D) and, for a decoder with concept input, concept scores (n×K). */
export interface StoredInputs {
  features: Float32Array;
  concepts?: Float32Array;
}

/** n stored vectors (n×(D+K), row-major: features then concepts) split into what the decoder reads. */
export function storedRowInputs(rows: Float32Array, n: number, D: number, K: number): StoredInputs {
  if (rows.length < n * (D + K)) throw new RangeError(`storedRowInputs: ${rows.length} values for ${n} photos of ${D + K}`);
  if (K === 0) return { features: rows.length === n * D ? rows : rows.slice(0, n * D) };
  const features = new Float32Array(n * D);
  const concepts = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    features.set(rows.subarray(i * (D + K), i * (D + K) + D), i * D);
    concepts.set(rows.subarray(i * (D + K) + D, (i + 1) * (D + K)), i * K);
  }
  return { features, concepts };
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  version: number;
  name: string;
  description?: string;
  /** ISO 8601 time the model was written. */
  date: string;
  encoder: EncoderRef;
  features: FeatureSpec;
  decoder: {
    architecture: 'show-and-tell-lstm';
    config: DecoderConfig;
    /** File names inside the directory. */
    weights: string;
    vocabulary: string;
    /** Longest caption decoded, in words. */
    maxLength: number;
  };
  /**
   * Default decoding for captions: beam width, and `noRepeatNgram` = n blocks a word that would
   * repeat an n-gram ("a black hat and a black hat") or stand on both sides of "and"/"or"
   * ("a white and white dog"); absent or 0 = off. `guidance` (concept models only): guided
   * decoding from the concept scores, src/model/concepts/concept-guidance.ts; absent = off.
   */
  decoding: { beam: number; noRepeatNgram?: number; guidance?: GuidanceSettings };
  training: {
    data: TrainingData;
    /** The command that produced this model, for reproducing it. */
    command?: string;
    /** Options the trainer ran with (epochs, lr, batch, seed, …). */
    options?: Record<string, unknown>;
    epochs?: number;
    bestEpoch?: number;
    /** Per-epoch history (loss, validation CIDEr-D, seconds). */
    history?: Array<Record<string, number>>;
    /** The language-model pass before the photos, when there was one (captions, loss, seconds). */
    pretraining?: Record<string, number>;
    /** Seconds spent (feature extraction, training). */
    seconds?: Record<string, number>;
  };
  metrics?: ValidationMetrics;
  /** sha256 and size of every file of the directory, keyed by path relative to it. */
  files: Record<string, FileEntry>;
}

/** The manifest before `writeModelDir` fills in the bookkeeping. */
export type ManifestInput = Omit<ModelManifest, 'format' | 'version' | 'date' | 'files'> & { date?: string };

export interface LoadedModelDir {
  dir: string;
  manifest: ModelManifest;
  /** Absolute paths. */
  weightsPath: string;
  vocabularyPath: string;
  encoderPath: string;
}

/** sha256 of a file, hex, read in 4 MB chunks. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Write text via a temporary file and a rename, so a crash never leaves half a file. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Write `model.json` for a directory whose decoder files (and optionally encoder) are already in
 * place: hashes every file named by the manifest (weights, vocabulary, encoder if inside the
 * directory, plus `extraFiles`) and records them. Returns the manifest written.
 */
export function writeModelDir(dir: string, input: ManifestInput, extraFiles: string[] = []): ModelManifest {
  const root = resolve(dir);
  const names = new Set([input.decoder.weights, input.decoder.vocabulary, ...extraFiles]);
  const encoderAbs = resolveEncoderPath(root, input.encoder.file);
  if (!relative(root, encoderAbs).startsWith('..')) names.add(relative(root, encoderAbs));
  const files: Record<string, FileEntry> = {};
  for (const name of [...names].sort()) {
    const p = join(root, name);
    if (!existsSync(p)) throw new ModelDirError(root, `${name} is missing; write it before model.json`);
    files[name] = { sha256: sha256File(p), bytes: statSync(p).size };
  }
  if (!existsSync(encoderAbs)) throw new ModelDirError(root, `encoder ${input.encoder.file} not found at ${encoderAbs}`);
  const encoderSha = sha256File(encoderAbs);
  if (encoderSha !== input.encoder.sha256) {
    throw new ModelDirError(root, `encoder ${input.encoder.file} has sha256 ${encoderSha}, but the manifest says ${input.encoder.sha256}`);
  }
  const manifest: ModelManifest = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    ...input,
    decoder: { ...input.decoder, config: canonicalConfig(input.decoder.config) },
    date: input.date ?? new Date().toISOString(),
    files,
  };
  writeAtomic(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function need(cond: unknown, dir: string, what: string): asserts cond {
  if (!cond) throw new ModelDirError(dir, `model.json: ${what}`);
}

/** Check the manifest's shape well enough that later code can trust it. */
/** The decoder's inputs beside the feature: the concept and grid outputs they come from. */
function validateExtraInputs(f: FeatureSpec, config: DecoderConfig | undefined, dir: string): void {
  need(
    f.conceptOutput === undefined || (typeof f.conceptOutput === 'string' && f.conceptOutput.length > 0),
    dir,
    '"features.conceptOutput" must name an encoder output',
  );
  need(
    (f.gridOutput === undefined) === (config?.attention === undefined) &&
      (f.gridOutput === undefined || (typeof f.gridOutput === 'string' && f.gridOutput.length > 0)),
    dir,
    '"features.gridOutput" must name an encoder output exactly when the decoder has attention',
  );
  need(
    !(f.gridOutput && f.flipAverage),
    dir,
    '"features.flipAverage" cannot be combined with a grid (attention reads the photo unmirrored)',
  );
}

export function validateManifest(m: unknown, dir: string): ModelManifest {
  const x = m as ModelManifest;
  need(x && typeof x === 'object', dir, 'not a JSON object');
  need(x.format === MODEL_FORMAT, dir, `"format" must be "${MODEL_FORMAT}"`);
  need(Number.isInteger(x.version), dir, '"version" missing');
  if (x.version > MODEL_FORMAT_VERSION) {
    throw new ModelDirError(
      dir,
      `model.json version ${x.version} is newer than this Lenscribe understands (${MODEL_FORMAT_VERSION}); update Lenscribe`,
    );
  }
  need(
    x.encoder && typeof x.encoder.file === 'string' && /^[0-9a-f]{64}$/.test(x.encoder.sha256 ?? ''),
    dir,
    '"encoder" needs "file" and a sha256',
  );
  const inp = x.encoder.input;
  need(
    inp && typeof inp.name === 'string' && Number.isInteger(inp.size) && inp.size > 0,
    dir,
    '"encoder.input" needs "name" and a positive "size"',
  );
  need(inp.layout === 'NHWC' || inp.layout === 'NCHW', dir, '"encoder.input.layout" must be NHWC or NCHW');
  need(inp.dtype === 'uint8' || inp.dtype === 'float32', dir, '"encoder.input.dtype" must be uint8 or float32');
  if (inp.dtype === 'float32') {
    for (const k of ['mean', 'std'] as const) {
      const v = inp[k];
      need(
        v === undefined || (Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && Number.isFinite(n))),
        dir,
        `"encoder.input.${k}" must be three numbers`,
      );
    }
    need(!inp.std || inp.std.every((s) => s > 0), dir, '"encoder.input.std" must be positive');
  }
  const f = x.features;
  need(f && Array.isArray(f.outputs) && f.outputs.length > 0, dir, '"features.outputs" must list at least one encoder output');
  const dim = f.outputs.reduce((a, o) => a + (Array.isArray(o.dims) ? o.dims.reduce((p, d) => p * d, 1) : NaN), 0);
  need(dim === f.dim, dir, `"features.dim" is ${f.dim} but the outputs add up to ${dim}`);
  const d = x.decoder;
  need(d && d.architecture === 'show-and-tell-lstm', dir, '"decoder.architecture" must be "show-and-tell-lstm"');
  need(
    d.config && d.config.featureDim === f.dim,
    dir,
    `"decoder.config.featureDim" (${d.config?.featureDim}) must equal "features.dim" (${f.dim})`,
  );
  validateExtraInputs(f, d.config, dir);
  need(typeof d.weights === 'string' && typeof d.vocabulary === 'string', dir, '"decoder" needs "weights" and "vocabulary" file names');
  const dec = x.decoding;
  need(dec && Number.isInteger(dec.beam) && dec.beam >= 1 && dec.beam <= 20, dir, '"decoding.beam" must be an integer from 1 to 20');
  need(
    dec.noRepeatNgram === undefined || (Number.isInteger(dec.noRepeatNgram) && dec.noRepeatNgram >= 0 && dec.noRepeatNgram <= 10),
    dir,
    '"decoding.noRepeatNgram" must be an integer from 0 to 10',
  );
  if (dec.guidance !== undefined) {
    need(f.conceptOutput !== undefined && (d.config?.conceptDim ?? 0) > 0, dir, '"decoding.guidance" needs a decoder with concept input');
    try {
      checkGuidanceSettings(dec.guidance);
    } catch (e) {
      need(false, dir, `"decoding.guidance": ${(e as Error).message}`);
    }
    // No text-only caption trained an attending decoder's attention: it has no concepts-alone path.
    need(
      dec.guidance.unfamiliarAbove === undefined || !d.config?.attention,
      dir,
      '"decoding.guidance.unfamiliarAbove" is not for a decoder with attention',
    );
  }
  need(x.files && typeof x.files === 'object', dir, '"files" missing');
  need(x.files[d.weights] && x.files[d.vocabulary], dir, '"files" must list the decoder weights and vocabulary');
  for (const name of Object.keys(x.files)) {
    need(!isAbsolute(name) && !relative('.', name).startsWith('..'), dir, `file "${name}" must be inside the model directory`);
  }
  return x;
}

export interface LoadOptions {
  /** Verify sha256 of every file (default true). */
  verify?: boolean;
}

/** Read and check a model directory. Throws ModelDirError with the file and problem. */
export function loadModelDir(dir: string, options: LoadOptions = {}): LoadedModelDir {
  const root = resolve(dir);
  const manifestPath = join(root, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new ModelDirError(root, existsSync(root) ? 'no model.json (not a model directory?)' : 'directory does not exist');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new ModelDirError(root, `model.json is not valid JSON (${(err as Error).message})`);
  }
  const manifest = validateManifest(parsed, root);
  const encoderPath = resolveEncoderPath(root, manifest.encoder.file);
  if (options.verify ?? true) {
    for (const [name, entry] of Object.entries(manifest.files)) {
      const p = join(root, name);
      if (!existsSync(p)) throw new ModelDirError(root, `${name} is missing`);
      const size = statSync(p).size;
      if (size !== entry.bytes)
        throw new ModelDirError(root, `${name} is ${size} bytes, model.json says ${entry.bytes} (truncated or replaced?)`);
      const sha = sha256File(p);
      if (sha !== entry.sha256)
        throw new ModelDirError(root, `${name} has sha256 ${sha}, model.json says ${entry.sha256} (corrupt or replaced)`);
    }
    if (!existsSync(encoderPath)) throw new ModelDirError(root, `encoder ${manifest.encoder.file} not found at ${encoderPath}`);
    const sha = sha256File(encoderPath);
    if (sha !== manifest.encoder.sha256) {
      throw new ModelDirError(
        root,
        `encoder ${manifest.encoder.file} has sha256 ${sha}, model.json says ${manifest.encoder.sha256} (a different encoder build?)`,
      );
    }
  }
  return {
    dir: root,
    manifest,
    weightsPath: join(root, manifest.decoder.weights),
    vocabularyPath: join(root, manifest.decoder.vocabulary),
    encoderPath,
  };
}

/**
 * A model ready to caption: the checked manifest plus the decoder loaded through model-io.
 * Also checks that the decoder's own config agrees with model.json.
 */
export function loadModel(dir: string, options: LoadOptions = {}): LoadedModelDir & { decoder: LoadedDecoder } {
  const loaded = loadModelDir(dir, options);
  const decoder = loadDecoder(loaded.dir);
  const want = loaded.manifest.decoder.config;
  for (const k of ['featureDim', 'embedDim', 'hiddenDim', 'layers', 'vocabSize'] as const) {
    if (decoder.config[k] !== want[k]) {
      throw new ModelDirError(loaded.dir, `${CONFIG_FILE} has ${k} ${decoder.config[k]} but model.json says ${want[k]}`);
    }
  }
  // Absent is 0: a manifest written before concepts describes a decoder without them.
  const [haveK, wantK] = [decoder.config.conceptDim ?? 0, want.conceptDim ?? 0];
  if (haveK !== wantK) throw new ModelDirError(loaded.dir, `${CONFIG_FILE} has conceptDim ${haveK} but model.json says ${wantK}`);
  const [haveA, wantA] = [decoder.config.attention, want.attention];
  const sameAttention =
    haveA === undefined || wantA === undefined
      ? haveA === wantA
      : haveA.gridDim === wantA.gridDim && haveA.memoryDim === wantA.memoryDim && haveA.attentionDim === wantA.attentionDim;
  if (!sameAttention) throw new ModelDirError(loaded.dir, `${CONFIG_FILE} and model.json describe different attention`);
  return { ...loaded, decoder };
}

const MODELS_PREFIX = 'models:';

/** Absolute path of the encoder a manifest names (see EncoderRef.file). */
export function resolveEncoderPath(modelDir: string, file: string): string {
  if (file.startsWith(MODELS_PREFIX)) return resolve(modelsDir, file.slice(MODELS_PREFIX.length));
  return resolve(modelDir, file);
}

/**
 * What to write as `encoder.file` for an encoder at `encoderPath`: relative to the model
 * directory when both live in Lenscribe's models folder (or the encoder is inside the model
 * directory), else `models:<path>` for a bundled encoder, else the absolute path.
 */
export function encoderFileRef(modelDir: string, encoderPath: string): string {
  const dir = resolve(modelDir);
  const enc = resolve(encoderPath);
  const posix = (p: string) => p.split('\\').join('/');
  const inside = (parent: string, child: string) => !relative(parent, child).startsWith('..') && !isAbsolute(relative(parent, child));
  if (inside(dir, enc) || (inside(modelsDir, dir) && inside(modelsDir, enc))) return posix(relative(dir, enc));
  if (inside(modelsDir, enc)) return MODELS_PREFIX + posix(relative(modelsDir, enc));
  return enc;
}
