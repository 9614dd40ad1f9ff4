import { describe, expect, it } from 'vitest';
import { shareWorse } from '../../src/training/metrics/bootstrap.js';
import { Rng } from '../../src/model/rng.js';

describe('paired bootstrap', () => {
  const rng = new Rng(3);
  const base = Array.from({ length: 300 }, () => rng.uniform());

  it('calls a clear, consistent loss worse, and a change on a few photos chance', () => {
    expect(
      shareWorse(
        base.map((x) => x - 0.05),
        base,
      ),
    ).toBe(1);
    expect(
      shareWorse(
        base,
        base.map((x) => x - 0.05),
      ),
    ).toBe(0);
    // Two photos better and two worse by the same amount: no verdict either way.
    const mixed = base.map((x, i) => (i < 2 ? x + 0.3 : i < 4 ? x - 0.3 : x));
    const p = shareWorse(mixed, base);
    expect(p).toBeGreaterThan(0.1);
    expect(p).toBeLessThan(0.9);
  });

  it('is seeded: the same scores and seed give the same share', () => {
    const noisy = base.map((x) => x + (rng.uniform() - 0.5) * 0.1);
    expect(shareWorse(noisy, base, 500, 7)).toBe(shareWorse(noisy, base, 500, 7));
    expect(() => shareWorse([1], [1, 2])).toThrow(/1 scores against 2/);
  });
});
