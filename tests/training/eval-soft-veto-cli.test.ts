/**
 * `lenscribe eval --soft-veto w` with the bundled default model: object names the encoders doubt
 * are weighted by score^w while decoding (concept-guidance.ts), so a heavy weight changes captions
 * and names no more hallucinated objects than none; bad weights and unguided decoding are refused.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/model/model-dir.js';
import { defaultModelDir } from '../../src/shared/paths.js';
import { cli, FLICKR, hasFlickr } from './cli-run.js';

const guided = loadModelDir(defaultModelDir, { verify: false }).manifest.decoding.guidance !== undefined;

describe.skipIf(!hasFlickr || !guided)('eval --soft-veto', () => {
  it('a heavy weight changes captions and hallucinates no more; bad weights are refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lenscribe-eval-soft-'));
    const args = ['eval', '--data', join(FLICKR, 'captions.jsonl'), '--split', 'val', '--limit', '80', '--json'];
    const none = cli([...args, '--soft-veto', '0', '--captions', join(dir, 'none.jsonl')]);
    const heavy = cli([...args, '--soft-veto', '10', '--captions', join(dir, 'heavy.jsonl')]);
    expect(none.status, none.stderr).toBe(0);
    expect(heavy.status, heavy.stderr).toBe(0);
    const scores = (r: typeof none) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { chair_s: number };
    expect(scores(heavy).chair_s).toBeLessThanOrEqual(scores(none).chair_s);
    const rows = (f: string) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { caption: string; hallucinated: string[] });
    const hallucinated = (f: string) => rows(f).reduce((a, r) => a + r.hallucinated.length, 0);
    expect(hallucinated('heavy.jsonl')).toBeLessThanOrEqual(hallucinated('none.jsonl'));
    const plain = rows('none.jsonl');
    expect(rows('heavy.jsonl').filter((r, i) => r.caption !== plain[i]!.caption).length).toBeGreaterThan(0);
    const tooHeavy = cli([...args, '--soft-veto', '11']);
    expect(tooHeavy.status).not.toBe(0);
    expect(tooHeavy.stderr).toMatch(/--soft-veto/);
    const unguided = cli([...args, '--no-guide', '--soft-veto', '1']);
    expect(unguided.status).not.toBe(0);
    expect(unguided.stderr).toMatch(/--soft-veto needs guided decoding/);
  }, 180_000);
});
