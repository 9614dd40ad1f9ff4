/**
 * The derived `concepts` output (src/inference/encoder/derived-outputs.ts): an encoder with the
 * detector's `objects` and ImageNet's `probs` offers it, computed as conceptScores of both outputs of
 * the same run; every reader takes it by name (encodeTensors, encodeFiles, the feature cache, the
 * caption pipeline). A model whose manifest names it as its concept output stores the concept scores
 * after its features and decodes with them (a real K > 0 decoder); a model without one is unchanged.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderDir, loadCard, resolveOutputs } from '../../src/inference/encoder/card.js';
import { CONCEPT_MAP_VERSION, computeDerived, derivedOutputs } from '../../src/inference/encoder/derived-outputs.js';
import { openEncoder, type Encoder } from '../../src/inference/encoder/encoder.js';
import { openEncoderWorker } from '../../src/inference/encoder/encoder-client.js';
import { extractFeatures } from '../../src/inference/feature-cache.js';
import { modelFeatureKey, openCaptioner, type CaptionOutcome } from '../../src/inference/caption-pipeline.js';
import { captionFeatures } from '../../src/model/decode.js';
import { CONFIG_FILE, VOCAB_FILE, WEIGHTS_FILE, saveDecoder } from '../../src/model/decoder-io.js';
import { initParams } from '../../src/model/decoder.js';
import { FLICKR8K_CREDIT, encoderFileRef, writeModelDir, type ModelManifest } from '../../src/model/model-dir.js';
import { conceptScores } from '../../src/model/concepts/concept-scores.js';
import { CONCEPT_COUNT, VISUAL_CONCEPTS } from '../../src/model/concepts/visual-concepts.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';
import { datasetPath } from '../../src/shared/paths.js';

const COCO = datasetPath('coco-dev', 'images');
const K = CONCEPT_COUNT;
const NAME = 'centernet_resnet50';
const work = mkdtempSync(join(tmpdir(), 'lenscribe-concepts-'));
let photos: string[];
let encoder: Encoder;

beforeAll(async () => {
  // Real photos, copied so the feature cache keys them by files this test owns.
  photos = ['000000288685', '000000001584', '000000160012', '000000128051'].map((p) => {
    copyFileSync(join(COCO, `${p}.jpg`), join(work, `${p}.jpg`));
    return join(work, `${p}.jpg`);
  });
  encoder = await openEncoder({ name: NAME, provider: 'cpu', threads: 1, log: () => {} });
});
afterAll(async () => {
  await encoder?.close();
  rmSync(work, { recursive: true, force: true });
});

const rowOf = (a: Float32Array, i: number, w: number) => a.subarray(i * w, (i + 1) * w);
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelManifest;

describe('the concepts output', () => {
  it('is offered by an encoder with both detector and ImageNet outputs, and only by one', () => {
    const [c] = resolveOutputs(loadCard(NAME), ['concepts']);
    expect(c).toMatchObject({
      name: 'concepts',
      role: 'concepts',
      dims: [K],
      derived: { from: ['objects', 'probs'], version: CONCEPT_MAP_VERSION },
    });
    // Not among the defaults (every pooled graph output), so what a model without concepts reads is unchanged.
    expect(resolveOutputs(loadCard(NAME), undefined).map((o) => o.name)).toEqual(['objects', 'detector', 'backbone', 'resnet_pooled']);
    for (const name of ['mobilenet_v3_centernet', 'resnet50_int8', 'mobilenet_v2'])
      expect(() => resolveOutputs(loadCard(name), ['concepts'])).toThrow(new RegExp(`encoder ${name} has no output concepts`));
  });

  it('equals conceptScores of the objects and probs of the same run, on real photos, in this thread and from the worker', async () => {
    const n = photos.length;
    const per = 320 * 320 * 3;
    const pixels = new Uint8Array(n * per);
    for (const [i, p] of photos.entries()) pixels.set((await encoder.preparePhoto(p, { thumbnail: false })).input, i * per);
    const out = await encoder.encodeTensors(pixels, n, ['concepts', 'objects', 'probs']);
    expect(out.concepts.length).toBe(n * K);
    for (let i = 0; i < n; i++) {
      const want = conceptScores({ detector: rowOf(out.objects, i, 80), imagenet: rowOf(out.probs, i, 1000) });
      expect(rowOf(out.concepts, i, K)).toEqual(want);
    }
    // Asked alone it is the same (its sources run without being returned).
    const alone = await encoder.encodeTensors(pixels, n, ['concepts']);
    expect(Object.keys(alone)).toEqual(['concepts']);
    expect(alone.concepts).toEqual(out.concepts);
    // The photos' subjects: sheep, a bus, a pizza, cats.
    const top = (i: number) => VISUAL_CONCEPTS[rowOf(out.concepts, i, K).indexOf(Math.max(...rowOf(out.concepts, i, K)))];
    expect(['sheep', 'animal']).toContain(top(0));
    expect(['bus', 'vehicle']).toContain(top(1));
    expect(['pizza', 'food']).toContain(top(2));
    const worker = await openEncoderWorker({ name: NAME, threads: 1, log: () => {} });
    try {
      const items = await worker.encodeFiles(photos, { outputs: ['concepts'], thumbnail: false });
      items.forEach((it, i) => expect(it.ok && it.features.concepts).toEqual(rowOf(out.concepts, i, K)));
    } finally {
      await worker.close();
    }
  });

  it('gives a photo whose sources are not finite a NaN row, the others their scores', () => {
    const derived = derivedOutputs(loadCard(NAME).outputs);
    const objects = new Float32Array(2 * 80).fill(0.2);
    objects[80 + 5] = NaN;
    const probs = new Float32Array(2 * 1000).fill(0.001);
    probs[0] = 1.0000001; // a softmax's rounding above 1 is clamped, not refused
    const { concepts } = computeDerived(derived, { objects, probs }, 2);
    expect(rowOf(concepts, 0, K).every(Number.isFinite)).toBe(true);
    expect(rowOf(concepts, 1, K).every(Number.isNaN)).toBe(true);
  });

  it('goes through the feature cache like any output: computed once, then read back bit for bit, keyed by the concept map', async () => {
    const cacheDir = join(work, 'cache');
    const outputs = ['objects', 'concepts'];
    const first = await extractFeatures(encoder, photos, { cacheDir, outputs });
    expect(first.dim).toBe(80 + K);
    expect(first.computed).toBe(photos.length);
    const again = await extractFeatures(encoder, photos, { cacheDir, outputs });
    expect(again.cached).toBe(photos.length);
    expect(again.computed).toBe(0);
    expect(again.features).toEqual(first.features);
    for (let i = 0; i < photos.length; i++) {
      const row = rowOf(first.features, i, 80 + K);
      expect(row.subarray(80)).toEqual(conceptScores({ detector: row.slice(0, 80), imagenet: await probsOf(photos[i]) }));
    }
    const files = readdirSync(join(cacheDir, encoder.id.replace(/[^A-Za-z0-9_.@-]/g, '_')));
    expect(files).toContain(`concepts@${CONCEPT_MAP_VERSION}.f32`);
  });
});

async function probsOf(path: string): Promise<Float32Array> {
  const [item] = await encoder.encodeFiles([path], { outputs: ['probs'], thumbnail: false });
  if (!item.ok) throw new Error(item.error.message);
  return item.features.probs;
}

/** A model directory over centernet_resnet50's `objects` (a real decoder: seeded initial weights), with or without concepts. */
function modelDir(name: string, conceptDim: number, conceptOutput?: string): string {
  const dir = join(work, name);
  const card = loadCard(NAME);
  const config: DecoderConfig = {
    featureDim: 80,
    embedDim: 16,
    hiddenDim: 32,
    layers: 1,
    vocabSize: 24,
    dropout: 0,
    ...(conceptDim ? { conceptDim } : {}),
  };
  const vocab = Vocabulary.fromWords([
    'a',
    'dog',
    'cat',
    'sheep',
    'bus',
    'pizza',
    'man',
    'on',
    'in',
    'the',
    'grass',
    'street',
    'plate',
    'with',
    'of',
    'two',
    'is',
    'and',
    'field',
    'red',
  ]);
  const params = initParams(config, 11);
  // Seeded weights start small; a larger concept projection makes what the concepts say show in the captions.
  if (params.W_concept) for (let i = 0; i < params.W_concept.length; i++) params.W_concept[i] *= 40;
  saveDecoder(dir, { config, params, vocab, feature: { encoder: card.name, dim: 80 } });
  writeModelDir(
    dir,
    {
      name,
      encoder: {
        name: card.name,
        file: encoderFileRef(dir, join(encoderDir(NAME), card.file)),
        sha256: card.sha256,
        input: { name: card.input.name, size: card.input.size, layout: 'NHWC', dtype: 'uint8' },
        preprocessing: card.preprocessing,
      },
      features: { outputs: [{ name: 'objects', dims: [80] }], dim: 80, ...(conceptOutput ? { conceptOutput } : {}) },
      decoder: { architecture: 'show-and-tell-lstm', config, weights: WEIGHTS_FILE, vocabulary: VOCAB_FILE, maxLength: 8 },
      decoding: { beam: 2 },
      training: { data: FLICKR8K_CREDIT },
    },
    [CONFIG_FILE],
  );
  return dir;
}

