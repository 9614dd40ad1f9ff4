/**
 * A small builder for ONNX graphs (onnx-proto): nodes, float32 initializers, typed
 * inputs/outputs with a symbolic batch dimension, serialized deterministically.
 */
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: take the namespace from the default export so plain Node ESM,
// tsx and esbuild all resolve it.
const { onnx } = onnxProto;
import type { onnx as OnnxTypes } from 'onnx-proto';

const A = onnx.AttributeProto.AttributeType;
export const DataType = onnx.TensorProto.DataType;

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };

export class OnnxGraph {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly reserved = new Set<string>();

  /** Keeps `names` free for graph outputs declared later. */
  reserve(names: string[]): void {
    for (const n of names) {
      this.used.add(n);
      this.reserved.add(n);
    }
  }

  /** A tensor name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Float32 constant; `dims` is its ONNX shape. */
  constant(base: string, data: Float32Array, dims: number[]): string {
    const name = this.fresh(base);
    const raw = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, rawData: Uint8Array.from(raw) });
    return name;
  }

  int64Constant(base: string, values: number[]): string {
    const name = this.fresh(base);
    const raw = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
    this.initializers.push({ name, dataType: DataType.INT64, dims: [values.length], rawData: Uint8Array.from(raw) });
    return name;
  }

  /** Adds a node and returns the name of its (single) output. */
  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, AttrValue> = {}): string {
    const output = this.fresh(outputBase);
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return output;
  }

  input(name: string, elemType: number, dims: Array<number | string>): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares `tensor` a graph output named `name` (adds an Identity if the names differ). */
  output(tensor: string, name: string, dims: Array<number | string>): void {
    if (tensor !== name) {
      if (!this.reserved.delete(name)) throw new Error(`output name ${name} was not reserved`);
      this.nodes.push({ opType: 'Identity', name, input: [tensor], output: [name] });
    }
    this.outputs.push(valueInfo(name, DataType.FLOAT, dims));
  }

  encode(meta: { producer: string; version: string; docString: string; graphName: string; metadata: Record<string, string> }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: meta.producer,
      producerVersion: meta.version,
      docString: meta.docString,
      opsetImport: [{ domain: '', version: 13 }],
      metadataProps: Object.entries(meta.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('floats' in v) return { name, type: A.FLOATS, floats: v.floats };
  return { name, type: A.FLOAT, f: v.float };
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
