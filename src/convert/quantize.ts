/**
 * Static int8 quantization of a converted float32 encoder, as an ONNX QDQ graph that
 * onnxruntime fuses into QLinearConv / QLinearAdd (VNNI kernels on x86 CPUs that have them):
 *  - Conv weights: int8 holding 7 bits (±63, see WEIGHT_MAX), symmetric, per output channel; biases int32 at scale s_in·s_w.
 *  - Activations (every Conv and Add input, Conv/Clip/Relu/Add/Pad/MaxPool output): uint8, asymmetric, per tensor,
 *    with the min–max ranges measured on calibration photos (calibrate.ts).
 * A Conv (or Add) whose only consumer is its ReLU6 Clip or ReLU is quantized after the
 * activation, so onnxruntime drops the activation into the uint8 range and fuses the Conv (Add).
 * Zero padding and max pooling commute with quantization, so their outputs keep their input's
 * scale and zero point (then onnxruntime runs them on uint8 without dequantizing).
 * Pooled and grid outputs stay float32 (dequantized before the pooling).
 * Pure arithmetic on the graph: the same float model and ranges give the same bytes.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

/** Activation tensor → [min, max] seen on the calibration photos. */
export type ActivationRanges = Record<string, readonly [number, number]>;

export interface QuantizedModel {
  bytes: Uint8Array;
  /** Convolutions turned into int8 QDQ form. */
  convs: number;
}

/** The activation tensors of `floatModel` that quantizeEncoder needs a range for. */
export function activationTensors(floatModel: Uint8Array): string[] {
  return [...activationsToQuantize(onnx.ModelProto.decode(floatModel).graph!.node!)];
}

/** Quantizes `floatModel` (ONNX bytes from convertKeras) with `ranges` for every activationTensors entry. */
export function quantizeEncoder(
  floatModel: Uint8Array,
  ranges: ActivationRanges,
  { graphName }: { graphName?: string } = {},
): QuantizedModel {
  const model = onnx.ModelProto.decode(floatModel);
  const graph = model.graph!;
  const nodes = graph.node!;
  const quantized = activationsToQuantize(nodes);
  const missing = [...quantized].filter((t) => !ranges[t]);
  if (missing.length > 0)
    throw new Error(`no calibration range for ${missing.length} activations (${missing.slice(0, 3).join(', ')}…); recalibrate`);
  const initializers = new Map(graph.initializer!.map((t) => [t.name!, t]));

  const out: OnnxTypes.INodeProto[] = [];
  const newInits: OnnxTypes.ITensorProto[] = [];
  const params = new Map<string, { scale: number; zeroPoint: number }>();
  const dequantized = new Map<string, string>();
  let convs = 0;

  const sameAs = passThroughInputs(nodes);
  const qdq = (tensor: string) => {
    const from = sameAs.get(tensor);
    const p = from !== undefined && params.has(from) ? params.get(from)! : uint8Params(...ranges[tensor]);
    params.set(tensor, p);
    const s = scalarFloat(`${tensor}_scale`, p.scale);
    const z = { name: `${tensor}_zero_point`, dataType: DataType.UINT8, dims: [], rawData: Uint8Array.of(p.zeroPoint) };
    newInits.push(s, z);
    out.push({ opType: 'QuantizeLinear', name: `${tensor}_quantize`, input: [tensor, s.name!, z.name], output: [`${tensor}_q`] });
    out.push({
      opType: 'DequantizeLinear',
      name: `${tensor}_dequantize`,
      input: [`${tensor}_q`, s.name!, z.name],
      output: [`${tensor}_dq`],
    });
    dequantized.set(tensor, `${tensor}_dq`);
  };

  for (const tensor of graph.input!.map((i) => i.name!)) if (quantized.has(tensor)) qdq(tensor);
  for (const node of nodes) {
    const inputs = (node.input ?? []).map((i) => dequantized.get(i) ?? i);
    if (node.opType === 'Conv') {
      const x = node.input![0];
      const inScale = params.get(x)?.scale;
      if (inScale === undefined) throw new Error(`Conv ${node.name}: input ${x} has no quantization range`);
      const w = initializers.get(node.input![1]);
      const b = node.input![2] ? initializers.get(node.input![2]) : undefined;
      if (!w) throw new Error(`Conv ${node.name}: weights are not an initializer`);
      const { nodes: wNodes, inits: wInits, output: wOut, scales } = quantizeWeights(w);
      out.push(...wNodes);
      newInits.push(...wInits);
      inputs[1] = wOut;
      if (b) {
        const bq = quantizeBias(b, inScale, scales);
        out.push(...bq.nodes);
        newInits.push(...bq.inits);
        inputs[2] = bq.output;
      }
      convs++;
    }
    out.push({ ...node, input: inputs });
    for (const o of node.output ?? []) if (quantized.has(o)) qdq(o);
  }

  // Float weights and biases of the Convs are replaced by their int8/int32 forms.
  const replaced = new Set(nodes.filter((n) => n.opType === 'Conv').flatMap((n) => n.input!.slice(1)));
  graph.initializer = [...graph.initializer!.filter((t) => !replaced.has(t.name!)), ...newInits];
  graph.node = out;
  model.producerName = `${model.producerName}+int8`;
  if (graphName) graph.name = graphName;
  return { bytes: onnx.ModelProto.encode(model).finish(), convs };
}

