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

describe('OnnxStepModel', () => {
  const config: DecoderConfig = { featureDim: 40, embedDim: 24, hiddenDim: 32, layers: 2, vocabSize: 60, dropout: 0 };
  const rng = new Rng(21);
  const params = initParams(config, 9, {
    featureMean: Float32Array.from({ length: 40 }, () => rng.normal()),
    featureStd: Float32Array.from({ length: 40 }, () => 0.5 + rng.uniform()),
  });
  for (const k of ['b_0', 'b_1', 'b_proj', 'b_vocab']) for (let i = 0; i < params[k]!.length; i++) params[k]![i] += 0.3 * rng.normal();
  const reference = new DecoderStepModel(params);
  const fast = new OnnxStepModel(params, { threads: 1 });
  const direct = new OnnxStepModel(params, { threads: 1, inputTable: false });
  const N = 5;
  const features = Float32Array.from({ length: N * 40 }, () => 2 * rng.normal() + 0.5);

  it('computes the same states and log-probabilities as decoder.ts, step after step, with row selection', () => {
    let a = reference.initState(features, N);
    let b = fast.initState(features, N);
    let d = direct.initState(features, N);
    for (let l = 0; l < 2; l++) expect(maxAbsDiff(a.h[l]!, b.h[l]!)).toBeLessThan(1e-5);
    let tokens = new Int32Array(N).fill(START);
    for (let t = 0; t < 6; t++) {
      const la = reference.step(a, tokens);
      const lb = fast.step(b, tokens);
      expect(maxAbsDiff(la, lb)).toBeLessThan(1e-4);
      expect(maxAbsDiff(la, direct.step(d, tokens))).toBeLessThan(1e-4);
      for (let l = 0; l < 2; l++) {
        expect(maxAbsDiff(a.h[l]!, b.h[l]!)).toBeLessThan(1e-5);
        expect(maxAbsDiff(a.c[l]!, b.c[l]!)).toBeLessThan(1e-5);
      }
      const rows = Int32Array.from({ length: N }, (_, i) => (i * 3 + t) % N);
      a = reference.selectRows(a, rows);
      b = fast.selectRows(b, rows);
      d = direct.selectRows(d, rows);
      tokens = Int32Array.from({ length: N }, () => 4 + rng.int(56));
    }
  });

  it('gives the same beam search captions as decoder.ts', () => {
    const vocab = Vocabulary.fromWords(Array.from({ length: 56 }, (_, i) => `w${i}`));
    params.b_vocab![END]! += 2; // end within a few words
    const ref = new DecoderStepModel(params);
    const onnx = new OnnxStepModel(params, { threads: 1 });
    const x = beamSearch(ref, vocab, features, N, { beamWidth: 3, maxLength: 10 });
    const y = beamSearch(onnx, vocab, features, N, { beamWidth: 3, maxLength: 10 });
    expect(y.map((l) => l.map((c) => c.text))).toEqual(x.map((l) => l.map((c) => c.text)));
    y.flat().forEach((c, i) => expect(c.logProb).toBeCloseTo(x.flat()[i]!.logProb, 3));
  });

  it('rejects token ids outside the vocabulary', () => {
    const s = fast.initState(features, 1);
    expect(() => fast.step(s, new Int32Array([60]))).toThrow(/token id 60 outside the vocabulary/);
    expect(() => fast.step(s, new Int32Array([1, 2]))).toThrow(/2 tokens for 1 rows/);
  });

  it('can be disposed', () => {
    const m = new OnnxStepModel(params, { threads: 1 });
    m.step(m.initState(features, 1), new Int32Array([START]));
    m.dispose();
    m.dispose(); // twice is harmless
    expect(() => m.step(m.initState(features, 1), new Int32Array([START]))).toThrow(/used after dispose/);
  });
});
