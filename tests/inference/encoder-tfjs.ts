/**
 * Reference for the encoder tests: @tensorflow/tfjs (pure JS CPU backend) loading the very
 * same Keras model and shards that nsfwjs ships, through its own loader and dequantizer.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { nsfwjsModelDir } from '../../src/convert/keras-source.js';

const require = createRequire(import.meta.url);

export async function loadTfjsModel(nsfwjsModel: string): Promise<tf.LayersModel> {
  await tf.setBackend('cpu');
  const dir = nsfwjsModelDir(nsfwjsModel);
  const wrapper = require(join(dir, 'model.min.js')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const group = wrapper.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p) => Buffer.from(require(join(dir, `${p}.min.js`)) as string, 'base64')));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel({
    load: async () => ({ modelTopology: wrapper.modelTopology, weightSpecs: group.weights, weightData }),
  });
}

/**
 * Runs the Keras model on raw 0–255 RGB images (N×H×W×3 uint8) scaled the Keras way
 * (x/127.5 − 1) and returns, per requested layer, the activation pooled over space
 * (`pooled`), as an NHWC grid (`grid`) or as is (`raw`).
 */
export function tfjsFeatures(
  model: tf.LayersModel,
  pixels: Uint8Array,
  n: number,
  size: [number, number],
  outputs: Array<{ name: string; layer: string; kind: 'pooled' | 'grid' | 'raw' }>,
): Record<string, Float32Array> {
  const layers = [...new Set(outputs.map((o) => o.layer))];
  const sub = tf.model({ inputs: model.inputs, outputs: layers.map((l) => model.getLayer(l).output as tf.SymbolicTensor) });
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels), [n, size[0], size[1], 3]).div(127.5).sub(1);
    let ys = sub.predict(x);
    if (!Array.isArray(ys)) ys = [ys];
    const result: Record<string, Float32Array> = {};
    outputs.forEach((o) => {
      const y = (ys as tf.Tensor[])[layers.indexOf(o.layer)];
      result[o.name] = (o.kind === 'pooled' ? y.mean([1, 2]) : y).dataSync() as Float32Array;
    });
    return result;
  });
}
