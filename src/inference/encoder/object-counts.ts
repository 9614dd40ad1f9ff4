/**
 * How many of each COCO class the detector sees: CenterNet's own decoding, on the class heatmap
 * the `objects` output pools. A detection is a heatmap peak (a cell equal to the maximum of its
 * 3×3 neighbourhood, the paper's NMS-free box extraction) scoring at least `minScore`; the count
 * per class is how many peaks it has. The converted encoder keeps only the pooled maximum (its
 * sha256 names the features the models were trained on), so the count is added to the graph in
 * memory when the encoder is opened: the same file, the same features, one more output.
 * Zhou et al. 2019, "Objects as Points".
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Lowest heatmap peak that is a detection. Measured on Flickr8k and coco-dev photos at 320 px: the
 * two dogs of 1001773457 peak at 0.74 and above 0.3, the three buses of coco 1584 likewise, while
 * a peak of a class nobody names rarely reaches 0.3 (the same bar makes a tag: src/main/library/tag-derivation.ts).
 */
export const DETECTION_MIN_SCORE = 0.3;

/** The added output: [N, classes] float counts. */
export const OBJECT_COUNTS_OUTPUT = 'object_counts';

/** The heatmap tensor a pooled output reduces ([Identity <-] Flatten <- GlobalMaxPool <- heatmap), or null. */
function heatmapOf(graph: OnnxTypes.IGraphProto, output: string): string | null {
  const producer = (tensor: string) => graph.node?.find((n) => n.output?.includes(tensor));
  let node = producer(output);
  while (node && (node.opType === 'Identity' || node.opType === 'Flatten')) node = producer(node.input?.[0] ?? '');
  return node?.opType === 'GlobalMaxPool' ? (node.input?.[0] ?? null) : null;
}

const intAttr = (name: string, ints: number[]): OnnxTypes.IAttributeProto => ({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });

/**
 * The model with an OBJECT_COUNTS_OUTPUT counting the peaks of the heatmap behind `objectsOutput`
 * (NCHW, sigmoid scores), or null when that output is not a spatial maximum of a heatmap.
 */
export function withObjectCounts(model: Uint8Array, objectsOutput: string, minScore: number): Uint8Array | null {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const heat = heatmapOf(graph, objectsOutput);
  const channels = graph.output?.find((o) => o.name === objectsOutput)?.type?.tensorType?.shape?.dim?.[1]?.dimValue;
  if (!heat || channels == null) return null;
  const t = (s: string) => `object_counts/${s}`;
  const float = onnx.TensorProto.DataType.FLOAT;
  graph.initializer!.push(
    { name: t('min_score'), dataType: float, dims: [], floatData: [minScore] },
    { name: t('axes'), dataType: onnx.TensorProto.DataType.INT64, dims: [2], int64Data: [2, 3] },
  );
  graph.node!.push(
    { opType: 'MaxPool', input: [heat], output: [t('max3x3')], name: t('max3x3'), attribute: [intAttr('kernel_shape', [3, 3]), intAttr('pads', [1, 1, 1, 1])] },
    { opType: 'Equal', input: [heat, t('max3x3')], output: [t('peak')], name: t('peak') },
    { opType: 'GreaterOrEqual', input: [heat, t('min_score')], output: [t('confident')], name: t('confident') },
    { opType: 'And', input: [t('peak'), t('confident')], output: [t('detection')], name: t('detection') },
    { opType: 'Cast', input: [t('detection')], output: [t('ones')], name: t('ones'), attribute: [{ name: 'to', i: float, type: onnx.AttributeProto.AttributeType.INT }] },
    { opType: 'ReduceSum', input: [t('ones'), t('axes')], output: [OBJECT_COUNTS_OUTPUT], name: t('sum'), attribute: [{ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT }] },
  ); // prettier-ignore
  graph.output!.push({
    name: OBJECT_COUNTS_OUTPUT,
    type: { tensorType: { elemType: float, shape: { dim: [{ dimParam: 'N' }, { dimValue: channels }] } } },
  });
  return onnx.ModelProto.encode(proto).finish();
}
