/**
 * TensorFlow.js graph model (a frozen TF GraphDef as JSON + a weights file) -> ONNX graph,
 * for the ops a MobileNet-style detector uses. Tensors are NHWC in TF and NCHW inside the
 * ONNX graph (NHWC uint8 pixels at the input, like the Keras converter's encoders).
 *
 * Facts this relies on, checked against tfjs running the same model (tests/inference/encoder-graph-conversion.test.ts):
 *  - `_FusedConv2D` / `FusedDepthwiseConv2dNative` carry `fused_ops` [BiasAdd(, Relu|Relu6)]
 *    with the bias as their third input; kernels are [kh,kw,in,out] (conv) and [kh,kw,C,m]
 *    (depthwise, -> [C·m,1,kh,kw] with group=C).
 *  - TF 'SAME' puts the odd padding pixel at the end, which is ONNX's auto_pad SAME_UPPER; with
 *    auto_pad the graph accepts any input size, so the input size is the converter's choice.
 *  - `ResizeBilinear` with align_corners and half_pixel_centers both false is ONNX Resize
 *    (linear, asymmetric coordinates); the detectors here always double the size, so the graph
 *    uses scale 2 rather than the size constant frozen for the training resolution.
 *  - `Mean` over axes [1,2] with keep_dims is GlobalAveragePool.
 *  - Weights quantized to float16 by the tfjs converter decode exactly to float32.
 */
import { OnnxGraph } from '../model/onnx-graph.js';
import { clipRelu, pixelsInput, type EncoderGraphOptions } from './encoder-graph.js';

export interface TfjsGraphModel {
  /** GraphDef nodes (tfjs `model.json` → modelTopology.node). */
  nodes: TfNode[];
  /** Decoded constants by node name. */
  constants: Map<string, { shape: number[]; data: Float32Array | Int32Array }>;
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<
    string,
    { s?: string; b?: boolean; i?: string; f?: number; list?: { s?: string[]; i?: string[] }; type?: string; shape?: unknown }
  >;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'float16' | 'uint8' | 'uint16'; min?: number; scale?: number; original_dtype?: string };
}

/** Parses a tfjs graph model from its `model.json` text and its weights file(s), concatenated. */
export function readTfjsGraphModel(json: string, weights: Uint8Array): TfjsGraphModel {
  const j = JSON.parse(json) as { format?: string; modelTopology: { node: TfNode[] }; weightsManifest: Array<{ weights: WeightSpec[] }> };
  if (j.format !== 'graph-model' || !Array.isArray(j.modelTopology?.node)) throw new Error('not a tfjs graph model');
  const constants = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>();
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  let offset = 0;
  for (const spec of j.weightsManifest.flatMap((g) => g.weights)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const q = spec.quantization;
    if (spec.dtype === 'int32' && !q) {
      constants.set(spec.name, {
        shape: spec.shape,
        data: Int32Array.from({ length: size }, (_, i) => view.getInt32(offset + 4 * i, true)),
      });
      offset += 4 * size;
    } else if (spec.dtype === 'float32' && !q) {
      constants.set(spec.name, {
        shape: spec.shape,
        data: Float32Array.from({ length: size }, (_, i) => view.getFloat32(offset + 4 * i, true)),
      });
      offset += 4 * size;
    } else if (spec.dtype === 'float32' && q?.dtype === 'float16') {
      constants.set(spec.name, {
        shape: spec.shape,
        data: Float32Array.from({ length: size }, (_, i) => halfToFloat(view.getUint16(offset + 2 * i, true))),
      });
      offset += 2 * size;
    } else {
      throw new Error(`weight ${spec.name}: ${spec.dtype}${q ? ` quantized to ${q.dtype}` : ''} not supported`);
    }
  }
  if (offset !== weights.byteLength) throw new Error(`manifest describes ${offset} bytes but the weights file holds ${weights.byteLength}`);
  return { nodes: j.modelTopology.node, constants };
}

/** IEEE 754 binary16 -> number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** One graph output: a TF node's activation, reduced over space. */
export interface GraphOutputSpec {
  name: string;
  node: string;
  /** `mean`: global average, [N,C]; `max`: global maximum, [N,C]. */
  pool: 'mean' | 'max';
}

export interface GraphConvertOptions extends EncoderGraphOptions {
  outputs: GraphOutputSpec[];
  /** Square input side the graph declares (any multiple of 32 works for these networks). */
  inputSize: number;
}

export interface GraphConvertedModel {
  bytes: Uint8Array;
  /** Output dims without the batch dimension. */
  outputDims: Record<string, number[]>;
  /** TF operation nodes converted (constants not counted). */
  nodeCount: number;
}

