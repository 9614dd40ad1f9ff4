/**
 * The model can memorise: 50 captions of 50 random feature vectors, trained by the real
 * trainer, come back word for word from greedy decoding.
 */
import { describe, expect, it } from 'vitest';
import { createStepModel } from '../../src/model/decoder.js';
import { train, type TokenCaption } from '../../src/training/trainer.js';
import { Rng } from '../../src/model/rng.js';
import { END, START, type StepModel } from '../../src/model/types.js';

/** The simplest search over a StepModel: the most likely word at every step. */
function greedy(model: StepModel, features: Float32Array, n: number, maxLen: number): number[][] {
  const state = model.initState(features, n);
  let tokens = new Int32Array(n).fill(START);
  const out: number[][] = Array.from({ length: n }, () => []);
  const done = new Array(n).fill(false);
  for (let t = 0; t < maxLen; t++) {
    const logp = model.step(state, tokens);
    const V = model.vocabSize;
    tokens = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (logp[i * V + v] > logp[i * V + best]) best = v;
      tokens[i] = best;
      if (!done[i]) {
        if (best === END) done[i] = true;
        else out[i].push(best);
      }
    }
    if (done.every(Boolean)) break;
  }
  return out;
}

describe('overfit', () => {
  it('memorises 50 captions and reproduces them exactly with greedy decoding', async () => {
    const rng = new Rng(2024);
    const [N, D, V] = [50, 32, 40];
    const features = new Float32Array(N * D).map(() => rng.normal() * 3 + 1);
    const captions: TokenCaption[] = [];
    for (let i = 0; i < N; i++) {
      const len = 3 + rng.int(8);
      captions.push({ image: i, tokens: Int32Array.from({ length: len }, () => 4 + rng.int(V - 4)) });
    }
    const result = await train({
      config: { featureDim: D, embedDim: 32, hiddenDim: 96, layers: 1, vocabSize: V, dropout: 0 },
      train: { features, captions },
      validationFraction: 0,
      epochs: 150,
      batchSize: 25,
      learningRate: 1e-2,
      seed: 5,
    });
    expect(result.stopReason).toBe('completed');
    expect(result.history.at(-1)!.trainLoss).toBeLessThan(0.05);
    const decoded = greedy(createStepModel(result.params), features, N, 20);
    let exact = 0;
    for (let i = 0; i < N; i++) if (decoded[i].join(' ') === Array.from(captions[i].tokens).join(' ')) exact++;
    expect(exact).toBe(N);
  });
});
