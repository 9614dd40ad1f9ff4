/**
 * Keras layers (channels_last) -> ONNX graph (NCHW inside, NHWC at the edges).
 *
 * Facts this relies on, checked against tfjs running the same model:
 *  - BatchNormalization (epsilon from the layer, 1e-3 here) that directly follows a
 *    convolution is folded into it: s = γ/√(σ²+ε), W' = W·s, b' = β − μ·s (+ b·s).
 *  - ZeroPadding2D ((0,1),(0,1)) pads bottom/right only; it becomes the next conv's
 *    pads [0,0,1,1] (top,left,bottom,right) — symmetric padding would shift the image.
 *  - Keras 'same' puts the odd pixel of padding at the end, like TF.
 *  - Depthwise kernels [kh,kw,C,m] -> [C·m,1,kh,kw] with group=C; conv kernels [kh,kw,in,out] -> [out,in,kh,kw].
 *  - ReLU(max_value=6) -> Clip(0,6); AveragePooling2D 'same' leaves padded cells out of the mean.
 *  - The input is raw 0–255 uint8 NHWC; the cast, scaling and NCHW transpose are in the graph.
 */
import type { KerasLayer, KerasModel } from './keras-source.js';
import { OnnxGraph } from '../model/onnx-graph.js';
import { clipRelu, pixelsInput, type EncoderGraphOptions } from './encoder-graph.js';

/** What one graph output exposes. */
export interface OutputSpec {
  /** ONNX output name. */
  name: string;
  /** Keras layer whose activation it is. */
  layer: string;
  /** `pooled`: global average over space, [N,C]; `grid`: [N,H,W,C]; `raw`: the layer's output as is ([N,units] for Dense). */
  kind: 'pooled' | 'grid' | 'raw';
}

/** `scaling` is the Keras-side preprocessing. */
export interface ConvertOptions extends EncoderGraphOptions {
  outputs: OutputSpec[];
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputSize: [number, number];
  /** Output dims without the batch dimension. */
  outputDims: Record<string, number[]>;
  /** Layers that went into the graph (those the outputs need). */
  layerCount: number;
}

/** A Keras tensor in the graph: ONNX name, NCHW dims without batch (or [units]), zero padding not yet applied. */
interface Tensor {
  name: string;
  dims: number[];
  pad?: [number, number, number, number];
}

/** What converting one layer needs besides its inputs. */
interface LayerContext {
  g: OnnxGraph;
  weight: WeightGet;
  /** Per layer, the layers that read its output (only those the outputs need). */
  consumers: Map<string, string[]>;
  byName: Map<string, KerasLayer>;
  /** Layers whose activation is a graph output (a BatchNormalization after one is not folded). */
  exposed: Set<string>;
  /** BatchNormalization layers already folded into the convolution before them. */
  folded: Set<string>;
  scaling: ConvertOptions['scaling'];
}

export function convertKeras(model: KerasModel, opts: ConvertOptions): ConvertedModel {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = neededLayers(
    model,
    opts.outputs.map((o) => o.layer),
  );
  const consumers = new Map<string, string[]>();
  for (const l of model.layers) {
    if (!needed.has(l.name)) continue;
    for (const src of inboundNames(l)) consumers.set(src, [...(consumers.get(src) ?? []), l.name]);
  }
  const exposed = new Set(opts.outputs.map((o) => o.layer));

  const g = new OnnxGraph();
  g.reserve(opts.outputs.map((o) => o.name));
  const tensors = new Map<string, Tensor>();
  const weight = (layer: string, key: string) => {
    const w = model.weights.get(`${layer}/${key}`);
    if (!w) throw new Error(`missing weight ${layer}/${key}`);
    return w;
  };
  const ctx: LayerContext = { g, weight, consumers, byName, exposed, folded: new Set<string>(), scaling: opts.scaling };
  let inputSize: [number, number] = [0, 0];

  for (const layer of model.layers) {
    if (!needed.has(layer.name)) continue;
    const ins = inboundNames(layer).map((n) => {
      const t = tensors.get(n);
      if (!t) throw new Error(`layer ${layer.name}: input ${n} not converted yet`);
      return t;
    });
    if (layer.class_name === 'InputLayer') {
      const shape = layer.config.batch_input_shape as [null, number, number, number];
      inputSize = [shape[1], shape[2]];
    }
    tensors.set(layer.name, convertLayer(ctx, layer, ins));
  }

  const outputDims = declareOutputs(g, opts.outputs, tensors);
  const bytes = g.encode({
    producer: 'lenscribe-keras2onnx',
    version: '1',
    docString: opts.docString,
    graphName: opts.graphName,
    metadata: opts.metadata,
  });
  return { bytes, inputSize, outputDims, layerCount: needed.size };
}

