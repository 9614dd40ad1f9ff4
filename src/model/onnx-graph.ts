/**
 * The one ONNX graph builder (onnx-proto): nodes, constants, typed inputs and outputs with
 * symbolic dimensions, serialized deterministically. The app builds its matrix-product and
 * decoder-step graphs with it at run time; the encoder converters (src/convert) build theirs.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: take the namespace from the default export so plain Node ESM,
// tsx and esbuild all resolve it.
const { onnx } = onnxProto;

const A = onnx.AttributeProto.AttributeType;
export const DataType = onnx.TensorProto.DataType;

export type AttrValue = number | number[] | string | { floats: number[] } | { float: number };
/** A dimension: a size, or a name for a size given at run time. */
export type Dim = number | string;

export interface EncodeOptions {
  producer: string;
  graphName: string;
  version?: string;
  docString?: string;
  metadata?: Record<string, string>;
  /** Operator sets besides the default domain's opset 13 (e.g. com.microsoft's contrib ops). */
  extraOpsets?: Array<{ domain: string; version: number }>;
}

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

  /** A tensor name not used yet, derived from `base` (`base` itself when it is free). */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /**
   * A float32 (or int8) constant; `dims` is its ONNX shape. The graph keeps a view of `data`:
   * it is read when encode() runs.
   */
  constant(base: string, data: Float32Array | Int8Array, dims: number[]): string {
    const name = this.fresh(base);
    const dataType = data instanceof Int8Array ? DataType.INT8 : DataType.FLOAT;
    // rawData is little-endian, which is how every platform we ship on stores it.
    this.initializers.push({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
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
  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, AttrValue> = {}, domain?: string): string {
    return this.nodeWithOutputs(opType, inputs, [outputBase], attrs, domain)[0];
  }

  /** Adds a node with several outputs (Split) and returns their names. */
  nodeWithOutputs(
    opType: string,
    inputs: string[],
    outputBases: string[],
    attrs: Record<string, AttrValue> = {},
    domain?: string,
  ): string[] {
    const output = outputBases.map((base) => this.fresh(base));
    this.nodes.push({
      opType,
      ...(domain === undefined ? {} : { domain }),
      name: output[0],
      input: inputs,
      output,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return output;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares float `tensor` a graph output named `name` (adds an Identity if the names differ). */
  output(tensor: string, name: string, dims: Dim[]): void {
    if (tensor !== name) {
      if (!this.reserved.delete(name)) throw new Error(`output name ${name} was not reserved`);
      this.nodes.push({ opType: 'Identity', name, input: [tensor], output: [name] });
    }
    this.outputs.push(valueInfo(name, DataType.FLOAT, dims));
  }

  /** The model: IR version 7, opset 13. */
  encode(meta: EncodeOptions): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: meta.producer,
      producerVersion: meta.version,
      docString: meta.docString,
      opsetImport: [{ domain: '', version: 13 }, ...(meta.extraOpsets ?? [])],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
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

function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto {
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
