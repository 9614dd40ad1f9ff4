/**
 * `npm run bench -- teach`: teaching the default model 50 labeled Flickr8k photos (25 dog
 * photos whose caption calls the dog "rexo", 25 others with their own caption), on this machine.
 * Figures: seconds to extract the 50 photos' features (uncached) and to fine-tune (limit 60 s
 * together), and the quality figures of the issue: "rexo" on other dog photos and on photos
 * without dogs (the base model's validation side), user-validation CIDEr-D before/after, and
 * the base-validation CIDEr-D change. Peer, same run: the project's trainer from scratch on the
 * same 50 photos for the same number of epochs (what teaching would be without a base model).
 * Base model: models/default, else /work/runs/default-try3 (copied first). Data read in place
 * from ../shared/datasets/flickr8k.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEncoder } from '../src/inference/encoder/index.js';
import { OnnxStepModel } from '../src/model/onnx-step-model.js';
import { extractFeatures } from '../src/inference/feature-cache.js';
import { buildReplaySet, teachModel, splitLabeled, type LabeledExample } from '../src/training/teach.js';
import { decoderCaptioner } from '../src/training/metrics/evaluate.js';
import { scoreCaptions } from '../src/training/metrics/index.js';
import { loadModel, loadModelDir, storedOutputNames } from '../src/model/model-dir.js';
import { train } from '../src/training/trainer.js';
import { tokenize, Vocabulary } from '../src/model/vocab.js';
import { baseModel, features, flickr, isDog, missingForAcceptance, noDog, rename, row } from '../tests/teach/flickr.js';

const missing = missingForAcceptance();
if (missing) {
  console.log(JSON.stringify({ bench: 'teach', skipped: missing }));
  process.exit(0);
}
const base = baseModel();
const { train: trainSide, val } = flickr();
const single = (c: string) => tokenize(c).filter((w) => w === 'dog').length === 1 && !tokenize(c).includes('dogs');
const dogImgs = trainSide.filter((i) => isDog(i) && i.captions.some(single)).slice(100, 125);
const otherImgs = trainSide.filter(noDog).slice(100, 125);
const labeledImgs = [...dogImgs, ...otherImgs];
const replayTrain = trainSide.filter((_, i) => i % 8 === 3).filter((i) => !labeledImgs.includes(i));
const dogs = val.filter(isDog);
const others = val.filter(noDog);

// Features of the 50 labeled photos, uncached (what a user's first teach pays).
const manifest = loadModelDir(base, { verify: false }).manifest;
const fresh = mkdtempSync(join(tmpdir(), 'lenscribe-bench-ft-'));
const encoder = await openEncoder({ name: manifest.encoder.name });
const tf = performance.now();
const lf = await extractFeatures(
  encoder,
  labeledImgs.map((i) => i.path),
  { cacheDir: fresh, outputs: storedOutputNames(manifest.features) },
);
const featureSeconds = (performance.now() - tf) / 1000;
await encoder.close();
rmSync(fresh, { recursive: true, force: true });

const f = await features(
  base,
  [...replayTrain, ...val].map((i) => i.path),
);
const D = f.dim;
const gather = (from: number, n: number) => {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) out.set(row(f, from + i), i * D);
  return out;
};
const replay = buildReplaySet(
  { features: gather(0, replayTrain.length), captions: replayTrain.map((i) => i.captions) },
  { features: gather(replayTrain.length, val.length), captions: val.map((i) => i.captions) },
  D,
  { trainImages: 800, validationImages: val.length },
);
const labeled: LabeledExample[] = labeledImgs.map((img, i) => ({
  id: i + 1,
  path: img.path,
  caption: i < dogImgs.length ? rename(img.captions.find(single)!, 'dog', 'rexo') : img.captions[0]!,
  feature: row(lf, i),
}));

const work = mkdtempSync(join(tmpdir(), 'lenscribe-bench-ft-out-'));
const t0 = performance.now();
// LENSCRIBE_TEACH_OPTIONS: JSON of extra teachModel() options, for trying settings.
const result = await teachModel({
  baseDir: base,
  labeled,
  outDir: join(work, 'taught'),
  replay,
  ...JSON.parse(process.env.LENSCRIBE_TEACH_OPTIONS ?? '{}'),
});
const finetuneSeconds = (performance.now() - t0) / 1000;

const valFeats = (imgs: typeof val) => {
  const out = new Float32Array(imgs.length * D);
  imgs.forEach((img, i) => out.set(row(f, replayTrain.length + val.indexOf(img)), i * D));
  return out;
};
const says = (cs: string[]) => cs.filter((c) => tokenize(c).includes('rexo')).length / cs.length;
const taught = loadModel(join(work, 'taught'));
const beam = taught.manifest.decoding.beam;
const cap = (m: OnnxStepModel | typeof taught.decoder.model, vocab: Vocabulary, imgs: typeof val) =>
  decoderCaptioner(m, vocab, D, { beam })(valFeats(imgs), imgs.length) as string[];
const oursDogs = says(cap(taught.decoder.model, taught.decoder.vocab, dogs));
const oursOthers = says(cap(taught.decoder.model, taught.decoder.vocab, others));

// Peer: the same trainer from scratch on the same 50 photos, same epochs, same split.
const split = splitLabeled(labeled);
const vocab = Vocabulary.build(
  split.train.map((e) => e.caption),
  { minCount: 1 },
);
const toData = (items: LabeledExample[]) => ({
  features: Float32Array.from(items.flatMap((e) => Array.from(e.feature))),
  captions: items.map((e, i) => ({ image: i, tokens: vocab.encode(e.caption) })),
});
const c = taught.decoder.config;
const tp = performance.now();
const scratch = await train({
  config: { ...c, vocabSize: vocab.size, dropout: 0.5 },
  train: toData(split.train),
  validation: toData(split.validation),
  epochs: result.epochsRun,
  batchSize: 32,
  learningRate: 2e-3,
  patience: 100,
});
const peerSeconds = (performance.now() - tp) / 1000;
const peerModel = new OnnxStepModel(scratch.params);
const peerUser = scoreCaptions(
  decoderCaptioner(peerModel, vocab, D, { beam })(toData(split.validation).features, split.validation.length) as string[],
  split.validation.map((e) => [e.caption]),
);
const peerDogs = says(cap(peerModel, vocab, dogs));
const peerOthers = says(cap(peerModel, vocab, others));
peerModel.dispose();

const r3 = (x: number) => Number(x.toFixed(3));
const line = (figure: string, unit: string, value: number, peerValue: number | null, extra: Record<string, unknown> = {}) =>
  console.log(
    JSON.stringify({
      bench: 'teach',
      figure,
      unit,
      labeled_photos: labeled.length,
      value: r3(value),
      peer: 'the same trainer from scratch on the same 50 photos, same epochs',
      peer_value: peerValue === null ? null : r3(peerValue),
      ratio: peerValue ? r3(value / peerValue) : null,
      ...extra,
    }),
  );
line('teach_seconds', 's', featureSeconds + finetuneSeconds, peerSeconds, {
  limit: '<= 60 s',
  features_seconds: r3(featureSeconds),
  finetune_seconds: r3(finetuneSeconds),
  epochs: result.epochsRun,
  best_epoch: result.bestEpoch + 1,
  stop: result.stopReason,
  curve: result.curve,
  note: 'ours = uncached features of the 50 photos + fine-tune incl. before/after scoring of 328 base-validation photos; peer = training only',
});
line('rexo_on_other_dogs', 'fraction', oursDogs, peerDogs, { photos: dogs.length, target: '>= 0.7' });
line('rexo_on_non_dog_photos', 'fraction', oursOthers, peerOthers, { photos: others.length, target: '<= 0.05' });
line('user_validation_cider', 'CIDEr-D', result.metrics.user.after.cider, peerUser.cider, {
  before: result.metrics.user.before.cider,
  photos: result.validationPhotos,
});
line('base_validation_cider_change', 'relative', result.metrics.baseCiderChange ?? NaN, null, {
  before: result.metrics.base?.before.cider,
  after: result.metrics.base?.after.cider,
  renamed_change: result.metrics.baseCiderChangeRenamed,
  target: '>= -0.10',
});
rmSync(work, { recursive: true, force: true });