const ACTIVATIONS = new Set(['Clip', 'Relu']);
/** Ops whose output is quantized with their input's parameters (see the file comment). */
const PASS_THROUGH = new Set(['Pad', 'MaxPool']);

/**
 * Tensors that get a uint8 range: each Conv's data input, each Add input, and each Conv, Clip,
 * Relu, Add, Pad and MaxPool output that something reads, except a Conv or Add output
 * consumed only by a Clip or Relu (its range is taken after the activation).
 */
function activationsToQuantize(nodes: OnnxTypes.INodeProto[]): Set<string> {
  const consumers = new Map<string, OnnxTypes.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const set = new Set<string>();
  for (const n of nodes) {
    const op = n.opType!;
    if (op === 'Conv') set.add(n.input![0]);
    if (op === 'Add') for (const i of n.input!) set.add(i);
    if (op === 'Conv' || op === 'Add' || ACTIVATIONS.has(op) || PASS_THROUGH.has(op)) {
      const o = n.output![0];
      const next = consumers.get(o) ?? [];
      if ((op === 'Conv' || op === 'Add') && next.length === 1 && ACTIVATIONS.has(next[0].opType!)) continue;
      if (next.length > 0) set.add(o);
    }
  }
  return set;
}

/** Output → data input of each Pad and MaxPool (whose output reuses the input's quantization). */
function passThroughInputs(nodes: OnnxTypes.INodeProto[]): Map<string, string> {
  return new Map(nodes.filter((n) => PASS_THROUGH.has(n.opType!)).map((n) => [n.output![0], n.input![0]]));
}

/** uint8 scale and zero point covering [min, max] and always 0 (so zero padding is exact). */
export function uint8Params(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Weights use 7 bits (±63), not 8: x86 CPUs without VNNI multiply uint8 activations by int8
 * weights with VPMADDUBSW, whose int16 pair sums saturate beyond 255·63·2. With ±63 no CPU
 * saturates, so the integer results, hence the features, are the same on every machine.
 */
const WEIGHT_MAX = 63;

function quantizeWeights(w: OnnxTypes.ITensorProto) {
  const data = floatData(w);
  const cout = Number(w.dims![0]);
  const per = data.length / cout;
  const q = new Int8Array(data.length);
  const scales = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    let amax = 0;
    for (let k = 0; k < per; k++) amax = Math.max(amax, Math.abs(data[o * per + k]));
    const s = amax > 0 ? amax / WEIGHT_MAX : 1;
    scales[o] = s;
    for (let k = 0; k < per; k++) q[o * per + k] = Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, Math.round(data[o * per + k] / scales[o])));
  }
  const name = w.name!;
  const inits: OnnxTypes.ITensorProto[] = [
    { name: `${name}_int8`, dataType: DataType.INT8, dims: w.dims, rawData: new Uint8Array(q.buffer) },
    floatVector(`${name}_scale`, scales),
    { name: `${name}_zero_point`, dataType: DataType.INT8, dims: [cout], rawData: new Uint8Array(cout) },
  ];
  const output = `${name}_dq`;
  const nodes = [dequantizeAxis0(inits, output)];
  return { nodes, inits, output, scales };
}

/** A per-channel (axis 0) DequantizeLinear of the quantized tensor, its scales and zero points (`inits`, in that order). */
function dequantizeAxis0(inits: OnnxTypes.ITensorProto[], output: string): OnnxTypes.INodeProto {
  return {
    opType: 'DequantizeLinear',
    name: output,
    input: inits.map((t) => t.name!),
    output: [output],
    attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
  };
}

/** int32 bias at scale s_in·s_w[o] (what QLinearConv adds to its int32 accumulators). */
function quantizeBias(b: OnnxTypes.ITensorProto, inScale: number, wScales: Float32Array) {
  const data = floatData(b);
  const q = new Int32Array(data.length);
  const scales = new Float32Array(data.length);
  for (let o = 0; o < data.length; o++) {
    scales[o] = Math.fround(inScale * wScales[o]);
    const v = Math.round(data[o] / scales[o]);
    if (!(Math.abs(v) < 2 ** 31)) throw new Error(`${b.name}[${o}]: bias ${data[o]} does not fit int32 at scale ${scales[o]}`);
    q[o] = v;
  }
  const name = b.name!;
  const inits: OnnxTypes.ITensorProto[] = [
    { name: `${name}_int32`, dataType: DataType.INT32, dims: b.dims, rawData: new Uint8Array(q.buffer) },
    floatVector(`${name}_scale`, scales),
    { name: `${name}_zero_point`, dataType: DataType.INT32, dims: b.dims, rawData: new Uint8Array(q.length * 4) },
  ];
  const output = `${name}_dq`;
  const nodes = [dequantizeAxis0(inits, output)];
  return { nodes, inits, output };
}

function floatData(t: OnnxTypes.ITensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT || !t.rawData) throw new Error(`${t.name}: expected float32 raw data`);
  const raw = t.rawData;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function floatVector(name: string, v: Float32Array): OnnxTypes.ITensorProto {
  return { name, dataType: DataType.FLOAT, dims: [v.length], rawData: new Uint8Array(v.buffer.slice(0)) };
}

function scalarFloat(name: string, v: number): OnnxTypes.ITensorProto {
  return { name, dataType: DataType.FLOAT, dims: [], rawData: new Uint8Array(Float32Array.of(v).buffer) };
}
