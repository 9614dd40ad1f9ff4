import { describe, expect, it } from 'vitest';
import { evaluateLoss, lossAndGrads } from '../../src/model/decoder.js';
import { Rng } from '../../src/model/rng.js';
import { numericGradient4, relError } from './numeric.js';
import { PAD } from '../../src/model/types.js';
import { randomBatch, tinyConfig, tinyParams } from './fixtures.js';

describe('whole-model gradient check (float64)', () => {
  it('matches numeric gradients for every trainable parameter, 2 layers, no dropout', () => {
    const params = tinyParams(tinyConfig, 11);
    const batch = randomBatch(tinyConfig, 4, 7, 13);
    expect(batch.captions.includes(PAD)).toBe(true); // padding is part of what is checked
    const { grads } = lossAndGrads(params, batch);
    const f = () => evaluateLoss(params, batch).loss;
    for (const [name, g] of Object.entries(grads)) {
      const err = relError(g, numericGradient4(f, params[name]));
      expect(err, name).toBeLessThan(1e-6);
    }
  });

  it('matches numeric gradients in training mode with dropout (fixed masks)', () => {
    const config = { ...tinyConfig, layers: 3, dropout: 0.3 };
    const params = tinyParams(config, 12);
    const batch = randomBatch(config, 3, 5, 12);
    const opts = () => ({ train: true, dropout: 0.3, rng: new Rng(99) });
    const { grads } = lossAndGrads(params, batch, opts());
    const f = () => evaluateLoss(params, batch, opts()).loss;
    for (const [name, g] of Object.entries(grads)) {
      const err = relError(g, numericGradient4(f, params[name]));
      expect(err, name).toBeLessThan(1e-6);
    }
  });
});
