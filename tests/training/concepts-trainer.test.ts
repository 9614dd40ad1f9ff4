/**
 * Training a decoder with concept input on a mix of photo captions and text-only captions
 * (no image feature; concepts read from the words, noised like a detector's).
 */
import { describe, expect, it } from 'vitest';
import { createStepModel, featureStats } from '../../src/model/decoder.js';
import { greedyDecode } from '../../src/model/decode.js';
import { Rng } from '../../src/model/rng.js';
import { train, type CaptionData, type TokenCaption } from '../../src/training/trainer.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

// Words: a(4), six animals (5…10), runs(11), photo(12); concept k names animal 5 + k.
const vocab = Vocabulary.fromWords(['a', 'dog', 'cat', 'horse', 'cow', 'sheep', 'bird', 'runs', 'photo']);
const K = 6;
const D = 8;
const config: DecoderConfig = { featureDim: D, embedDim: 16, hiddenDim: 32, layers: 1, vocabSize: vocab.size, dropout: 0, conceptDim: K };

/** 20 text-only captions "a <animal k> runs" per concept (one-hot concepts), and 30 photos captioned "a photo" (no concepts). */
function mixedData(): CaptionData {
  const rng = new Rng(8);
  const features = Float32Array.from({ length: 30 * D }, () => rng.normal() * 2 + 1);
  const captions: TokenCaption[] = [];
  for (let i = 0; i < 30; i++) captions.push({ image: i, tokens: Int32Array.from([4, 12]) });
  for (let k = 0; k < K; k++) {
    const concepts = new Float32Array(K);
    concepts[k] = 1;
    for (let r = 0; r < 20; r++) captions.push({ image: -1, hasImage: false, concepts, tokens: Int32Array.from([4, 5 + k, 11]) });
  }
  return { features, captions };
}

describe('trainer with concepts', () => {
  it('learns the concept path from text-only captions: one concept in, its word out (smoke training)', async () => {
    const t0 = performance.now();
    const result = await train({
      config,
      train: mixedData(),
      validationFraction: 0,
      epochs: 40,
      batchSize: 32,
      learningRate: 1e-2,
      seed: 3,
      conceptNoise: { pMiss: 0.1, falsePositives: 0.3 },
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(result.stopReason).toBe('completed');
    const model = createStepModel(result.params);
    // No image: a feature at the training mean standardises to zero, as a masked one does.
    const features = new Float32Array(K * D);
    for (let k = 0; k < K; k++) features.set(result.params.feature_mean, k * D);
    const concepts = new Float32Array(K * K);
    for (let k = 0; k < K; k++) concepts[k * K + k] = 0.8; // a detector-like score, not the clean 1
    const said = greedyDecode(model, vocab, features, K, { concepts }).map((c) => c.text);
    expect(said).toEqual(['a dog runs', 'a cat runs', 'a horse runs', 'a cow runs', 'a sheep runs', 'a bird runs']);
    const photo = greedyDecode(model, vocab, mixedData().features.subarray(0, D), 1)[0].text;
    expect(photo).toBe('a photo');
    console.log(
      `concept smoke training: ${result.steps} steps in ${seconds.toFixed(1)} s, final loss ${result.history.at(-1)!.trainLoss.toFixed(4)}`,
    );
  });

  it('is deterministic with concept noise, takes feature statistics from photos only and keeps text-only captions out of validation', async () => {
    const data = mixedData();
    // A row only a text-only caption points at must not enter the statistics.
    const features = new Float32Array(31 * D);
    features.set(data.features);
    features.fill(1000, 30 * D);
    const withStray: CaptionData = { features, captions: data.captions.map((c) => (c.hasImage === false ? { ...c, image: 30 } : c)) };
    const run = (validationFraction: number) =>
      train({ config, train: withStray, epochs: 2, batchSize: 16, seed: 9, validationFraction, conceptNoise: {}, patience: 5 });
    const [a, b] = [await run(0), await run(0)];
    for (const k of Object.keys(a.params)) expect(Array.from(b.params[k]), k).toEqual(Array.from(a.params[k]));
    const stats = featureStats(data.features, 30, D);
    expect(Array.from(a.params.feature_mean)).toEqual(Array.from(stats.mean));
    // 15 photos held out, and every text-only caption (120) trains: 15 + 120 captions, batches of 16.
    const held = await run(0.5);
    expect(held.steps).toBe(2 * Math.ceil(135 / 16));
  });

  it('a model without concepts can still train on text-only captions (the language alone)', async () => {
    const { conceptDim: _, ...plain } = config;
    const data = mixedData();
    data.captions = data.captions.map(({ concepts: _c, ...c }) => c);
    const r = await train({ config: plain, train: data, epochs: 1, batchSize: 32, seed: 1, validationFraction: 0 });
    expect(r.stopReason).toBe('completed');
    expect(r.params.W_concept).toBeUndefined();
  });

  it('rejects concept data that does not fit the decoder, naming the caption or image', async () => {
    const data = mixedData();
    const bad = (change: (d: CaptionData) => void, cfg: DecoderConfig = config) => {
      const d: CaptionData = { ...data, captions: data.captions.map((c) => ({ ...c })) };
      change(d);
      return train({ config: cfg, train: d, epochs: 1, validationFraction: 0 });
    };
    await expect(bad((d) => (d.captions[40].concepts = new Float32Array(3)))).rejects.toThrow(
      /training caption 40: 3 concept scores, the decoder reads 6/,
    );
    await expect(bad((d) => (d.captions[41].concepts = Float32Array.from([0, NaN, 0, 0, 0, 0])))).rejects.toThrow(
      /training caption 41: concept score 1 is NaN, not finite/,
    );
    await expect(bad((d) => (d.concepts = new Float32Array(30 * K - 1)))).rejects.toThrow(/179 values for 30 images × 6 concepts/);
    const { conceptDim: _, ...plain } = config;
    await expect(bad(() => undefined, plain)).rejects.toThrow(
      /training caption 30 has concept scores, but the decoder has no concept input/,
    );
    await expect(train({ config, train: data, epochs: 1, conceptNoise: { pMiss: 2 } })).rejects.toThrow(/conceptNoise.pMiss/);
  });
});