/** One Keras layer as ONNX nodes; `ins` are its inputs (the first is `x`). */
function convertLayer(ctx: LayerContext, layer: KerasLayer, ins: Tensor[]): Tensor {
  const { g } = ctx;
  const c = layer.config;
  const x = ins[0];
  switch (layer.class_name) {
    case 'InputLayer': {
      const shape = c.batch_input_shape as [null, number, number, number];
      if (shape[3] !== 3) throw new Error(`${layer.name}: expects RGB input, got ${shape[3]} channels`);
      return { name: pixelsInput(g, [shape[1], shape[2]], ctx.scaling), dims: [shape[3], shape[1], shape[2]] };
    }
    case 'ZeroPadding2D': {
      const [[t, b], [l, r]] = zeroPadding(c.padding);
      const prev = x.pad ?? [0, 0, 0, 0];
      return { name: x.name, dims: x.dims, pad: [prev[0] + t, prev[1] + l, prev[2] + b, prev[3] + r] };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D':
      return convolution(g, layer, x, ctx.consumers, ctx.byName, ctx.exposed, ctx.folded, ctx.weight);
    case 'BatchNormalization':
      return ctx.folded.has(layer.name) ? x : batchNormalization(ctx, layer, x);
    case 'ReLU': {
      const t = materialize(g, x);
      const max = c.max_value as number | null;
      if ((c.negative_slope as number) || (c.threshold as number)) throw new Error(`${layer.name}: leaky/thresholded ReLU not supported`);
      return { name: activation(g, t.name, max == null ? 'relu' : 'relu6', layer.name, max ?? undefined), dims: x.dims };
    }
    case 'Activation':
      return { name: activation(g, materialize(g, x).name, c.activation as string, layer.name), dims: x.dims };
    case 'Add': {
      const ts = ins.map((t) => materialize(g, t));
      let acc = ts[0].name;
      for (let i = 1; i < ts.length; i++) acc = g.node('Add', [acc, ts[i].name], layer.name);
      return { name: acc, dims: x.dims };
    }
    case 'Concatenate':
      return concatenate(g, layer, ins);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return pooling(g, layer, x);
    case 'GlobalAveragePooling2D': {
      const t = materialize(g, x);
      const pooled = g.node('GlobalAveragePool', [t.name], `${layer.name}_gap`);
      return { name: g.node('Flatten', [pooled], layer.name, { axis: 1 }), dims: [t.dims[0]] };
    }
    case 'Flatten':
      return flatten(g, layer, x);
    case 'Dense':
      return dense(ctx, layer, x);
    case 'Dropout':
      return x;
    default:
      throw new Error(`layer ${layer.name}: ${layer.class_name} not supported`);
  }
}

/** A BatchNormalization not folded into a convolution: x·scale + shift per channel. */
function batchNormalization({ g, weight }: LayerContext, layer: KerasLayer, x: Tensor): Tensor {
  const t = materialize(g, x);
  const [scale, shift] = bnAffine(layer, weight, x.dims[0]);
  const shape = [x.dims[0], 1, 1];
  const mul = g.node('Mul', [t.name, g.constant(`${layer.name}_scale`, Float32Array.from(scale), shape)], `${layer.name}_mul`);
  return { name: g.node('Add', [mul, g.constant(`${layer.name}_shift`, Float32Array.from(shift), shape)], layer.name), dims: x.dims };
}

function concatenate(g: OnnxGraph, layer: KerasLayer, ins: Tensor[]): Tensor {
  const axis = layer.config.axis as number;
  if (axis !== 3 && axis !== -1) throw new Error(`${layer.name}: concat axis ${axis} not supported`);
  const ts = ins.map((t) => materialize(g, t));
  const channels = ts.reduce((s, t) => s + t.dims[0], 0);
  return {
    name: g.node(
      'Concat',
      ts.map((t) => t.name),
      layer.name,
      { axis: 1 },
    ),
    dims: [channels, ins[0].dims[1], ins[0].dims[2]],
  };
}

function pooling(g: OnnxGraph, layer: KerasLayer, x: Tensor): Tensor {
  const c = layer.config;
  const t = materialize(g, x);
  const [kh, kw] = c.pool_size as number[];
  const [sh, sw] = (c.strides as number[] | null) ?? [kh, kw];
  const [pads, oh, ow] = spatialPads(c.padding as string, t.dims[1], t.dims[2], kh, kw, sh, sw, [1, 1]);
  const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [sh, sw], pads };
  if (layer.class_name === 'AveragePooling2D') attrs.count_include_pad = 0;
  const op = layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
  return { name: g.node(op, [t.name], layer.name, attrs), dims: [t.dims[0], oh, ow] };
}

