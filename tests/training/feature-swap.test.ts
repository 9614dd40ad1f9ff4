/**
 * Feature swap in training (TrainOptions.featureSwap): some photo captions get another photo's
 * feature while keeping their own concepts, so that where the two disagree the decoder learns to
 * follow the concepts (a photo the Flickr8k feature reads as "dog" while the detector sees a horse).
 */
import { describe, expect, it } from 'vitest';
import { createStepModel } from '../../src/model/decoder.js';
import { greedyDecode } from '../../src/model/decode.js';
import { Rng } from '../../src/model/rng.js';
import { buildBatch, train, type CaptionData, type TokenCaption } from '../../src/training/trainer.js';
import type { DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

// Words: a(4), six animals (5…10), runs(11); photo i shows animal i % K, in its feature and in its concepts.
const vocab = Vocabulary.fromWords(['a', 'dog', 'cat', 'horse', 'cow', 'sheep', 'bird', 'runs']);
const K = 6;
const D = 8;
const PHOTOS = 60;
const config: DecoderConfig = { featureDim: D, embedDim: 16, hiddenDim: 32, layers: 1, vocabSize: vocab.size, dropout: 0, conceptDim: K };

/** Animal k's feature: a cluster of its own. */
function animalFeature(k: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: D }, (_, j) => (j === k ? 3 : 0) + rng.normal() * 0.3);
}

function oneHot(k: number): Float32Array {
  const c = new Float32Array(K);
  c[k] = 1;
  return c;
}

/** PHOTOS photos "a <animal> runs" whose feature and concepts agree. */
function agreeingData(): CaptionData {
  const rng = new Rng(5);
  const features = new Float32Array(PHOTOS * D);
  const concepts = new Float32Array(PHOTOS * K);
  const captions: TokenCaption[] = [];
  for (let i = 0; i < PHOTOS; i++) {
    const k = i % K;
    features.set(animalFeature(k, rng), i * D);
    concepts.set(oneHot(k), i * K);
    captions.push({ image: i, tokens: Int32Array.from([4, 5 + k, 11]) });
  }
  return { features, concepts, captions };
}

describe('feature swap', () => {
  it('gives the chosen share of photo rows another photo of the batch, keeping concepts, text rows and the rest as they were', () => {
    const data = agreeingData();
    data.captions.push({ image: -1, hasImage: false, concepts: oneHot(2), tokens: Int32Array.from([4, 7, 11]) });
    const indices = Int32Array.from({ length: 13 }, (_, i) => (i === 12 ? PHOTOS : i));
    const plain = buildBatch(data, indices, 20, D, { K });
    const all = buildBatch(data, indices, 20, D, { K, featureSwap: 1, rng: new Rng(1) });
    const rowOf = (b: typeof plain, n: number) => b.features.subarray(n * D, (n + 1) * D);
    const photoOf = (row: Float32Array) =>
      [...Array(PHOTOS).keys()].find((p) => data.features.subarray(p * D, (p + 1) * D).every((v, j) => v === row[j]));
    for (let n = 0; n < 12; n++) {
      const from = photoOf(rowOf(all, n));
      expect(from, `row ${n}`).not.toBe(n);
      expect(indices.slice(0, 12)).toContain(from); // a photo of the same batch
    }
    expect(all.concepts).toEqual(plain.concepts);
    expect(rowOf(all, 12).every((v) => v === 0)).toBe(true); // text-only: still no feature
    expect(all.captions).toEqual(plain.captions);
    // At 0 (or without the option) nothing moves; at 0.5 about half the photo rows do.
    expect(buildBatch(data, indices, 20, D, { K, featureSwap: 0, rng: new Rng(1) }).features).toEqual(plain.features);
    const many = Int32Array.from({ length: PHOTOS }, (_, i) => i);
    const half = buildBatch(data, many, 20, D, { K, featureSwap: 0.5, rng: new Rng(2) });
    const moved = [...many].filter((n) => photoOf(rowOf(half, n)) !== n).length;
    expect(moved).toBeGreaterThan(PHOTOS * 0.3);
    expect(moved).toBeLessThan(PHOTOS * 0.7);
    expect(() => buildBatch(data, indices, 20, D, { K, featureSwap: 0.5 })).toThrow(/rng/);
  });

  it('teaches the decoder to follow the concepts where the feature disagrees (smoke training)', async () => {
    const run = (featureSwap: number) =>
      train({ config, train: agreeingData(), validationFraction: 0, epochs: 60, batchSize: 20, learningRate: 1e-2, seed: 3, featureSwap });
    const rng = new Rng(9);
    // Every animal's feature with every other animal's concepts.
    const pairs = [...Array(K).keys()].flatMap((f) => [...Array(K).keys()].filter((c) => c !== f).map((c) => [f, c] as const));
    const features = new Float32Array(pairs.length * D);
    const concepts = new Float32Array(pairs.length * K);
    pairs.forEach(([f, c], i) => {
      features.set(animalFeature(f, rng), i * D);
      concepts.set(oneHot(c), i * K);
    });
    const followed = async (featureSwap: number) => {
      const result = await run(featureSwap);
      expect(result.stopReason).toBe('completed');
      const said = greedyDecode(createStepModel(result.params), vocab, features, pairs.length, { concepts }).map((c) => c.text);
      return pairs.filter(([, c], i) => said[i] === `a ${vocab.decode([5 + c])} runs`).length;
    };
    const withSwap = await followed(0.3);
    const without = await followed(0);
    console.log(`feature swap: concepts followed in ${withSwap}/${pairs.length} disagreeing photos (without swap ${without})`);
    expect(withSwap).toBe(pairs.length);
    expect(without).toBeLessThan(pairs.length);
  });

  it('is refused out of [0, 1] and without concept input', async () => {
    await expect(train({ config, train: agreeingData(), epochs: 1, featureSwap: 1.5 })).rejects.toThrow(/featureSwap/);
    const { conceptDim: _, ...plain } = config;
    await expect(train({ config: plain, train: { ...agreeingData(), concepts: undefined }, epochs: 1, featureSwap: 0.2 })).rejects.toThrow(
      /concept input/,
    );
  });
});
