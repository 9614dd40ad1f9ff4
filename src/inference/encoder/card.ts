/**
 * The model card of an encoder (models/encoders/<name>/card.json): what the runtime needs
 * to feed the graph and name its outputs, and the sha256 that identifies this exact file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir as defaultModelsDir } from '../../shared/paths.js';
import { derivedOutputs } from './derived-outputs.js';

/** `concepts`: a derived output (derived-outputs.ts), never in a card. */
export type OutputRole = 'final' | 'imagenet' | 'grid' | 'objects' | 'detector' | 'classes' | 'concepts';

export interface EncoderOutput {
  /** ONNX output name, e.g. `out_relu`. */
  name: string;
  role: OutputRole;
  /** Keras layer (or TF graph node) the feature comes from. */
  layer: string;
  /** `pooled`: [C], reduced over space (global average, or maximum where the description says so); `grid`: [H,W,C]. */
  kind: 'pooled' | 'grid' | 'raw';
  /** Dims per image (batch dimension left out). */
  dims: number[];
  description: string;
  /** Computed after the graph runs from these graph outputs (derived-outputs.ts); `version` is part of its cache key. */
  derived?: { from: string[]; version: string };
}

export interface EncoderCard {
  name: string;
  architecture: string;
  file: string;
  sha256: string;
  bytes: number;
  source: { package: string; version: string; files: string; format: string };
  licence: string;
  credit: string;
  converter: string;
  layers: number;
  input: { name: string; dtype: 'uint8'; layout: 'NHWC'; shape: [string, number, number, number]; size: number };
  preprocessing: { orientation: string; colour: string; resize: string; scaling: string; note?: string };
  outputs: EncoderOutput[];
  opset: number;
  /** Classifiers: the class names of the `classes` output, a JSON array in class-index order, beside card.json. */
  labels?: { file: string; count: number; output: string };
  /** int8 encoders: how they were quantized from their float32 network, and how close they stay. */
  quantization?: { from: string; scheme: string; calibration: string; fidelity: string };
}

export const ENCODER_NAMES = [
  'mobilenet_v2',
  'mobilenet_v2_int8',
  'inception_v3',
  'mobilenet_v3_centernet',
  'resnet50',
  'resnet50_int8',
  'centernet_resnet50',
] as const;
/** The encoder openEncoder opens when no name is given. */
export const DEFAULT_ENCODER_NAME = 'mobilenet_v3_centernet';
export type EncoderName = (typeof ENCODER_NAMES)[number];

export function encoderDir(name: string, modelsDir = defaultModelsDir): string {
  return join(modelsDir, 'encoders', name);
}

export function loadCard(name: string, modelsDir = defaultModelsDir): EncoderCard {
  return JSON.parse(readFileSync(join(encoderDir(name, modelsDir), 'card.json'), 'utf8')) as EncoderCard;
}

/** Stable id for feature caches: changes whenever the encoder file changes. */
export function encoderId(card: Pick<EncoderCard, 'name' | 'sha256'>): string {
  return `${card.name}@${card.sha256.slice(0, 16)}`;
}

/** Every output an encoder offers: its graph's (the card's), then the derived ones (`concepts` when it has both sources). */
export function encoderOutputs(card: EncoderCard): EncoderOutput[] {
  return [...card.outputs, ...derivedOutputs(card.outputs)];
}

/**
 * Resolves output names or roles (`final`, `imagenet`, `grid`, `concepts`) to the encoder's outputs;
 * none asked = every pooled graph output (a derived output is only given when asked for).
 */
export function resolveOutputs(card: EncoderCard, wanted: readonly string[] | undefined): EncoderOutput[] {
  if (!wanted || wanted.length === 0) return card.outputs.filter((o) => o.kind === 'pooled');
  const offered = encoderOutputs(card);
  return wanted.map((w) => {
    const o = offered.find((x) => x.name === w) ?? offered.find((x) => x.role === w);
    if (!o) throw new Error(`encoder ${card.name} has no output ${w}; it has ${offered.map((x) => `${x.name} (${x.role})`).join(', ')}`);
    return o;
  });
}