function flatten(g: OnnxGraph, layer: KerasLayer, x: Tensor): Tensor {
  const t = materialize(g, x);
  // Keras flattens channels_last: go to NHWC first so the element order matches.
  const nhwc =
    t.dims.length === 3 && (t.dims[1] > 1 || t.dims[2] > 1)
      ? g.node('Transpose', [t.name], `${layer.name}_nhwc`, { perm: [0, 2, 3, 1] })
      : t.name;
  return { name: g.node('Flatten', [nhwc], layer.name, { axis: 1 }), dims: [t.dims.reduce((a, b) => a * b, 1)] };
}

function dense({ g, weight }: LayerContext, layer: KerasLayer, x: Tensor): Tensor {
  const c = layer.config;
  const kernel = weight(layer.name, 'kernel');
  const [inDim, units] = kernel.shape;
  if (x.dims.length !== 1 || x.dims[0] !== inDim) throw new Error(`${layer.name}: expects ${inDim} inputs, got ${x.dims}`);
  const bias = c.use_bias ? weight(layer.name, 'bias').data : new Float32Array(units);
  const y = g.node(
    'Gemm',
    [x.name, g.constant(`${layer.name}_W`, kernel.data, [inDim, units]), g.constant(`${layer.name}_b`, bias, [units])],
    `${layer.name}_linear`,
  );
  return { name: activation(g, y, c.activation as string, layer.name), dims: [units] };
}

/** Declares the graph outputs (pooled, grid or raw) and returns their dims without the batch dimension. */
function declareOutputs(g: OnnxGraph, outputs: OutputSpec[], tensors: Map<string, Tensor>): Record<string, number[]> {
  const outputDims: Record<string, number[]> = {};
  for (const o of outputs) {
    const t = materialize(g, tensors.get(o.layer)!);
    if (o.kind === 'pooled') {
      if (t.dims.length !== 3) throw new Error(`output ${o.name}: ${o.layer} is not a feature map`);
      const pooled = g.node('GlobalAveragePool', [t.name], `${o.name}_gap`);
      g.output(g.node('Flatten', [pooled], `${o.name}_flat`, { axis: 1 }), o.name, ['N', t.dims[0]]);
      outputDims[o.name] = [t.dims[0]];
    } else if (o.kind === 'grid') {
      const [ch, h, w] = t.dims;
      g.output(g.node('Transpose', [t.name], `${o.name}_nhwc`, { perm: [0, 2, 3, 1] }), o.name, ['N', h, w, ch]);
      outputDims[o.name] = [h, w, ch];
    } else {
      g.output(t.name, o.name, ['N', ...t.dims]);
      outputDims[o.name] = t.dims;
    }
  }
  return outputDims;
}

function inboundNames(layer: KerasLayer): string[] {
  if (layer.inbound_nodes.length > 1) throw new Error(`layer ${layer.name} is shared; not supported`);
  return (layer.inbound_nodes[0] ?? []).map((n) => n[0]);
}

/** Every layer the requested outputs depend on. */
function neededLayers(model: KerasModel, targets: string[]): Set<string> {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const stack = [...targets];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`no layer named ${name}`);
    needed.add(name);
    stack.push(...inboundNames(layer));
  }
  return needed;
}

function zeroPadding(p: unknown): [[number, number], [number, number]] {
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  const arr = p as Array<number | number[]>;
  if (typeof arr[0] === 'number')
    return [
      [arr[0], arr[0]],
      [arr[1] as number, arr[1] as number],
    ];
  return arr as [[number, number], [number, number]];
}

/** ONNX pads [top,left,bottom,right] and output size for Keras padding; 'same' puts the odd pixel at the end. */
function spatialPads(
  padding: string,
  h: number,
  w: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
  dil: number[],
): [number[], number, number] {
  const ekh = (kh - 1) * dil[0] + 1;
  const ekw = (kw - 1) * dil[1] + 1;
  if (padding === 'valid') return [[0, 0, 0, 0], Math.floor((h - ekh) / sh) + 1, Math.floor((w - ekw) / sw) + 1];
  if (padding !== 'same') throw new Error(`padding ${padding} not supported`);
  const oh = Math.ceil(h / sh);
  const ow = Math.ceil(w / sw);
  const ph = Math.max((oh - 1) * sh + ekh - h, 0);
  const pw = Math.max((ow - 1) * sw + ekw - w, 0);
  return [[Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)], oh, ow];
}

