/**
 * Outputs an encoder offers that its ONNX graph does not compute: made here, in the encoder's
 * thread, from graph outputs of the same run (Encoder.encodeTensors), so every reader of encoder
 * outputs — encodeFiles, the feature cache, the caption pipeline, the library's feature table —
 * takes them like any other output, by name.
 *
 * `concepts` (K = CONCEPT_COUNT): the visual-concept scores of src/model/concepts/concept-scores.ts,
 * conceptScores({ detector: objects, imagenet: probs }), offered by an encoder with both the COCO
 * detector's 80 per-class scores (role `objects`) and an ImageNet-1k softmax (role `classes`,
 * 1000 wide), e.g. centernet_resnet50. Its `version` is a fingerprint of the concept map (which
 * class feeds which concept): the encoder's sha256 does not change when the map does, so caches
 * key concept rows by both.
 */
import { createHash } from 'node:crypto';
import {
  conceptScores,
  DETECTOR_CLASS_COUNT,
  DETECTOR_CONCEPTS,
  IMAGENET_CLASS_COUNT,
  IMAGENET_CONCEPTS,
} from '../../model/concepts/concept-scores.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS } from '../../model/concepts/visual-concepts.js';

/** The name of the concept-score output. */
export const CONCEPTS_OUTPUT = 'concepts';

/** What this module reads of an encoder's graph outputs. */
interface GraphOutput {
  name: string;
  role: string;
  dims: number[];
}

export interface DerivedOutput {
  name: string;
  role: 'concepts';
  layer: string;
  kind: 'raw';
  dims: number[];
  description: string;
  /** The graph outputs it is computed from, and the version of the computation (caches key by it). */
  derived: { from: string[]; version: string };
}

/** sha256 prefix of the concept vocabulary and of which detector and ImageNet class feeds which concept. */
export const CONCEPT_MAP_VERSION = createHash('sha256')
  .update(JSON.stringify([VISUAL_CONCEPTS, DETECTOR_CONCEPTS, IMAGENET_CONCEPTS]))
  .digest('hex')
  .slice(0, 12);

const width = (o: GraphOutput) => o.dims.reduce((a, b) => a * b, 1);

/** The derived outputs an encoder with these graph outputs offers (none for one without both sources). */
export function derivedOutputs(outputs: readonly GraphOutput[]): DerivedOutput[] {
  const objects = outputs.find((o) => o.role === 'objects' && width(o) === DETECTOR_CLASS_COUNT);
  const classes = outputs.find((o) => o.role === 'classes' && width(o) === IMAGENET_CLASS_COUNT);
  if (!objects || !classes || outputs.some((o) => o.name === CONCEPTS_OUTPUT)) return [];
  return [
    {
      name: CONCEPTS_OUTPUT,
      role: 'concepts',
      layer: `conceptScores(${objects.name}, ${classes.name})`,
      kind: 'raw',
      dims: [CONCEPT_COUNT],
      description: `visual-concept scores in [0, 1], VISUAL_CONCEPTS order (src/model/concepts), from ${objects.name} and ${classes.name}; computed after the graph (src/inference/encoder/derived-outputs.ts)`,
      derived: { from: [objects.name, classes.name], version: CONCEPT_MAP_VERSION },
    },
  ];
}

/**
 * The values of `derived` for n images from the graph's outputs (`graph` must hold every `from`).
 * An image whose inputs are not finite gets a NaN row, so the reader's per-photo check names it
 * (the feature cache's "not finite", the decoder's "concept scores contain NaN") and the others go on.
 */
export function computeDerived(
  derived: readonly DerivedOutput[],
  graph: Record<string, Float32Array>,
  n: number,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const d of derived) {
    const [objects, probs] = d.derived.from.map((name) => graph[name]);
    const scores = new Float32Array(n * CONCEPT_COUNT);
    for (let i = 0; i < n; i++) {
      const detector = unitRow(objects, i, DETECTOR_CLASS_COUNT);
      const imagenet = unitRow(probs, i, IMAGENET_CLASS_COUNT);
      if (!detector || !imagenet) scores.fill(NaN, i * CONCEPT_COUNT, (i + 1) * CONCEPT_COUNT);
      else scores.set(conceptScores({ detector, imagenet }), i * CONCEPT_COUNT);
    }
    out[d.name] = scores;
  }
  return out;
}

/** Row i clamped to [0, 1] (a sigmoid or softmax may overshoot by a rounding error), or undefined if a value is not finite. */
function unitRow(values: Float32Array, i: number, length: number): Float32Array | undefined {
  const row = values.slice(i * length, (i + 1) * length);
  for (let j = 0; j < length; j++) {
    if (!Number.isFinite(row[j])) return undefined;
    row[j] = Math.min(1, Math.max(0, row[j]));
  }
  return row;
}
