/**
 * A photo's tags from its encoder outputs, the features the library already stores: the
 * concepts the encoders are confident of, each with its score (src/model/concepts). Which
 * outputs a model's feature vector holds, and where, comes from its manifest and its encoder's
 * card: for a model with concept input, the concept scores stored after its features (the encoder's
 * concept output, already combined from the detector and ImageNet); otherwise the COCO detector's
 * `objects` (80 per-class scores, role 'objects') and, when an encoder with an ImageNet head is used,
 * its 1000 class probabilities (role 'classes'). A new concept source is one more role read here
 * and one more field of ConceptEvidence.
 */
import { loadCard } from '../../inference/encoder/card.js';
import { modelFeatureKey } from '../../inference/caption-pipeline.js';
import { DETECTION_MIN_SCORE } from '../../inference/encoder/object-counts.js';
import { conceptScores, DETECTOR_CLASS_COUNT, IMAGENET_CLASS_COUNT, type ConceptEvidence } from '../../model/concepts/concept-scores.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS } from '../../model/concepts/visual-concepts.js';
import { readManifest, type ModelRecord } from './model-registry.js';
import type { DerivedTag } from './tags.js';

/**
 * Lowest concept score that makes a tag. Measured with mobilenet_v3_centernet on Flickr8k and
 * coco-dev photos: the named object scores 0.38–0.83 (dogs 0.38–0.74, buses 0.48–0.83), while
 * the classes nobody names stay under 0.3 on most photos (a second animal class 0.09–0.21).
 * The detector's counts use the same bar, so a detector tag is seen at least once.
 */
export const TAG_MIN_SCORE = DETECTION_MIN_SCORE;

/** Where each concept source sits in a model's feature vector (offsets), when the model has it. */
export interface ConceptLayout {
  detector?: number;
  imagenet?: number;
  /** Offset of the stored concept scores (CONCEPT_COUNT of them), for a model with concept input. */
  concepts?: number;
  /** The features table's key for this model's vectors (as the caption pipeline's worker makes it). */
  featureKey: string;
}

/** The layout of a model's features, or null when no output of its encoder names concepts. */
export function conceptLayout(modelDir: string): ConceptLayout | null {
  const manifest = readManifest(modelDir);
  const { encoder, features } = manifest;
  let card;
  try {
    card = loadCard(encoder.name);
  } catch {
    return null; // an encoder this build does not ship: no roles to read
  }
  const layout: ConceptLayout = { featureKey: modelFeatureKey(manifest, card) };
  if (features.conceptOutput !== undefined) layout.concepts = features.dim;
  let offset = 0;
  for (const o of features.outputs) {
    const size = o.dims.reduce((a, b) => a * b, 1);
    const role = card.outputs.find((c) => c.name === o.name)?.role;
    if (role === 'objects' && size === DETECTOR_CLASS_COUNT) layout.detector = offset;
    if (role === 'classes' && size === IMAGENET_CLASS_COUNT) layout.imagenet = offset;
    offset += size;
  }
  return layout.detector === undefined && layout.imagenet === undefined && layout.concepts === undefined ? null : layout;
}

/** Clamp to [0, 1]: flip-averaged or quantized outputs may stray by a rounding error. */
const unit = (v: Float32Array) => v.map((x) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0));

/**
 * The tags of one photo: every concept scoring at least `minScore`, best first; a detector class
 * (concept i < 80 is COCO class i) with its count of detections when `objectCounts` are given.
 */
export function deriveTags(
  feature: Float32Array,
  layout: ConceptLayout,
  objectCounts?: readonly number[],
  minScore = TAG_MIN_SCORE,
): DerivedTag[] {
  const evidence: ConceptEvidence = {};
  if (layout.detector !== undefined && feature.length >= layout.detector + DETECTOR_CLASS_COUNT)
    evidence.detector = unit(feature.subarray(layout.detector, layout.detector + DETECTOR_CLASS_COUNT));
  if (layout.imagenet !== undefined && feature.length >= layout.imagenet + IMAGENET_CLASS_COUNT)
    evidence.imagenet = unit(feature.subarray(layout.imagenet, layout.imagenet + IMAGENET_CLASS_COUNT));
  const stored =
    layout.concepts !== undefined && feature.length >= layout.concepts + CONCEPT_COUNT
      ? unit(feature.subarray(layout.concepts, layout.concepts + CONCEPT_COUNT))
      : null;
  if (!stored && !evidence.detector && !evidence.imagenet) return [];
  const scores = stored ?? conceptScores(evidence);
  const out: DerivedTag[] = [];
  for (let k = 0; k < scores.length; k++) {
    if (scores[k] < minScore) continue;
    const counted = evidence.detector && objectCounts?.length === DETECTOR_CLASS_COUNT && k < DETECTOR_CLASS_COUNT;
    // At least one: a score this high is a detection (with flip averaging, maybe in the mirror image only).
    const count = counted ? Math.max(1, Math.round(objectCounts[k])) : null;
    out.push({ tag: VISUAL_CONCEPTS[k], score: Math.round(scores[k] * 1e4) / 1e4, count });
  }
  return out.sort((a, b) => b.score - a.score || a.tag.localeCompare(b.tag));
}

/** Each model's concept layout, read once (a manifest and a card per model). */
export class TagDeriver {
  private readonly layouts = new Map<string, ConceptLayout | null>();

  /** The model's concept layout (null: its encoder names no concepts, or its manifest does not read). */
  layout(model: Pick<ModelRecord, 'id' | 'path'>): ConceptLayout | null {
    let layout = this.layouts.get(model.id);
    if (layout === undefined) {
      try {
        layout = conceptLayout(model.path);
      } catch {
        layout = null; // an unreadable manifest: captioning reports it; tags are simply not derived
      }
      this.layouts.set(model.id, layout);
    }
    return layout;
  }

  /** The model's tags for a feature vector; [] when the model's encoder names no concepts. */
  derive(model: Pick<ModelRecord, 'id' | 'path'>, feature: Float32Array, objectCounts?: readonly number[]): DerivedTag[] {
    const layout = this.layout(model);
    return layout ? deriveTags(feature, layout, objectCounts) : [];
  }
}
