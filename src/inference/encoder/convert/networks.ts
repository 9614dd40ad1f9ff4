/**
 * The encoders we build from nsfwjs's Keras models, and the function that converts one.
 * Output roles let callers stay network-agnostic: `final` (pooled last block),
 * `imagenet` (pooled last block whose weights are untouched ImageNet weights; the blocks
 * above it were fine-tuned by nsfwjs for its 5-class task) and `grid` (last block, H×W×C).
 */
import { convertKeras, type ConvertedModel, type OutputSpec } from './keras-to-onnx.js';
import { nsfwjsModelDir, readKerasModel } from './keras-source.js';

export type OutputRole = 'final' | 'imagenet' | 'grid';

export interface NetworkSpec {
  /** Encoder name: folder under models/encoders/. */
  name: string;
  /** Folder under nsfwjs/dist/models/. */
  nsfwjsModel: string;
  architecture: string;
  outputs: Array<OutputSpec & { role: OutputRole; description: string }>;
  /** Layers of the nsfwjs classifier head, converted only to verify the conversion. */
  head: OutputSpec;
}

export const NETWORKS: Record<string, NetworkSpec> = {
  mobilenet_v2: {
    name: 'mobilenet_v2',
    nsfwjsModel: 'mobilenet_v2',
    architecture: 'MobileNetV2 (alpha 1.0)',
    outputs: [
      { name: 'out_relu', layer: 'out_relu', kind: 'pooled', role: 'final', description: 'global average of the last block (fine-tuned by nsfwjs)' },
      { name: 'block_10_expand_relu', layer: 'block_10_expand_relu', kind: 'pooled', role: 'imagenet', description: 'global average of the last layer with untouched ImageNet weights' },
      { name: 'out_relu_grid', layer: 'out_relu', kind: 'grid', role: 'grid', description: 'last block as a spatial grid, NHWC' },
    ],
    head: { name: 'nsfw_probs', layer: 'dense_3', kind: 'raw' },
  },
  inception_v3: {
    name: 'inception_v3',
    nsfwjsModel: 'inception_v3',
    architecture: 'InceptionV3',
    outputs: [
      { name: 'mixed10', layer: 'mixed10', kind: 'pooled', role: 'final', description: 'global average of the last mixed block (fine-tuned by nsfwjs)' },
      { name: 'mixed5', layer: 'mixed5', kind: 'pooled', role: 'imagenet', description: 'global average of the last mixed block with untouched ImageNet weights' },
      { name: 'mixed10_grid', layer: 'mixed10', kind: 'grid', role: 'grid', description: 'last mixed block as a spatial grid, NHWC' },
    ],
    head: { name: 'nsfw_probs', layer: 'dense_3', kind: 'raw' },
  },
};

/**
 * int8 encoders: a network above, quantized (quantize.ts) with the activation ranges in the
 * committed models/encoders/<name>/calibration.json. Same input and output names as `from`.
 */
export interface QuantizedSpec {
  name: string;
  /** The float32 network it is quantized from. */
  from: string;
  architecture: string;
}

export const QUANTIZED: Record<string, QuantizedSpec> = {
  mobilenet_v2_int8: { name: 'mobilenet_v2_int8', from: 'mobilenet_v2', architecture: 'MobileNetV2 (alpha 1.0), int8 weights and activations' },
};

/** Keras preprocessing for both networks (keras.applications `preprocess_input`, mode 'tf'). */
export const SCALING = { divide: 127.5, subtract: 1 };

export interface ConvertedNetwork extends ConvertedModel {
  spec: NetworkSpec;
  source: { package: string; version: string; model: string; kerasVersion: string };
}

/** Converts one network; `withHead` also exposes nsfwjs's 5-class softmax (verification only). */
export function convertNetwork(name: string, { withHead = false } = {}): ConvertedNetwork {
  const spec = NETWORKS[name];
  if (!spec) throw new Error(`unknown encoder ${name}; known: ${Object.keys(NETWORKS).join(', ')}`);
  const keras = readKerasModel(nsfwjsModelDir(spec.nsfwjsModel));
  const outputs: OutputSpec[] = spec.outputs.map(({ name: n, layer, kind }) => ({ name: n, layer, kind }));
  if (withHead) outputs.push(spec.head);
  const source = { package: keras.sourcePackage.name, version: keras.sourcePackage.version, model: spec.nsfwjsModel, kerasVersion: keras.kerasVersion };
  const converted = convertKeras(keras, {
    outputs,
    scaling: SCALING,
    graphName: spec.name,
    docString: `${spec.architecture} from ${source.package}@${source.version} (${source.model}), converted by Lenscribe. Licence MIT; weights by the nsfwjs authors (Infinite Red), lower blocks ImageNet.`,
    metadata: { source: `${source.package}@${source.version}/${source.model}`, input: 'pixels uint8 NHWC RGB 0-255, squashed to the input size', scaling: 'x/127.5-1' },
  });
  return { ...converted, spec, source };
}
