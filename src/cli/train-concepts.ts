/**
 * Photo concept scores for `lenscribe train --concepts` and `lenscribe eval` on a concept model:
 * K = CONCEPT_COUNT scores per photo, the decoder's concept input. They are the encoder's
 * `concepts` output (a derived output, src/inference/encoder/derived-outputs.ts: conceptScores of
 * the detector's `objects` and ResNet-50's `probs`, e.g. centernet_resnet50), cached like features.
 * The model records the output as `features.conceptOutput` and the caption pipeline reads it back,
 * so training, eval and the app's captions feed the decoder the same numbers.
 *
 * Photos are the rows given; a photo the encoder cannot read keeps all-zero scores (no concept
 * seen), counted in `missing`.
 */
import { UserError } from '../shared/errors.js';
import { openEncoder, resolveOutputs, type EncoderCard, type EncoderOutput } from '../inference/encoder/index.js';
import { CONCEPT_COUNT } from '../model/concepts/visual-concepts.js';
import type { CaptionedImage } from '../training/datasets.js';
import { featuresFor } from './dataset-features.js';
import type { StatusLine } from './ui.js';

/** The name of an encoder's concept-score output. */
export const CONCEPT_OUTPUT = 'concepts';

/** The encoder's concepts output, if it has one. */
function conceptOutputOf(card: EncoderCard): EncoderOutput | undefined {
  try {
    return resolveOutputs(card, [CONCEPT_OUTPUT])[0];
  } catch {
    return undefined; // "no such output" is the answer here, not an error
  }
}

/** The output a concept model over this encoder reads its concepts from; a UserError for an encoder without one. */
export function conceptOutputFor(card: EncoderCard): string {
  const o = conceptOutputOf(card);
  if (!o)
    throw new UserError(
      `--concepts: encoder ${card.name} has no ${CONCEPT_OUTPUT} output (it needs a COCO detector's objects and ImageNet probs, e.g. --encoder centernet_resnet50)`,
    );
  if (o.dims.length !== 1 || o.dims[0] !== CONCEPT_COUNT)
    throw new UserError(`--concepts: encoder ${card.name}'s ${o.name} output is ${o.dims.join('×')}, expected ${CONCEPT_COUNT} scores`);
  return o.name;
}

export interface ConceptOptions {
  cacheDir: string | undefined;
  threads: number | undefined;
  status: StatusLine;
  label: string;
}

export interface PhotoConcepts {
  /** images.length × CONCEPT_COUNT scores, row i for images[i]. */
  concepts: Float32Array;
  /** Photos without scores (the encoder could not read them): their row is 0. */
  missing: number;
  seconds: number;
}

/** The photos' concept scores (encoder output `output`), aligned to `images`. */
export async function photoConcepts(
  encoderName: string,
  output: string,
  images: CaptionedImage[],
  o: ConceptOptions,
): Promise<PhotoConcepts> {
  const K = CONCEPT_COUNT;
  const encoder = await openEncoder({
    name: encoderName,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    log: (l) => o.status.log(l),
  });
  let f;
  try {
    f = await featuresFor(encoder, images, [output], o.cacheDir, o.status, o.label);
  } finally {
    await encoder.close();
  }
  if (f.dim !== K) throw new UserError(`encoder ${encoderName}'s ${output} output is ${f.dim}-d, expected ${K} concept scores`);
  const row = new Map(f.kept.map((img, i) => [img.path, i]));
  const concepts = new Float32Array(images.length * K);
  let missing = 0;
  images.forEach((img, i) => {
    const r = row.get(img.path);
    if (r === undefined) missing++;
    else concepts.set(f.features.subarray(r * K, (r + 1) * K), i * K);
  });
  return { concepts, missing, seconds: f.seconds };
}
