/**
 * `npm run bench -- concept-probe [model dir ...]`: how well can anything read "is there a dog?"
 * from a model's image features? This bounds the teach acceptance (issue 7: a new name for dogs
 * said on >= 70 % of other dog photos and <= 5 % of photos without one), since a decoder that
 * names dogs is, among other things, a dog detector over the same features.
 *
 * Ours: a logistic-regression probe over the features (standardised per dimension), trained with
 * every Flickr8k training-side photo whose captions agree it shows a dog (>= 3 of 5 say "dog")
 * or shows none (no caption mentions one), scored on the validation side: the true-positive rate
 * at the 5 % false-positive rate the acceptance allows, and the ROC AUC.
 * Peer, same run: the model's own beam-search captions on the same validation photos, i.e. how
 * often it says "dog"/"dogs" on the dog photos and on the others.
 * Default model dir: models/default. Data read in place from ../shared/datasets/flickr8k.
 */
import { loadModel } from '../src/model/model-dir.js';
import { decoderCaptioner } from '../src/training/metrics/evaluate.js';
import { defaultModelDir } from '../src/shared/paths.js';
import { features, flickr, isDog, missingForAcceptance, noDog, row } from '../tests/teach/flickr.js';

const missing = missingForAcceptance();
if (missing) {
  console.log(JSON.stringify({ bench: 'concept-probe', skipped: missing }));
  process.exit(0);
}
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : [defaultModelDir];
const { train, val } = flickr();
const trainSet = [...train.filter(isDog), ...train.filter(noDog)];
const valDogs = val.filter(isDog);
const valOthers = val.filter(noDog);
const valSet = [...valDogs, ...valOthers];
const labels = (imgs: typeof val) => Uint8Array.from(imgs, (i) => (isDog(i) ? 1 : 0));

/** Logistic regression by full-batch gradient descent on standardised features; returns a scorer. */
function fitProbe(x: Float32Array[], y: Uint8Array, { steps = 300, learningRate = 0.2, l2 = 1e-3 } = {}): (v: Float32Array) => number {
  const n = x.length;
  const dim = x[0]!.length;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (const v of x) for (let d = 0; d < dim; d++) mean[d] += v[d]! / n;
  for (const v of x) for (let d = 0; d < dim; d++) std[d] += (v[d]! - mean[d]!) ** 2 / n;
  for (let d = 0; d < dim; d++) std[d] = Math.sqrt(std[d]!) + 1e-6;
  const standardise = (v: Float32Array) => Float64Array.from(v, (a, d) => (a - mean[d]!) / std[d]!);
  const z = x.map(standardise);
  const w = new Float64Array(dim);
  let b = 0;
  const score = (v: Float64Array) => {
    let s = b;
    for (let d = 0; d < dim; d++) s += w[d]! * v[d]!;
    return s;
  };
  for (let step = 0; step < steps; step++) {
    const grad = new Float64Array(dim);
    let gradB = 0;
    z.forEach((v, k) => {
      const err = 1 / (1 + Math.exp(-score(v))) - y[k]!;
      gradB += err;
      for (let d = 0; d < dim; d++) grad[d] += err * v[d]!;
    });
    for (let d = 0; d < dim; d++) w[d] -= learningRate * (grad[d]! / n + l2 * w[d]!);
    b -= (learningRate * gradB) / n;
  }
  return (v) => score(standardise(v));
}

/** True-positive rate at a false-positive rate, and ROC AUC (ties count half). */
function roc(scores: number[], y: Uint8Array, fpr: number): { tpr: number; auc: number } {
  const pos = scores.filter((_, k) => y[k] === 1);
  const neg = scores.filter((_, k) => y[k] === 0).sort((a, b) => b - a);
  const threshold = neg[Math.floor(fpr * neg.length)]!;
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return { tpr: pos.filter((s) => s > threshold).length / pos.length, auc: wins / (pos.length * neg.length) };
}

const r3 = (x: number) => Number(x.toFixed(3));
for (const dir of dirs) {
  const t0 = performance.now();
  const f = await features(
    dir,
    [...trainSet, ...valSet].map((i) => i.path),
  );
  const x = (from: number, n: number) => Array.from({ length: n }, (_, k) => row(f, from + k));
  const probe = fitProbe(x(0, trainSet.length), labels(trainSet));
  const valX = x(trainSet.length, valSet.length);
  const probeScores = valX.map(probe);
  const { tpr, auc } = roc(probeScores, labels(valSet), 0.05);

  const model = loadModel(dir);
  const feats = new Float32Array(valSet.length * f.dim);
  valX.forEach((v, k) => feats.set(v, k * f.dim));
  const captions = decoderCaptioner(model.decoder.model, model.decoder.vocab, f.dim, { beam: model.manifest.decoding.beam })(
    feats,
    valSet.length,
  ) as string[];
  const saysDog = (cs: string[]) => cs.filter((c) => /\bdogs?\b/.test(c)).length / cs.length;
  const captionTpr = saysDog(captions.slice(0, valDogs.length));
  const captionFpr = saysDog(captions.slice(valDogs.length));
  const atPeerFpr = roc(probeScores, labels(valSet), captionFpr).tpr;
  console.log(
    JSON.stringify({
      bench: 'concept-probe',
      model: model.manifest.name,
      encoder: model.manifest.encoder.name,
      features: model.manifest.features.outputs.map((o) => o.name).join('+'),
      concept: 'dog',
      train_photos: { dog: trainSet.filter(isDog).length, none: trainSet.filter(noDog).length },
      val_photos: { dog: valDogs.length, none: valOthers.length },
      probe_tpr_at_fpr_0_05: r3(tpr),
      probe_auc: r3(auc),
      probe_tpr_at_peer_fpr: r3(atPeerFpr),
      peer: 'the model\'s own captions (beam) on the same photos: says "dog"',
      peer_tpr: r3(captionTpr),
      peer_fpr: r3(captionFpr),
      ratio: r3(atPeerFpr / Math.max(captionTpr, 1e-9)),
      ratio_is: "probe TPR / caption TPR, at the caption's own false-positive rate",
      acceptance: 'teach needs >= 0.70 of dog photos at <= 0.05 of the others',
      seconds: r3((performance.now() - t0) / 1000),
    }),
  );
}
