/**
 * Training checkpoints: the raw decoder parameters as one safetensors file (float32, readable
 * by standard tools) with the configuration and training position in its metadata; and the
 * training state a resumed run continues from (saveTrainingState): the weights, the best
 * epoch's weights and score, the early-stopping count, Adam's moments, the random streams'
 * positions and the epochs' history, in one file so they can never disagree.
 *
 * Written atomically: the bytes go to a temporary file beside the target, are flushed to disk,
 * and the temporary file is renamed over the target, so a crash at any moment leaves either
 * the previous checkpoint or the new one, never a torn file.
 *
 * This is the trainer's own artifact; a finished model (weights + config + vocabulary) is
 * saved by src/model/decoder-io.ts.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { encodeSafetensors, readSafetensors, ModelFileError, type TensorInput } from '../model/safetensors.js';
import { configFromParams, paramShapes } from '../model/decoder.js';
import { syncDir } from '../model/decoder-io.js';
import type { DecoderConfig, Params } from '../model/types.js';
import type { RngState } from '../model/rng.js';
import type { AdamState } from './optim.js';

export interface CheckpointInfo {
  epoch: number;
  step: number;
  /** The validation score that epoch reached (higher is better), if measured. */
  score?: number;
  /** Mean training loss of the epoch. */
  trainLoss?: number;
}

export const CHECKPOINT_KIND = 'lenscribe-decoder-checkpoint';

export function encodeCheckpoint(params: Params<Float32Array>, config: DecoderConfig, info: CheckpointInfo): Uint8Array {
  const shapes = paramShapes(config);
  const tensors: Record<string, TensorInput> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const data = params[name];
    if (!data) throw new Error(`checkpoint: missing parameter ${name}`);
    tensors[name] = { shape, data };
  }
  return encodeSafetensors(tensors, {
    kind: CHECKPOINT_KIND,
    config: JSON.stringify(config),
    info: JSON.stringify(info),
  });
}

/** Writes bytes to `path` atomically (temp file in the same folder, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dirname(path));
}

export function saveCheckpoint(path: string, params: Params<Float32Array>, config: DecoderConfig, info: CheckpointInfo): void {
  writeFileAtomic(path, encodeCheckpoint(params, config, info));
}

export interface LoadedCheckpoint {
  params: Params<Float32Array>;
  config: DecoderConfig;
  info: CheckpointInfo;
}

export function loadCheckpoint(path: string): LoadedCheckpoint {
  return fromContents(readSafetensors(path), path);
}

function fromContents(contents: ReturnType<typeof readSafetensors>, file: string): LoadedCheckpoint {
  const { tensors, metadata } = contents;
  if (metadata.kind !== CHECKPOINT_KIND) throw new ModelFileError(file, 'not a Lenscribe decoder checkpoint');
  let config: DecoderConfig;
  let info: CheckpointInfo;
  try {
    config = JSON.parse(metadata.config) as DecoderConfig;
    info = JSON.parse(metadata.info) as CheckpointInfo;
  } catch {
    throw new ModelFileError(file, 'checkpoint metadata is not valid JSON');
  }
  const params: Params<Float32Array> = {};
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) throw new ModelFileError(file, `${name} is ${t.dtype}, expected F32`);
    params[name] = t.data;
  }
  try {
    const found = configFromParams(params, config.dropout);
    for (const k of ['featureDim', 'embedDim', 'hiddenDim', 'layers', 'vocabSize'] as const) {
      if (found[k] !== config[k]) throw new Error(`${k} is ${found[k]} in the weights but ${config[k]} in the config`);
    }
  } catch (e) {
    throw new ModelFileError(file, (e as Error).message);
  }
  return { params, config, info };
}

// ---------------------------------------------------------------------------------------------
// The training state a resumed run continues from

export const TRAINING_STATE_KIND = 'lenscribe-training-state';

/** One finished epoch of a training run. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
  validationScore?: number;
  seconds: number;
  tokens: number;
}

/** Everything a training run carries from one epoch to the next. */
export interface TrainingState {
  config: DecoderConfig;
  /** Epochs finished; the next epoch to run (0-based) is this one. */
  epochsDone: number;
  /** Optimizer steps done. */
  step: number;
  /** The weights after the last finished epoch. */
  params: Params<Float32Array>;
  /** The best epoch so far (-1: none yet, the starting weights), its weights and validation score. */
  best: { params: Params<Float32Array>; epoch: number; score: number };
  /** Epochs since the best one (early stopping counts these against its patience). */
  sinceBest: number;
  adam: AdamState;
  /** Positions of the batch-order, dropout and concept-noise streams. */
  rngs: { shuffle: RngState; dropout: RngState; noise: RngState };
  history: EpochRecord[];
  /** The caller's own record of the run (e.g. the teach run's curve), saved in the same atomic write. */
  extra: Record<string, unknown>;
}

/** The small facts of a training state (its header only: cheap to read for a status line). */
export interface TrainingStateSummary {
  epochsDone: number;
  bestEpoch: number;
  bestScore: number;
  sinceBest: number;
}

