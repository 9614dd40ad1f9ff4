/**
 * Unfamiliar photos (src/model/unfamiliar.ts): the distance from the training photos, the limit a
 * share of them stays within, and captionFeatures describing a photo beyond it from its concept
 * scores alone, exactly as the same decoder captions it without a feature (a text-only caption's input).
 */
import { describe, expect, it } from 'vitest';
import { captionFeatures } from '../../src/model/decode.js';
import { DecoderStepModel, initParams } from '../../src/model/decoder.js';
import { checkGuidanceSettings, type GuidanceSettings } from '../../src/model/concepts/concept-guidance.js';
import { CONCEPT_COUNT } from '../../src/model/concepts/visual-concepts.js';
import { familiarLimit, featureDistance, withoutUnfamiliarFeatures } from '../../src/model/unfamiliar.js';
import { Rng } from '../../src/model/rng.js';
import { Vocabulary } from '../../src/model/vocab.js';

const stats = { mean: Float32Array.from([1, 2]), std: Float32Array.from([1, 0.5]) };

describe('the distance from the training photos', () => {
  it('is the mean squared standardised value, 0 at the training mean', () => {
    // z = (0, 0), (2, 0), (0, 2), (-1, -2)
    const d = featureDistance(Float32Array.from([1, 2, 3, 2, 1, 3, 0, 1]), 4, stats);
    expect(Array.from(d)).toEqual([0, 2, 2, 2.5]);
    expect(() => featureDistance(new Float32Array(3), 2, stats)).toThrow(/3 values for 2 photos/);
  });

  it('has a limit that the given share of training photos stays within', () => {
    const d = Float32Array.from({ length: 100 }, (_, i) => 100 - i); // 1 … 100, in any order
    expect(familiarLimit(d, 0.95)).toBe(95);
    expect(familiarLimit(d, 0.8)).toBe(80);
    expect(() => familiarLimit(d, 1)).toThrow(/share/);
    expect(() => familiarLimit(new Float32Array(0), 0.9)).toThrow(/no training photos/);
  });

  it('replaces only the photos beyond the limit by the training mean, leaving the input alone', () => {
    const x = Float32Array.from([1, 2, 3, 2, 1.5, 2.25]);
    const r = withoutUnfamiliarFeatures(x, 3, stats, 1);
    expect(r.unfamiliar).toEqual([false, true, false]);
    expect(Array.from(r.features)).toEqual([1, 2, 1, 2, 1.5, 2.25]);
    expect(Array.from(x)).toEqual([1, 2, 3, 2, 1.5, 2.25]);
    const none = withoutUnfamiliarFeatures(x, 3, stats, 10);
    expect(none.features).toBe(x);
  });
});

describe('captioning an unfamiliar photo', () => {
  const words = ['a', 'dog', 'cat', 'man', 'on', 'the', 'grass', 'kitchen', 'in', 'runs'];
  const vocab = Vocabulary.fromWords(words);
  const D = 6;
  const rng = new Rng(7);
  const featureMean = Float32Array.from({ length: D }, () => rng.normal());
  const featureStd = Float32Array.from({ length: D }, () => 0.5 + rng.uniform());
  const params = initParams(
    { featureDim: D, embedDim: 8, hiddenDim: 12, layers: 1, vocabSize: vocab.size, dropout: 0, conceptDim: CONCEPT_COUNT },
    3,
    { featureMean, featureStd },
  );
  // Scale the projections up so features and concepts both move the caption.
  for (const k of ['W_proj', 'W_concept']) params[k] = params[k]!.map((v) => v * 8);
  const model = new DecoderStepModel(params);
  const near = Float32Array.from(featureMean, (m, j) => m + 0.5 * featureStd[j]!); // distance 0.25
  const far = Float32Array.from(featureMean, (m, j) => m + (j % 2 ? 3 : -3) * featureStd[j]!); // distance 9
  const features = Float32Array.from([...near, ...far]);
  const concepts = Float32Array.from({ length: 2 * CONCEPT_COUNT }, () => rng.uniform());
  const guidance: GuidanceSettings = { requireAbove: 1, maxRequired: 0, vetoBelow: 0 };
  const caption = (f: Float32Array, g: GuidanceSettings) =>
    captionFeatures(model, vocab, f, 2, { beamWidth: 3, maxLength: 8, concepts, guideBy: g });

  it('describes it from its concepts alone, and a familiar one as before', () => {
    const gated = caption(features, { ...guidance, unfamiliarAbove: 4 });
    const plain = caption(features, guidance);
    const noFeature = caption(Float32Array.from([...near, ...featureMean]), guidance);
    expect(gated.map((c) => c.fromConcepts)).toEqual([false, true]);
    expect(gated[0]!.text).toBe(plain[0]!.text);
    expect(gated[1]!.text).toBe(noFeature[1]!.text);
    expect(gated[1]!.text).not.toBe(plain[1]!.text); // the feature mattered, and was left out
    expect(plain.every((c) => c.fromConcepts === undefined)).toBe(true);
  });

  it('refuses a limit that is not a positive number', () => {
    expect(() => checkGuidanceSettings({ ...guidance, unfamiliarAbove: 0 })).toThrow(/unfamiliarAbove/);
    expect(() => checkGuidanceSettings({ ...guidance, unfamiliarAbove: Number.NaN })).toThrow(/unfamiliarAbove/);
  });
});
