/**
 * Two (or more) encoder graphs that read the same `pixels` input, as ONE ONNX graph: one session,
 * one decode, one run gives every network's outputs.
 *
 * Each part's nodes, initializers and inner tensors get the part's name prefix (`detector/`,
 * `resnet/`), so the graphs cannot clash; the shared input keeps its name and its declared size
 * becomes the merged graph's (every part must be fully convolutional up to its pooling, which the
 * converters' graphs are: explicit pads, global pooling, no reshape to a fixed size). Graph outputs
 * are renamed as the caller says, and their declared dims replaced (a grid at another input size
 * has another H×W).
 * The parts' leading nodes that compute the same thing from the shared input (the NHWC→NCHW
 * Transpose and the uint8→float Cast both converters start with) are kept once: a later part's copy
 * is dropped and its readers take the first part's tensor.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { Dim } from '../model/onnx-graph.js';

const { onnx } = onnxProto;

export interface GraphPart {
  /** ONNX model bytes (input `pixels`, uint8 NHWC). */
  bytes: Uint8Array;
  /** Name prefix of this part's nodes and tensors, e.g. `detector/`. */
  prefix: string;
  /** Which of its graph outputs the merged graph exposes: output name -> merged output name and dims (batch dim left out). */
  outputs: Record<string, { name: string; dims: number[] }>;
  /**
   * The part's own input size, when it differs from the shared input's: the part reads the shared
   * pixels resized in the graph (bilinear, half-pixel centres, still uint8 NHWC, as a decoder's
   * resize would give it), so a network keeps the size it was trained at and costs what it costs there.
   */
  inputSize?: number;
}

export interface MergeOptions {
  input: { name: string; size: number };
  graphName: string;
  docString: string;
  metadata: Record<string, string>;
}

export interface MergedGraph {
  bytes: Uint8Array;
  /** Nodes left out because an earlier part computes the same tensor (the shared preprocessing). */
  sharedNodes: number;
}

/** A node's identity for sharing: op, domain, inputs and attributes (its name and outputs aside). */
function nodeKey(n: OnnxTypes.INodeProto, inputs: string[]): string {
  const attrs = onnx.NodeProto.encode(onnx.NodeProto.create({ attribute: n.attribute ?? [] })).finish();
  return JSON.stringify([n.opType, n.domain ?? '', inputs, Buffer.from(attrs).toString('base64')]);
}

function valueInfo(name: string, dims: Dim[]): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } } };
}

export function mergeEncoderGraphs(parts: GraphPart[], opts: MergeOptions): MergedGraph {
  const input = opts.input.name;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const outputs: OnnxTypes.IValueInfoProto[] = [];
  const opsets = new Map<string, number>();
  // Tensors computed from the shared input alone, by what computes them: a later part reuses them.
  const shared = new Map<string, string>();
  const sharedTensors = new Set([input]);
  let sharedNodes = 0;
  for (const part of parts) {
    const model = onnx.ModelProto.decode(part.bytes);
    const graph = model.graph!;
    const inputs = graph.input ?? [];
    if (inputs.length !== 1 || inputs[0].name !== input)
      throw new Error(`${part.prefix}: the graph must have the one input ${input}, it has ${inputs.map((i) => i.name).join(', ')}`);
    for (const o of model.opsetImport ?? []) {
      const v = Number(o.version);
      opsets.set(o.domain ?? '', Math.max(v, opsets.get(o.domain ?? '') ?? 0));
    }
    const partInput = part.inputSize && part.inputSize !== opts.input.size ? resizedInput(part, opts.input, nodes, initializers) : input;
    const renamed = new Map<string, string>([[input, partInput]]);
    const nameOf = (t: string) => (t === '' ? '' : (renamed.get(t) ?? `${part.prefix}${t}`));
    for (const init of graph.initializer ?? []) initializers.push({ ...init, name: nameOf(init.name!) });
    for (const n of graph.node ?? []) {
      const ins = (n.input ?? []).map(nameOf);
      const key = nodeKey(n, ins);
      const first = ins.every((t) => sharedTensors.has(t)) && (n.output ?? []).length === 1 ? shared.get(key) : undefined;
      if (first !== undefined) {
        renamed.set(n.output![0], first);
        sharedNodes++;
        continue;
      }
      const outs = (n.output ?? []).map(nameOf);
      nodes.push({ ...n, name: `${part.prefix}${n.name ?? outs[0]}`, input: ins, output: outs });
      if (ins.every((t) => sharedTensors.has(t)) && outs.length === 1) {
        shared.set(key, outs[0]);
        sharedTensors.add(outs[0]);
      }
    }
    for (const out of graph.output ?? []) {
      const want = part.outputs[out.name!];
      if (!want) continue;
      // An Identity gives the output its merged name (the part's own name is prefixed like any tensor).
      nodes.push({ opType: 'Identity', name: want.name, input: [nameOf(out.name!)], output: [want.name] });
      outputs.push(valueInfo(want.name, ['N', ...want.dims]));
    }
    const missing = Object.keys(part.outputs).filter((o) => !(graph.output ?? []).some((x) => x.name === o));
    if (missing.length) throw new Error(`${part.prefix}: the graph has no output ${missing.join(', ')}`);
  }
  const names = outputs.map((o) => o.name);
  if (new Set(names).size !== names.length) throw new Error(`merged outputs repeat a name: ${names.join(', ')}`);
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'lenscribe-merge',
    producerVersion: '1',
    docString: opts.docString,
    opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: opts.graphName,
      node: nodes,
      initializer: initializers,
      input: [{ name: input, type: uint8Nhwc(opts.input.size) }],
      output: outputs,
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), sharedNodes };
}

/** Adds a Resize of the shared uint8 NHWC input to the part's size (only H and W scale); returns the resized tensor's name. */
function resizedInput(
  part: GraphPart,
  input: { name: string; size: number },
  nodes: OnnxTypes.INodeProto[],
  initializers: OnnxTypes.ITensorProto[],
): string {
  const scale = part.inputSize! / input.size;
  const scales = `${part.prefix}resize_scales`;
  const out = `${part.prefix}pixels_${part.inputSize}`;
  initializers.push({ name: scales, dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1, scale, scale, 1] });
  nodes.push({
    opType: 'Resize',
    name: `${part.prefix}resize`,
    input: [input.name, '', scales],
    output: [out],
    attribute: [
      { name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('linear') },
      { name: 'coordinate_transformation_mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('half_pixel') },
    ],
  });
  return out;
}

function uint8Nhwc(size: number): OnnxTypes.ITypeProto {
  const dim = ['N', size, size, 3].map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { tensorType: { elemType: onnx.TensorProto.DataType.UINT8, shape: { dim } } };
}