interface StateMeta extends TrainingStateSummary {
  step: number;
  /** Best weights are the current ones (not stored twice). */
  bestIsCurrent: boolean;
  adamT: number;
  rngs: TrainingState['rngs'];
  history: EpochRecord[];
  extra: Record<string, unknown>;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Writes a training state atomically (temp file, fsync, rename, folder fsync): a kill leaves the previous state or this one. */
export function saveTrainingState(path: string, state: TrainingState): void {
  const tensors: Record<string, TensorInput> = {};
  const shapes = paramShapes(state.config);
  const bestIsCurrent = state.best.params === state.params;
  const put = (prefix: string, params: Record<string, Float32Array | Float64Array>, names: string[]) => {
    for (const name of names) {
      const data = params[name];
      if (!data) throw new Error(`training state: missing ${prefix}${name}`);
      tensors[`${prefix}${name}`] = { shape: shapes[name] ?? [data.length], data };
    }
  };
  put('params/', state.params, Object.keys(shapes));
  if (!bestIsCurrent) put('best/', state.best.params, Object.keys(shapes));
  put('adam.m/', state.adam.m, Object.keys(state.adam.m));
  put('adam.v/', state.adam.v, Object.keys(state.adam.v));
  const meta = {
    epochsDone: state.epochsDone,
    bestEpoch: state.best.epoch,
    bestScore: finiteOrNull(state.best.score),
    sinceBest: state.sinceBest,
    step: state.step,
    bestIsCurrent,
    adamT: state.adam.t,
    rngs: state.rngs,
    history: state.history,
    extra: state.extra,
  };
  writeFileAtomic(
    path,
    encodeSafetensors(tensors, { kind: TRAINING_STATE_KIND, config: JSON.stringify(state.config), state: JSON.stringify(meta) }),
  );
}

/** Reads a training state back, checking that its tensors fit its configuration. */
export function loadTrainingState(path: string): TrainingState {
  const { tensors, metadata } = readSafetensors(path);
  const { config, meta } = stateMetadata(metadata, path);
  const group = (prefix: string) => {
    const out: Record<string, Float32Array> = {};
    for (const [name, t] of tensors) {
      if (!name.startsWith(prefix)) continue;
      if (!(t.data instanceof Float32Array)) throw new ModelFileError(path, `${name} is ${t.dtype}, expected F32`);
      out[name.slice(prefix.length)] = t.data;
    }
    return out;
  };
  const params = checkedParams(group('params/'), config, path, 'weights');
  const best = meta.bestIsCurrent ? params : checkedParams(group('best/'), config, path, 'best weights');
  const m = group('adam.m/');
  const v = group('adam.v/');
  for (const [name, moment] of [...Object.entries(m), ...Object.entries(v)]) {
    if (!params[name] || params[name].length !== moment.length)
      throw new ModelFileError(path, `Adam moment of ${name} does not fit the weights`);
  }
  if (Object.keys(m).length !== Object.keys(v).length) throw new ModelFileError(path, 'Adam moments are incomplete');
  return {
    config,
    epochsDone: meta.epochsDone,
    step: meta.step,
    params,
    best: { params: best, epoch: meta.bestEpoch, score: meta.bestScore ?? -Infinity },
    sinceBest: meta.sinceBest,
    adam: { t: meta.adamT, m, v },
    rngs: meta.rngs,
    history: meta.history,
    extra: meta.extra ?? {},
  };
}

/** The epochs done and best epoch of a training state, from its header alone; null when the file is missing or not one. */
export function readTrainingStateSummary(path: string): TrainingStateSummary | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return null;
    const n = Number(head.readBigUInt64LE(0));
    if (!(n > 0 && n < 64 * 1024 * 1024)) return null;
    const header = Buffer.alloc(n);
    if (readSync(fd, header, 0, n, 8) !== n) return null;
    const parsed = JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> };
    const { meta } = stateMetadata(parsed.__metadata__ ?? {}, path);
    return { epochsDone: meta.epochsDone, bestEpoch: meta.bestEpoch, bestScore: meta.bestScore ?? -Infinity, sinceBest: meta.sinceBest };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function stateMetadata(
  metadata: Record<string, string>,
  file: string,
): { config: DecoderConfig; meta: StateMeta & { bestScore: number | null } } {
  if (metadata.kind !== TRAINING_STATE_KIND) throw new ModelFileError(file, 'not a Lenscribe training state');
  let config: DecoderConfig;
  let meta: StateMeta & { bestScore: number | null };
  try {
    config = JSON.parse(metadata.config) as DecoderConfig;
    meta = JSON.parse(metadata.state) as StateMeta & { bestScore: number | null };
  } catch {
    throw new ModelFileError(file, 'training state metadata is not valid JSON');
  }
  const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  if (!count(meta.epochsDone) || !count(meta.step) || !count(meta.sinceBest) || !count(meta.adamT) || !Number.isInteger(meta.bestEpoch))
    throw new ModelFileError(file, 'training state: epochs, steps or early-stopping count missing');
  if (!Array.isArray(meta.history) || meta.history.length !== meta.epochsDone)
    throw new ModelFileError(file, `training state: ${meta.history?.length} history records for ${meta.epochsDone} epochs`);
  return { config, meta };
}

function checkedParams(params: Params<Float32Array>, config: DecoderConfig, file: string, what: string): Params<Float32Array> {
  const shapes = paramShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (!params[name] || params[name].length !== n) throw new ModelFileError(file, `${what}: ${name} is missing or not ${shape.join('×')}`);
  }
  return params;
}
