/**
 * The verdict on a teach run from its before/after figures (src/training/teach-verdict.ts),
 * starting with issue 13's run: held-back CIDEr-D 1.274 -> 0.935, loss 2.512 -> 2.646, general
 * photos -20 % was offered as an upgrade; it is worse.
 */
import { describe, expect, it } from 'vitest';
import type { TeachMetrics } from '../../src/shared/api-contract.js';
import { teachVerdict } from '../../src/training/teach-verdict.js';

function metrics(
  cider: [number, number],
  loss: [number | null, number | null],
  general: number | null,
  { images = 4, renamed = general }: { images?: number; renamed?: number | null } = {},
): TeachMetrics {
  const s = (c: number, l: number | null) => ({ images, loss: l, bleu4: 0.2, cider: c });
  return {
    user: { before: s(cider[0], loss[0]), after: s(cider[1], loss[1]) },
    base: general === null ? null : { before: { ...s(0.5, null), images: 400 }, after: { ...s(0.5 * (1 + general), null), images: 400 } },
    baseCiderChange: general,
    baseCiderChangeRenamed: renamed,
  };
}

describe('teach verdict', () => {
  it("calls issue 13's run worse, with the figures in one sentence", () => {
    const v = teachVerdict(metrics([1.274, 0.935], [2.512, 2.646], -0.2));
    expect(v.kind).toBe('worse');
    expect(v.reason).toBe(
      'Worse: on your 4 held-back photos CIDEr-D fell from 1.27 to 0.94 (loss rose from 2.51 to 2.65), and general photos dropped 20 %.',
    );
  });

  it('better: held-back CIDEr-D rose and general photos held steady', () => {
    const v = teachVerdict(metrics([0.41, 0.88], [2.9, 2.7], -0.02));
    expect(v.kind).toBe('better');
    expect(v.reason).toBe(
      'Better: on your 4 held-back photos CIDEr-D rose from 0.41 to 0.88 (loss fell from 2.90 to 2.70), and general photos held steady (−2 %).',
    );
  });

  it('worse when general photos drop a lot, whatever the held-back photos gained', () => {
    const v = teachVerdict(metrics([0.41, 0.88], [null, null], -0.3));
    expect(v.kind).toBe('worse');
    expect(v.reason).toBe('Worse: on your 4 held-back photos CIDEr-D rose from 0.41 to 0.88, but general photos dropped 30 %.');
  });

  it("better within the engine's forgetting allowance: issue 7's acceptance run (held-back 0.74 -> 1.21, general -9 %)", () => {
    const v = teachVerdict(metrics([0.7412, 1.2076], [3.4451, 3.1437], -0.25, { renamed: -0.0908 }));
    expect(v.kind).toBe('better');
    expect(v.reason).toBe(
      'Better: on your 4 held-back photos CIDEr-D rose from 0.74 to 1.21 (loss fell from 3.45 to 3.14), and general photos dropped 9 %, within the 10 % allowed.',
    );
    expect(v.blocked).toBeUndefined();
  });

  it('mixed: held-back rose but general photos dropped beyond the allowance, or nothing moved', () => {
    const v = teachVerdict(metrics([0.41, 0.88], [null, null], -0.12));
    expect(v.kind).toBe('mixed');
    expect(v.reason).toBe('Mixed: on your 4 held-back photos CIDEr-D rose from 0.41 to 0.88, but general photos dropped 12 %.');
    // Beyond the forgetting budget it cannot be used at all (the UI offers only Discard).
    expect(v.blocked).toBe('it forgot too much: general photos dropped 12.0 %, beyond the 10 % allowed');
    const same = teachVerdict(metrics([0.5, 0.505], [2.5, 2.4], 0, { images: 1 }));
    expect(same.kind).toBe('mixed');
    expect(same.reason).toBe(
      'Mixed: on your 1 held-back photo CIDEr-D barely moved from 0.50 to 0.51 (loss fell from 2.50 to 2.40), and general photos held steady (0 %).',
    );
    expect(teachVerdict(metrics([0.3, 0.301], [null, null], null)).reason).toContain('CIDEr-D stayed at 0.30, and');
  });

  it('reads general photos with new words as the words they replace (a rename is not forgetting)', () => {
    // "rexo" where the references say "dog": the raw score drops 25 %, read back it holds.
    const v = teachVerdict(metrics([0.3, 0.9], [null, null], -0.25, { renamed: -0.01 }));
    expect(v.kind).toBe('better');
    expect(v.reason).toContain('general photos held steady (−1 %)');
  });

  it('says when general photos were not measured', () => {
    const v = teachVerdict(metrics([0.3, 0.9], [null, null], null));
    expect(v.kind).toBe('better');
    expect(v.reason).toContain('general photos were not measured');
    expect(teachVerdict(metrics([0.9, 0.3], [null, null], null)).kind).toBe('worse');
  });
});
