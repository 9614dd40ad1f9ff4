/**
 * The measured acceptance of "Teach Lenscribe" (issue 7) on real Flickr8k photos: 20 photos of
 * dogs (from the base model's training side) are labeled with captions that call the dog
 * "rexo". After fine-tuning, on OTHER dog photos (the base model's validation side, never
 * labeled) the new model must say "rexo" in >= 70 % of captions, on photos without any dog in
 * <= 5 %, and the base-validation CIDEr-D may drop by at most 10 % relative, read with the taught
 * name put back (see the last assertion). Captions are decoded as the app decodes them. The same
 * holds when the base model's guidance finds every photo unfamiliar, so all are described from
 * their concept scores alone (src/model/unfamiliar.ts) and taught that way.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, storedRowInputs } from '../../src/model/model-dir.js';
import { decoderCaptioner } from '../../src/training/metrics/evaluate.js';
import { buildReplaySet, teachModel, type LabeledExample } from '../../src/training/teach.js';
import { tokenize } from '../../src/model/vocab.js';
import { baseModel, features, flickr, isDog, missingForAcceptance, noDog, rename, row } from './flickr.js';

// Runs whenever Flickr8k and a base model are present (~25 s with cached features, ~45 s without). With the COCO-detector default
// model the base says "dog" on 87 % of these dog photos and on 3 % of the others
// (`npm run bench -- concept-probe`), so a taught name can reach the 70 % / 5 % asked.
const missing = missingForAcceptance();
if (missing) console.warn(`teach acceptance skipped: ${missing}`);

/** Teaches 20 labeled dog photos as "rexo" on top of `base`, then captions the validation photos as the app does. */
async function teachRexo(base: string) {
  const { train, val } = flickr();
  const labeledImgs = train
    .filter(
      (img) => isDog(img) && img.captions.some((c) => tokenize(c).filter((w) => w === 'dog').length === 1 && !tokenize(c).includes('dogs')),
    )
    .slice(0, 20);
  const replayTrain = train.filter((_, i) => i % 8 === 3).filter((img) => !labeledImgs.includes(img));
  const dogs = val.filter(isDog);
  const others = val.filter(noDog);
  const paths = [...labeledImgs, ...replayTrain, ...val].map((i) => i.path);
  const f = await features(base, paths);
  const at = (k: number) => row(f, k);

  const labeled: LabeledExample[] = labeledImgs.map((img, i) => {
    const c = img.captions.find((c) => tokenize(c).filter((w) => w === 'dog').length === 1 && !tokenize(c).includes('dogs'))!;
    return { id: i + 1, path: img.path, caption: rename(c, 'dog', 'rexo'), feature: at(i) };
  });
  const offT = labeledImgs.length;
  const offV = offT + replayTrain.length;
  const gather = (from: number, n: number) => {
    const out = new Float32Array(n * f.dim);
    for (let i = 0; i < n; i++) out.set(at(from + i), i * f.dim);
    return out;
  };
  const replay = buildReplaySet(
    { features: gather(offT, replayTrain.length), captions: replayTrain.map((i) => i.captions) },
    { features: gather(offV, val.length), captions: val.map((i) => i.captions) },
    f.dim,
    { trainImages: 800, validationImages: val.length, source: 'Flickr8k (hash split 0.05)' },
  );

  const out = join(mkdtempSync(join(tmpdir(), 'lenscribe-teach-rexo-')), 'taught');
  const result = await teachModel({ baseDir: base, labeled, outDir: out, replay, seed: 1 });
  expect(result.newWords.map((w) => w.word)).toContain('rexo');

  const model = loadModel(out);
  const baseModelLoaded = loadModel(base);
  // The taught name is guided as the word it replaces: off photos the encoders doubt show a dog.
  if (baseModelLoaded.manifest.decoding.guidance) expect(model.manifest.decoding.guidance?.taughtAs?.rexo).toBe('dog');
  // Decoded as the app decodes: the stored row is features then concept scores; guidance as shipped.
  const captioner = (m: typeof model, imgs: typeof val) => {
    const { featureDim: D, conceptDim: K = 0 } = m.decoder.config;
    const rows = new Float32Array(imgs.length * f.dim);
    imgs.forEach((img, i) => rows.set(at(offV + val.indexOf(img)), i * f.dim));
    const { features: feats, concepts } = storedRowInputs(rows, imgs.length, D, K);
    return decoderCaptioner(m.decoder.model, m.decoder.vocab, D, {
      beam: m.manifest.decoding.beam,
      noRepeatNgram: m.manifest.decoding.noRepeatNgram ?? 0,
      guidance: m.manifest.decoding.guidance ?? null,
    })(feats, imgs.length, concepts) as string[];
  };
  const caption = (imgs: typeof val) => captioner(model, imgs);
  const says = (cs: string[]) => cs.filter((c) => tokenize(c).includes('rexo')).length / cs.length;
  const dogCaptions = caption(dogs);
  const otherCaptions = caption(others);
  // The base model's own recognition bounds what a new name can reach: how often it says "dog".
  const baseCaption = (imgs: typeof val) => captioner(baseModelLoaded, imgs);
  const saysDog = (cs: string[]) => cs.filter((c) => /\bdogs?\b/.test(c)).length / cs.length;
  const figures = {
    base: model.manifest.training.options?.finetunedFrom,
    new_words: result.newWords,
    rexo_on_other_dogs: says(dogCaptions),
    dog_photos: dogs.length,
    rexo_on_non_dogs: says(otherCaptions),
    base_says_dog_on_dogs: saysDog(baseCaption(dogs)),
    base_says_dog_on_non_dogs: saysDog(baseCaption(others)),
    non_dog_photos: others.length,
    base_cider_before: result.metrics.base?.before.cider,
    base_cider_after: result.metrics.base?.after.cider,
    base_cider_change: result.metrics.baseCiderChange,
    base_cider_change_renamed: result.metrics.baseCiderChangeRenamed,
    user: result.metrics.user,
    epochs: result.epochsRun,
    best_epoch: result.bestEpoch,
    seconds: result.seconds,
    examples: dogCaptions.slice(0, 5),
  };
  return { figures, result };
}