/** Applies pending zero padding with a Pad node (for consumers that are not convolutions). */
function materialize(g: OnnxGraph, t: Tensor): Tensor {
  if (!t.pad || t.pad.every((p) => p === 0)) return t;
  const [top, left, bottom, right] = t.pad;
  const pads = g.int64Constant(`${t.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const name = g.node('Pad', [t.name, pads], `${t.name}_padded`);
  return { name, dims: [t.dims[0], t.dims[1] + top + bottom, t.dims[2] + left + right] };
}

function activation(g: OnnxGraph, x: string, kind: string, base: string, max?: number): string {
  switch (kind) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], base);
    case 'relu6':
      return clipRelu(g, x, base, max);
    case 'softmax':
      return g.node('Softmax', [x], base, { axis: -1 });
    case 'sigmoid':
      return g.node('Sigmoid', [x], base);
    default:
      throw new Error(`activation ${kind} not supported`);
  }
}

type WeightGet = (layer: string, key: string) => { shape: number[]; data: Float32Array };

/** Per-channel affine form of inference-mode batch norm, computed in double precision. */
function bnAffine(layer: KerasLayer, weight: WeightGet, channels: number): [Float64Array, Float64Array] {
  const c = layer.config;
  const eps = c.epsilon as number;
  const gamma = c.scale === false ? undefined : weight(layer.name, 'gamma').data;
  const beta = c.center === false ? undefined : weight(layer.name, 'beta').data;
  const mean = weight(layer.name, 'moving_mean').data;
  const variance = weight(layer.name, 'moving_variance').data;
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let i = 0; i < channels; i++) {
    // Keras computes (x − μ)·(γ·rsqrt(σ²+ε)) + β in float32.
    const s = Math.fround((gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + eps));
    scale[i] = s;
    shift[i] = (beta ? beta[i] : 0) - mean[i] * s;
  }
  return [scale, shift];
}

function convolution(
  g: OnnxGraph,
  layer: KerasLayer,
  x: Tensor,
  consumers: Map<string, string[]>,
  byName: Map<string, KerasLayer>,
  exposed: Set<string>,
  folded: Set<string>,
  weight: WeightGet,
): Tensor {
  const c = layer.config;
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const kernel = weight(layer.name, depthwise ? 'depthwise_kernel' : 'kernel');
  const [kh, kw, cin, last] = kernel.shape;
  if (cin !== x.dims[0]) throw new Error(`${layer.name}: kernel expects ${cin} channels, input has ${x.dims[0]}`);
  const cout = depthwise ? cin * last : last;
  const [sh, sw] = c.strides as number[];
  const dil = (c.dilation_rate as number[] | undefined) ?? [1, 1];
  const pad = x.pad ?? [0, 0, 0, 0];
  const h = x.dims[1] + pad[0] + pad[2];
  const w = x.dims[2] + pad[1] + pad[3];
  const [own, oh, ow] = spatialPads(c.padding as string, h, w, kh, kw, sh, sw, dil);
  const pads = [pad[0] + own[0], pad[1] + own[1], pad[2] + own[2], pad[3] + own[3]];

  // ONNX layout: [out, in/group, kh, kw]. Keras depthwise [kh,kw,C,m]: out channel = c·m + j.
  const inPerGroup = depthwise ? 1 : cin;
  const W = new Float64Array(cout * inPerGroup * kh * kw);
  for (let y = 0; y < kh; y++)
    for (let xx = 0; xx < kw; xx++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < last; o++) {
          const v = kernel.data[((y * kw + xx) * cin + i) * last + o];
          if (depthwise) W[((i * last + o) * kh + y) * kw + xx] = v;
          else W[((o * cin + i) * kh + y) * kw + xx] = v;
        }
  const b = new Float64Array(cout);
  if (c.use_bias) b.set(weight(layer.name, 'bias').data);

  // Fold a BatchNormalization that is this conv's only consumer (and not itself read elsewhere).
  const next = consumers.get(layer.name) ?? [];
  let outName = layer.name;
  if (next.length === 1 && !exposed.has(layer.name)) {
    const bn = byName.get(next[0])!;
    if (bn.class_name === 'BatchNormalization') {
      const [scale, shift] = bnAffine(bn, weight, cout);
      const per = inPerGroup * kh * kw;
      for (let o = 0; o < cout; o++) {
        for (let k = 0; k < per; k++) W[o * per + k] *= scale[o];
        b[o] = b[o] * scale[o] + shift[o];
      }
      folded.add(bn.name);
      outName = bn.name;
    }
  }
  const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [sh, sw], pads, dilations: dil };
  if (depthwise) attrs.group = cin;
  const name = g.node(
    'Conv',
    [
      x.name,
      g.constant(`${layer.name}_W`, Float32Array.from(W), [cout, inPerGroup, kh, kw]),
      g.constant(`${layer.name}_b`, Float32Array.from(b), [cout]),
    ],
    outName,
    attrs,
  );
  return { name, dims: [cout, oh, ow] };
}
