/**
 * The concept output of an encoder for `lenscribe train --concepts`: K = CONCEPT_COUNT scores per
 * photo, the decoder's concept input. It is the encoder's `concepts` output (a derived output,
 * src/inference/encoder/derived-outputs.ts: conceptScores of the detector's `objects` and
 * ResNet-50's `probs`, e.g. centernet_resnet50), stored after the features like them. The model
 * records the output as `features.conceptOutput`, and training, eval, teaching and the app's
 * captions read it back from the same stored vectors (storedOutputNames), so the decoder always
 * gets the same numbers.
 */
import { UserError } from '../shared/errors.js';
import { resolveOutputs, type EncoderCard, type EncoderOutput } from '../inference/encoder/index.js';
import { CONCEPT_COUNT } from '../model/concepts/visual-concepts.js';

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