/** A copy of `base` whose guidance finds every photo unfamiliar (src/model/unfamiliar.ts): all are described from their concepts alone. */
function everyPhotoUnfamiliar(base: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'lenscribe-teach-unfamiliar-')), 'base');
  cpSync(base, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  manifest.decoding.guidance = { ...manifest.decoding.guidance, unfamiliarAbove: 1e-6 };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

describe.skipIf(!!missing)('teaching a new word on real photos', () => {
  it('says "rexo" for other dogs, not for other photos, and keeps its base-validation CIDEr-D', async () => {
    const { figures, result } = await teachRexo(baseModel());
    console.log(JSON.stringify(figures));
    expect(figures.rexo_on_other_dogs).toBeGreaterThanOrEqual(0.7);
    expect(figures.rexo_on_non_dogs).toBeLessThanOrEqual(0.05);
    // Forgetting, at most 10 % of base-validation CIDEr-D. It is read with the taught name put
    // back ("rexo" -> "dog"): those references say "dog", so a model that calls the dogs "rexo"
    // as asked above loses their n-grams by design (raw change ~ -24 %), which is the rename,
    // not forgetting. The raw change is printed above and in the bench.
    expect(result.metrics.baseCiderChangeRenamed!).toBeGreaterThanOrEqual(-0.1);
    expect(result.metrics.baseCiderChange!).toBeLessThanOrEqual(result.metrics.baseCiderChangeRenamed!);
  }, 900_000);

  it('says "rexo" for other dogs when every photo is described from its concepts alone', async () => {
    const { figures } = await teachRexo(everyPhotoUnfamiliar(baseModel()));
    console.log(JSON.stringify({ unfamiliar: true, ...figures }));
    expect(figures.rexo_on_other_dogs).toBeGreaterThanOrEqual(0.7);
    expect(figures.rexo_on_non_dogs).toBeLessThanOrEqual(0.05);
  }, 900_000);
});
