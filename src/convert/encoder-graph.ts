/**
 * Graph pieces both encoder converters (keras-to-onnx.ts, tfjs-graph-to-onnx.ts) use, on the
 * model layer's ONNX graph builder.
 */
import { DataType, type OnnxGraph } from '../model/onnx-graph.js';

/** What both converters are told about the graph they write, besides its outputs. */
export interface EncoderGraphOptions {
  /** Input scaling from raw 0–255: x / divide − subtract. */
  scaling: { divide: number; subtract: number };
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
}

/**
 * The encoders' input: `pixels`, raw 0–255 RGB uint8 NHWC [N,h,w,3], turned inside the graph
 * into float NCHW scaled as x / divide − subtract (an identity step is left out). Returns the
 * scaled tensor's name.
 */
export function pixelsInput(g: OnnxGraph, [h, w]: [number, number], scaling: { divide: number; subtract: number }): string {
  const pixels = g.input('pixels', DataType.UINT8, ['N', h, w, 3]);
  const nchw = g.node('Transpose', [pixels], 'input_nchw', { perm: [0, 3, 1, 2] });
  const f = g.node('Cast', [nchw], 'input_float', { to: DataType.FLOAT });
  const div =
    scaling.divide === 1 ? f : g.node('Div', [f, g.constant('scale_divide', Float32Array.of(scaling.divide), [])], 'input_divided');
  return scaling.subtract === 0
    ? div
    : g.node('Sub', [div, g.constant('scale_subtract', Float32Array.of(scaling.subtract), [])], 'input_scaled');
}

/** min(max(x, 0), max): ReLU6 and its kin, as one Clip. */
export function clipRelu(g: OnnxGraph, x: string, base: string, max = 6): string {
  return g.node('Clip', [x, g.constant(`${base}_min`, Float32Array.of(0), []), g.constant(`${base}_max`, Float32Array.of(max), [])], base);
}