const text = (b64: string | undefined) => (b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8'));

export function convertTfjsGraph(model: TfjsGraphModel, opts: GraphConvertOptions): GraphConvertedModel {
  // Five stride-2 stages, then upsampling back by 2 and concatenation with the skip branches:
  // any other size leaves the branches one pixel apart.
  if (!Number.isInteger(opts.inputSize) || opts.inputSize <= 0 || opts.inputSize % 32 !== 0)
    throw new Error(`input size must be a positive multiple of 32, got ${opts.inputSize}`);
  const converter = new GraphConverter(model, opts);
  const { g } = converter;
  g.reserve(opts.outputs.map((o) => o.name));
  const outputDims: Record<string, number[]> = {};
  for (const o of opts.outputs) {
    const t = converter.convert(o.node);
    const pooled =
      o.pool === 'mean' ? g.node('GlobalAveragePool', [t.name], `${o.name}_gap`) : g.node('GlobalMaxPool', [t.name], `${o.name}_gmp`);
    g.output(g.node('Flatten', [pooled], `${o.name}_flat`, { axis: 1 }), o.name, ['N', t.channels]);
    outputDims[o.name] = [t.channels];
  }
  const bytes = g.encode({
    producer: 'lenscribe-tfjs2onnx',
    version: '1',
    docString: opts.docString,
    graphName: opts.graphName,
    metadata: opts.metadata,
  });
  return { bytes, outputDims, nodeCount: converter.convertedCount };
}

/** ONNX name and channel count of a converted TF node (NCHW). */
interface Converted {
  name: string;
  channels: number;
}

const source = (input: string) => input.replace(/^\^/, '').replace(/:\d+$/, '');

/** Converts TF nodes depth first from the outputs, each once. */
class GraphConverter {
  readonly g = new OnnxGraph();
  private readonly byName: Map<string, TfNode>;
  private readonly done = new Map<string, Converted>();
  private readonly visiting = new Set<string>();

  constructor(
    private readonly model: TfjsGraphModel,
    private readonly opts: GraphConvertOptions,
  ) {
    this.byName = new Map(model.nodes.map((n) => [n.name, n]));
  }

  get convertedCount(): number {
    return this.done.size;
  }

  convert(nodeName: string): Converted {
    const hit = this.done.get(nodeName);
    if (hit) return hit;
    const node = this.byName.get(nodeName);
    if (!node) throw new Error(`node ${nodeName} not in the graph`);
    if (this.visiting.has(nodeName)) throw new Error(`cycle at ${nodeName}`);
    this.visiting.add(nodeName);
    const out = this.convertNode(node, (node.input ?? []).filter((i) => !i.startsWith('^')).map(source));
    this.visiting.delete(nodeName);
    this.done.set(nodeName, out);
    return out;
  }

  private constant(name: string) {
    const c = this.model.constants.get(name);
    if (!c) throw new Error(`constant ${name} has no weights`);
    return c;
  }

  private floats(name: string) {
    const c = this.constant(name);
    if (!(c.data instanceof Float32Array)) throw new Error(`constant ${name} is not float32`);
    return c as { shape: number[]; data: Float32Array };
  }

  /** One TF node as ONNX nodes; `ins` are its data inputs' node names. */
  private convertNode(node: TfNode, ins: string[]): Converted {
    const { g } = this;
    const a = node.attr ?? {};
    switch (node.op) {
      case 'Placeholder':
        return { name: pixelsInput(g, [this.opts.inputSize, this.opts.inputSize], this.opts.scaling), channels: 3 };
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.convolution(node, ins);
      case 'Add':
      case 'AddV2':
      case 'Mul':
      case 'Sub': {
        const [p, q] = ins.map((i) => this.operand(i));
        const op = node.op === 'AddV2' ? 'Add' : node.op;
        return { name: g.node(op, [p!.name, q!.name], node.name), channels: Math.max(p!.channels, q!.channels) };
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid': {
        const x = this.convert(ins[0]);
        return { name: node.op === 'Relu6' ? clipRelu(g, x.name, node.name) : g.node(node.op, [x.name], node.name), channels: x.channels };
      }
      case 'Identity':
        return this.convert(ins[0]);
      case 'Mean': {
        const axes = [...this.constant(ins[1]).data];
        if (axes.join() !== '1,2' || !a.keep_dims?.b) throw new Error(`${node.name}: Mean over ${axes} not supported`);
        const x = this.convert(ins[0]);
        return { name: g.node('GlobalAveragePool', [x.name], node.name), channels: x.channels };
      }
      case 'ResizeBilinear': {
        if (a.align_corners?.b || a.half_pixel_centers?.b) throw new Error(`${node.name}: only asymmetric bilinear resize is supported`);
        const x = this.convert(ins[0]);
        const scales = g.constant(`${node.name}_scales`, Float32Array.of(1, 1, 2, 2), [4]);
        return {
          name: g.node('Resize', [x.name, '', scales], node.name, { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }),
          channels: x.channels,
        };
      }
      case 'ConcatV2':
        return this.concat(node, ins);
      default:
        throw new Error(`${node.name}: op ${node.op} not supported`);
    }
  }

  private convolution(node: TfNode, ins: string[]): Converted {
    const { g } = this;
    const a = node.attr ?? {};
    if (text(a.data_format?.s) !== 'NHWC') throw new Error(`${node.name}: data_format ${text(a.data_format?.s)} not supported`);
    const dil = (a.dilations?.list?.i ?? ['1', '1', '1', '1']).map(Number);
    if (dil.some((d) => d !== 1)) throw new Error(`${node.name}: dilation not supported`);
    const x = this.convert(ins[0]);
    const k = this.floats(ins[1]);
    const [kh, kw, cin, m] = k.shape as [number, number, number, number];
    const depthwise = node.op.includes('Depthwise');
    const outC = depthwise ? cin * m : m;
    const w = onnxKernel(k.data, kh, kw, cin, m, depthwise);
    const fused = (a.fused_ops?.list?.s ?? []).map((s) => text(s));
    const inputs = [x.name, g.constant(`${node.name}_W`, w, depthwise ? [outC, 1, kh, kw] : [outC, cin, kh, kw])];
    if (fused.length) {
      if (fused[0] !== 'BiasAdd' || ins.length !== 3) throw new Error(`${node.name}: fused ops ${fused.join('+')} not supported`);
      inputs.push(g.constant(`${node.name}_b`, this.floats(ins[2]).data, [outC]));
    }
    const strides = (a.strides?.list?.i ?? []).map(Number);
    const padding = text(a.padding?.s);
    if (padding !== 'SAME' && padding !== 'VALID') throw new Error(`${node.name}: padding ${padding} not supported`);
    let y = g.node('Conv', inputs, node.name, {
      kernel_shape: [kh, kw],
      strides: [strides[1], strides[2]],
      auto_pad: padding === 'SAME' ? 'SAME_UPPER' : 'VALID',
      ...(depthwise ? { group: cin } : {}),
    });
    for (const act of fused.slice(1)) {
      if (act === 'Relu') y = g.node('Relu', [y], `${node.name}_relu`);
      else if (act === 'Relu6') y = clipRelu(g, y, node.name);
      else throw new Error(`${node.name}: fused activation ${act} not supported`);
    }
    return { name: y, channels: outC };
  }

  private concat(node: TfNode, ins: string[]): Converted {
    const axis = this.constant(ins[ins.length - 1]).data[0];
    if (axis !== 3 && axis !== -1) throw new Error(`${node.name}: concat axis ${axis} not supported`);
    const parts = ins.slice(0, -1).map((i) => this.convert(i));
    return {
      name: this.g.node(
        'Concat',
        parts.map((p) => p.name),
        node.name,
        { axis: 1 },
      ),
      channels: parts.reduce((s, p) => s + p.channels, 0),
    };
  }

  /** A node's tensor, or a scalar/per-channel constant shaped to broadcast over NCHW. */
  private operand(name: string): Converted {
    const node = this.byName.get(name);
    if (node?.op !== 'Const') return this.convert(name);
    const c = this.floats(name);
    const n = c.data.length;
    if (n === 1) return { name: this.g.constant(name, c.data, []), channels: 1 };
    // Anything else must be per channel (NHWC [C] or [1,1,1,C]) to broadcast the same way in NCHW.
    if (c.shape.slice(0, -1).some((d) => d !== 1)) throw new Error(`constant ${name} of shape [${c.shape}] is not per-channel`);
    return { name: this.g.constant(name, c.data, [n, 1, 1]), channels: n };
  }
}

/** TF [kh,kw,in,out] -> ONNX [out,in,kh,kw]; depthwise TF [kh,kw,C,m] -> ONNX [C·m,1,kh,kw]. */
function onnxKernel(data: Float32Array, kh: number, kw: number, cin: number, m: number, depthwise: boolean): Float32Array {
  const w = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let z = 0; z < kw; z++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < m; o++) {
          const v = data[((y * kw + z) * cin + i) * m + o];
          if (depthwise) w[((i * m + o) * kh + y) * kw + z] = v;
          else w[((o * cin + i) * kh + y) * kw + z] = v;
        }
  return w;
}
