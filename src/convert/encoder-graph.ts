/**
 * Graph pieces both encoder converters (keras-to-onnx.ts, tfjs-graph-to-onnx.ts) use, on the
 * model layer's ONNX graph builder.
 */
import { DataType, type OnnxGraph } from '../model/onnx-graph.js';

/**
 * Input scaling from raw 0–255 RGB: x / divide − subtract (Keras preprocess_input mode 'tf'
 * is 127.5, 1). With `bgrMean` (mode 'caffe', the ResNet-50 weights' own), the channels are
 * then reversed to BGR and this mean, in BGR order, subtracted per channel.
 */
export interface InputScaling {
  divide: number;
  subtract: number;
  bgrMean?: readonly [number, number, number];
}

/** What both converters are told about the graph they write, besides its outputs. */
export interface EncoderGraphOptions {
  scaling: InputScaling;
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
}

/**
 * The encoders' input: `pixels`, raw 0–255 RGB uint8 NHWC [N,h,w,3], turned inside the graph
 * into float NCHW scaled as `scaling` says (an identity step is left out). Returns the
 * scaled tensor's name.
 */
export function pixelsInput(g: OnnxGraph, [h, w]: [number, number], scaling: InputScaling): string {
  const pixels = g.input('pixels', DataType.UINT8, ['N', h, w, 3]);
  const nchw = g.node('Transpose', [pixels], 'input_nchw', { perm: [0, 3, 1, 2] });
  const f = g.node('Cast', [nchw], 'input_float', { to: DataType.FLOAT });
  const div =
    scaling.divide === 1 ? f : g.node('Div', [f, g.constant('scale_divide', Float32Array.of(scaling.divide), [])], 'input_divided');
  const scaled =
    scaling.subtract === 0
      ? div
      : g.node('Sub', [div, g.constant('scale_subtract', Float32Array.of(scaling.subtract), [])], 'input_scaled');
  if (!scaling.bgrMean) return scaled;
  const bgr = g.node('Gather', [scaled, g.int64Constant('bgr_order', [2, 1, 0])], 'input_bgr', { axis: 1 });
  return g.node('Sub', [bgr, g.constant('bgr_mean', Float32Array.from(scaling.bgrMean), [1, 3, 1, 1])], 'input_centred');
}

/** The scaling in words, for model cards. */
export function describeScaling(s: InputScaling): string {
  const steps = [];
  if (s.divide !== 1) steps.push(`x / ${s.divide}`);
  if (s.subtract !== 0) steps.push(`− ${s.subtract}`);
  if (s.bgrMean)
    steps.push(`channels reversed to BGR, minus the BGR mean [${s.bgrMean.join(', ')}] (Keras preprocess_input, mode 'caffe')`);
  else if (s.divide === 127.5 && s.subtract === 1) steps.push("(Keras preprocess_input, mode 'tf')");
  return steps.length ? `inside the graph: ${steps.join(' ')}` : 'none: the graph takes 0–255 values as floats';
}

/** min(max(x, 0), max): ReLU6 and its kin, as one Clip. */
export function clipRelu(g: OnnxGraph, x: string, base: string, max = 6): string {
  return g.node('Clip', [x, g.constant(`${base}_min`, Float32Array.of(0), []), g.constant(`${base}_max`, Float32Array.of(max), [])], base);
}
