/**
 * Training checkpoints: the raw decoder parameters as one safetensors file (float32, readable
 * by standard tools) with the configuration and training position in its metadata.
 *
 * Written atomically: the bytes go to a temporary file beside the target, are flushed to disk,
 * and the temporary file is renamed over the target, so a crash at any moment leaves either
 * the previous checkpoint or the new one, never a torn file.
 *
 * This is the trainer's own artifact; a finished model (weights + config + vocabulary) is
 * saved by src/model/decoder-io.ts.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { encodeSafetensors, readSafetensors, ModelFileError, type TensorInput } from '../model/safetensors.js';
import { configFromParams, paramShapes } from '../model/decoder.js';
import type { DecoderConfig, Params } from '../model/types.js';

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
