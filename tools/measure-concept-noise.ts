/**
 * Measures how the real encoders' concept scores behave on Flickr8k TRAIN photos, the figures the
 * text-only captions' concept noise is calibrated to (DEFAULT_CONCEPT_NOISE in
 * src/training/concept-noise.ts). Never run it on coco-dev: that set is for evaluation only.
 *
 *   node_modules/.bin/tsx tools/measure-concept-noise.ts [photos=300] [encoder=centernet_resnet50] [captions.jsonl]
 *
 * A concept is present in a photo when >= 3 of its captions name it (conceptsFromCaption), absent
 * when none does (1–2 are ambiguous and left out). Scores are the encoder's `concepts` output (a
 * derived output: conceptScores of its detector's `objects` and ResNet-50's `probs`, the numbers
 * training and captioning feed the decoder), cached like features. Photos: every n-th of the
 * hash split's train side, so they spread over the file. Prints one JSON object (quantiles at 5 %
 * steps for present concepts, 1 % for absent ones, whose tail above 0.3 is thin).
 */
import { openEncoder } from '../src/inference/encoder/index.js';
import { extractFeatures } from '../src/inference/feature-cache.js';
import { loadDataset, splitByHash } from '../src/training/datasets.js';
import { conceptsFromCaption } from '../src/model/concepts/caption-concepts.js';
import { CONCEPT_COUNT } from '../src/model/concepts/visual-concepts.js';
import { datasetPath } from '../src/shared/paths.js';

const count = Number(process.argv[2] ?? 300);
const encoderName = process.argv[3] ?? 'centernet_resnet50';
const data = process.argv[4] ?? datasetPath('flickr8k', 'captions.jsonl');
const train = splitByHash(loadDataset(data).images, 0.05).train;
const step = Math.max(1, Math.floor(train.length / count));
const photos = train.filter((_, i) => i % step === 0).slice(0, count);
const paths = photos.map((p) => p.path);

async function scoresOfPhotos(): Promise<Array<Float32Array | undefined>> {
  const encoder = await openEncoder({ name: encoderName, threads: 1 });
  try {
    const r = await extractFeatures(encoder, paths, { outputs: ['concepts'] });
    return paths.map((_, i) => (r.rowOf[i]! >= 0 ? r.features.slice(r.rowOf[i]! * r.dim, (r.rowOf[i]! + 1) * r.dim) : undefined));
  } finally {
    await encoder.close();
  }
}

function quantiles(values: number[], n = 20): number[] {
  const s = [...values].sort((a, b) => a - b);
  return Array.from({ length: n + 1 }, (_, q) => {
    const x = (q / n) * (s.length - 1);
    const lo = Math.floor(x);
    const v = s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (x - lo);
    return Math.round(v * 1000) / 1000;
  });
}

const scores = await scoresOfPhotos();
const present: number[] = [];
const absentAbove: number[] = [];
let [photosUsed, presentCount, absentCount, above05, above3, above5] = [0, 0, 0, 0, 0, 0];
photos.forEach((photo, i) => {
  const s = scores[i];
  if (!s) return;
  photosUsed++;
  const named = new Uint8Array(CONCEPT_COUNT);
  for (const caption of photo.captions) for (const k of conceptsFromCaption(caption)) named[k]!++;
  for (let k = 0; k < CONCEPT_COUNT; k++) {
    if (named[k]! >= 3) {
      present.push(s[k]!);
      presentCount++;
    } else if (named[k] === 0) {
      absentCount++;
      if (s[k]! > 0.05) {
        above05++;
        absentAbove.push(s[k]!);
      }
      if (s[k]! > 0.3) above3++;
      if (s[k]! > 0.5) above5++;
    }
  }
});
const r3 = (x: number) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    photos: photosUsed,
    present: {
      perPhoto: r3(presentCount / photosUsed),
      below005: r3(present.filter((v) => v < 0.05).length / present.length),
      quantiles: quantiles(present),
      quantilesAbove005: quantiles(present.filter((v) => v >= 0.05)),
    },
    absent: {
      perPhoto: r3(absentCount / photosUsed),
      above005PerPhoto: r3(above05 / photosUsed),
      above03PerPhoto: r3(above3 / photosUsed),
      above05PerPhoto: r3(above5 / photosUsed),
      quantilesAbove005: quantiles(absentAbove, 100),
    },
  }),
);
