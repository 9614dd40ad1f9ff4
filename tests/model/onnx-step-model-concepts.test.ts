/** The ONNX step model of a decoder with concept input agrees with decoder.ts's, concepts given or not. */
import { describe, expect, it } from 'vitest';
import { beamSearch } from '../../src/model/decode.js';
import { OnnxStepModel } from '../../src/model/onnx-step-model.js';
import { DecoderStepModel, initParams } from '../../src/model/decoder.js';
import { Rng } from '../../src/model/rng.js';
import { END, START, type DecoderConfig } from '../../src/model/types.js';
import { Vocabulary } from '../../src/model/vocab.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('OnnxStepModel with concept input', () => {
  const K = 7;
  const config: DecoderConfig = { featureDim: 40, embedDim: 24, hiddenDim: 32, layers: 2, vocabSize: 60, dropout: 0, conceptDim: K };
  const rng = new Rng(22);
  const params = initParams(config, 10, {
    featureMean: Float32Array.from({ length: 40 }, () => rng.normal()),
    featureStd: Float32Array.from({ length: 40 }, () => 0.5 + rng.uniform()),
  });
  for (let i = 0; i < params.W_concept!.length; i++) params.W_concept![i] = rng.normal();
  params.b_vocab![END]! += 2;
  const N = 5;
  const features = Float32Array.from({ length: N * 40 }, () => 2 * rng.normal() + 0.5);
  const concepts = Float32Array.from({ length: N * K }, () => (rng.uniform() < 0.3 ? 0.5 + 0.5 * rng.uniform() : 0));
  const reference = new DecoderStepModel(params);
  const fast = new OnnxStepModel(params, { threads: 1 });

  it('reads the concepts into h0 like decoder.ts, and steps the same', () => {
    expect(fast.conceptDim).toBe(K);
    const a = reference.initState(features, N, concepts);
    const b = fast.initState(features, N, concepts);
    for (let l = 0; l < 2; l++) expect(maxAbsDiff(a.h[l]!, b.h[l]!)).toBeLessThan(1e-5);
    const plain = reference.initState(features, N);
    expect(maxAbsDiff(a.h[0]!, plain.h[0]!)).toBeGreaterThan(1e-2); // the concepts matter
    const tokens = new Int32Array(N).fill(START);
    expect(maxAbsDiff(reference.step(a, tokens), fast.step(b, tokens))).toBeLessThan(1e-4);
  });

  it('without concepts both use all-zero scores', () => {
    const a = reference.initState(features, N);
    const b = fast.initState(features, N);
    const z = fast.initState(features, N, new Float32Array(N * K));
    for (let l = 0; l < 2; l++) {
      expect(maxAbsDiff(a.h[l]!, b.h[l]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(b.h[l]!, z.h[l]!)).toBe(0);
    }
    expect(() => fast.initState(features, N, new Float32Array(3))).toThrow(/3 concept scores for 5×7/);
  });

  it('gives the same beam search captions as decoder.ts', () => {
    const vocab = Vocabulary.fromWords(Array.from({ length: 56 }, (_, i) => `w${i}`));
    const x = beamSearch(reference, vocab, features, N, { beamWidth: 3, maxLength: 10, concepts });
    const y = beamSearch(fast, vocab, features, N, { beamWidth: 3, maxLength: 10, concepts });
    expect(y.map((l) => l.map((c) => c.text))).toEqual(x.map((l) => l.map((c) => c.text)));
    y.flat().forEach((c, i) => expect(c.logProb).toBeCloseTo(x.flat()[i]!.logProb, 3));
  });
});
