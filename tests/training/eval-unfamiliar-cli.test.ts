/**
 * `lenscribe eval` with the bundled default model's limit on unfamiliar photos
 * (decoding.guidance.unfamiliarAbove, src/model/unfamiliar.ts): it says how many photos it
 * described from their concept scores alone, and --no-unfamiliar captions every photo from its
 * feature too, changing the captions of exactly those photos.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelDir } from '../../src/model/model-dir.js';
import { defaultModelDir } from '../../src/shared/paths.js';
import { cli, FLICKR, hasFlickr } from './cli-run.js';

const limit = loadModelDir(defaultModelDir, { verify: false }).manifest.decoding.guidance?.unfamiliarAbove;

describe.skipIf(!hasFlickr || limit === undefined)('eval and unfamiliar photos', () => {
  it('counts the photos described from their concepts alone, and --no-unfamiliar turns it off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lenscribe-eval-unfamiliar-'));
    const args = ['eval', '--data', join(FLICKR, 'captions.jsonl'), '--split', 'val', '--limit', '80', '--json'];
    const gated = cli([...args, '--captions', join(dir, 'gated.jsonl')]);
    const plain = cli([...args, '--no-unfamiliar', '--captions', join(dir, 'plain.jsonl')]);
    expect(gated.status, gated.stderr).toBe(0);
    expect(plain.status, plain.stderr).toBe(0);
    const counted = /unfamiliar: (\d+) of 80 photos described from their concept scores alone/.exec(gated.stderr);
    expect(counted, gated.stderr).not.toBeNull();
    const far = Number(counted![1]);
    expect(far).toBeGreaterThan(0);
    expect(far).toBeLessThan(20); // Flickr8k's own photos are nearly all familiar
    expect(plain.stderr).not.toMatch(/unfamiliar:/);
    const captions = (f: string) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { caption: string }).caption);
    const changed = captions('gated.jsonl').filter((c, i) => c !== captions('plain.jsonl')[i]).length;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(far);
  }, 120_000);
});
