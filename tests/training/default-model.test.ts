/**
 * The README's main job, `lenscribe caption samples`, with the bundled default model on the
 * committed sample photos: every photo gets a caption, the captions are sentences the decoding
 * rules allow, and the photos of dogs and of people are captioned as such.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../src/shared/paths.js';
import { loadModelDir } from '../../src/model/model-dir.js';

const hasModel = existsSync(join(defaultModelDir, 'model.json'));

describe.skipIf(!hasModel)('the default model on the sample photos', () => {
  it('captions every sample; dogs as dogs, people as people; no repeated trigram, no "x and x"', { timeout: 300_000 }, () => {
    const { manifest } = loadModelDir(defaultModelDir, { verify: false });
    expect(manifest.encoder.name).toBe('mobilenet_v3_centernet');
    expect(manifest.decoding).toEqual({ beam: 3, noRepeatNgram: 3 });

    const library = mkdtempSync(join(tmpdir(), 'lenscribe-samples-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'caption', 'samples', '--library', library, '--json'], {
        encoding: 'utf8',
        timeout: 280_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; status: string; caption: string | null });
      const caption = new Map(rows.map((row) => [basename(row.path), row.caption ?? '']));
      expect(rows).toHaveLength(12);
      expect(rows.every((row) => row.status === 'captioned')).toBe(true);
      for (const [file, text] of caption) {
        const words = text.split(' ');
        expect(words.length, file).toBeGreaterThanOrEqual(4);
        const trigrams = words.slice(2).map((_, i) => words.slice(i, i + 3).join(' '));
        expect(new Set(trigrams).size, `${file}: "${text}" repeats a trigram`).toBe(trigrams.length);
        expect(text, `${file}: one word on both sides of a conjunction`).not.toMatch(/\b(\w+) (and|or) \1\b/);
      }
      for (const file of ['german-shepherd.jpg', 'spaniels-window.jpg']) expect(caption.get(file), file).toMatch(/\bdogs?\b/);
      for (const file of ['mariachi.jpg', 'photographer.jpg'])
        expect(caption.get(file), file).toMatch(/\b(man|woman|men|women|people|person)\b/);
    } finally {
      rmSync(library, { recursive: true, force: true });
    }
  });
});