describe('the caption pipeline with a concept model', () => {
  it('stores the concept scores after the features and decodes with them (a K > 0 decoder)', async () => {
    const dir = modelDir('with-concepts', K, 'concepts');
    const captioner = await openCaptioner(dir, 'with-concepts', { threads: 1 });
    let outcomes: CaptionOutcome[];
    try {
      // The key the library finds the model's vectors by, from its manifest alone.
      expect(captioner.encoderId).toBe(modelFeatureKey(readManifest(dir), loadCard(NAME)));
      expect(captioner.encoderId).toBe(`${encoder.id}:objects+concepts@${CONCEPT_MAP_VERSION}`);
      outcomes = await captioner.caption(photos.map((path, id) => ({ id, path })));
      // From the stored vectors (no decode): the same captions.
      const cached = await captioner.caption(
        outcomes.map((o, id) => ({ id, path: join(work, 'gone.jpg'), feature: o.ok ? o.feature : undefined })),
      );
      expect(cached.map((o) => o.ok && o.caption)).toEqual(outcomes.map((o) => o.ok && o.caption));
    } finally {
      await captioner.close();
    }
    // The decoder in this thread, given the same features and concept scores, says the same; with no concepts it scores otherwise.
    const { loadModel } = await import('../../src/model/model-dir.js');
    const { decoder } = loadModel(dir);
    const features = new Float32Array(photos.length * 80);
    const concepts = new Float32Array(photos.length * K);
    for (const [i, o] of outcomes.entries()) {
      if (!o.ok) throw new Error(o.message);
      expect(o.feature!.length).toBe(80 + K);
      const [item] = await encoder.encodeFiles([photos[i]], { outputs: ['objects', 'concepts'], thumbnail: false });
      if (!item.ok) throw new Error(item.error.message);
      expect(o.feature!.subarray(0, 80)).toEqual(item.features.objects);
      expect(o.feature!.subarray(80)).toEqual(item.features.concepts);
      features.set(item.features.objects, i * 80);
      concepts.set(item.features.concepts, i * K);
    }
    const model = decoder.model;
    const withConcepts = captionFeatures(model, decoder.vocab, features, photos.length, { beamWidth: 2, maxLength: 8, concepts });
    const without = captionFeatures(model, decoder.vocab, features, photos.length, { beamWidth: 2, maxLength: 8 });
    expect(outcomes.map((o) => o.ok && o.caption)).toEqual(withConcepts.map((c) => c.text));
    expect(outcomes.map((o) => o.ok && o.score)).toEqual(withConcepts.map((c) => c.score));
    expect(withConcepts.map((c) => c.score)).not.toEqual(without.map((c) => c.score));
  });

  it('refuses a K > 0 model whose manifest names no concept output, with the reason', async () => {
    const dir = modelDir('no-concept-output', K);
    await expect(openCaptioner(dir, 'no-concept-output', { threads: 1 })).rejects.toThrow(
      /the decoder reads 201 concept scores, but model.json names no encoder output for them \(features.conceptOutput\)/,
    );
  });

  it('leaves a model without concepts as it was: features only, the same key', async () => {
    const dir = modelDir('plain', 0);
    const captioner = await openCaptioner(dir, 'plain', { threads: 1 });
    try {
      expect(captioner.encoderId).toBe(`${encoder.id}:objects`);
      expect(captioner.encoderId).toBe(modelFeatureKey(readManifest(dir), loadCard(NAME)));
      const [o] = await captioner.caption([{ id: 1, path: photos[0] }]);
      expect(o.ok && o.feature!.length).toBe(80);
    } finally {
      await captioner.close();
    }
  });
});
