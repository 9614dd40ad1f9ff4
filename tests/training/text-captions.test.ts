/** Text-only caption files (src/training/text-captions.ts): per-line errors, sampling, token captions with concepts. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTextCaptions, sampleTextCaptions, textTokenCaptions } from '../../src/training/text-captions.js';
import { Vocabulary } from '../../src/model/vocab.js';
import { Rng } from '../../src/model/rng.js';
import { VISUAL_CONCEPTS } from '../../src/model/concepts/visual-concepts.js';
import { datasetPath } from '../../src/shared/paths.js';

const PASCAL = datasetPath('captions-text', 'pascal.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'lenscribe-text-captions-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadTextCaptions', () => {
  it('reads every good line and names each bad one by line number and reason', () => {
    const path = file(
      'mixed.jsonl',
      [
        JSON.stringify({ id: 'x:1', captions: ['A cat sleeps on a sofa .', '  two   cats '] }),
        '{"id": "x:2", "captions": [',
        '[1, 2]',
        JSON.stringify({ captions: ['no id'] }),
        JSON.stringify({ id: 'x:3', captions: 'a horse' }),
        JSON.stringify({ id: 'x:4', captions: ['', 7] }),
        '',
        JSON.stringify({ id: 'x:5', captions: ['A horse in a field', 3] }),
      ].join('\n'),
    );
    const t = loadTextCaptions(path);
    expect(t.captions).toEqual([
      { id: 'x:1', text: 'A cat sleeps on a sofa .' },
      { id: 'x:1', text: 'two cats' },
      { id: 'x:5', text: 'A horse in a field' },
    ]);
    const problems = t.problems.map((p) => `${p.line}: ${p.message}`);
    expect(problems[0]).toMatch(/^2: not valid JSON/);
    expect(problems.slice(1)).toEqual([
      '3: expected an object {"id", "captions"}',
      '4: "id" must be a non-empty string',
      '5: "captions" of x:3 must be an array of strings',
      '6: x:4 has no caption (an array of non-empty strings)',
      '8: 1 caption(s) of x:5 are not non-empty strings',
    ]);
  });

  it('refuses a missing, empty or wholly bad file with a one-line error', () => {
    expect(() => loadTextCaptions(join(dir, 'gone.jsonl'))).toThrow(/--text .*gone\.jsonl: cannot read it \(ENOENT\)/);
    expect(() => loadTextCaptions(file('empty.jsonl', '\n\n'))).toThrow(/no usable caption \(the file is empty\)/);
    expect(() => loadTextCaptions(file('bad.jsonl', '{"id": 1}\n'))).toThrow(
      /no usable caption \(line 1: "id" must be a non-empty string\)/,
    );
  });

  it.skipIf(!existsSync(PASCAL))('reads the real Pascal sentences: 1,000 photos, ~5,000 captions, no problems', () => {
    const t = loadTextCaptions(PASCAL);
    expect(t.problems).toEqual([]);
    expect(new Set(t.captions.map((c) => c.id)).size).toBe(1000);
    expect(t.captions.length).toBeGreaterThan(4900);
  });
});

describe('sampleTextCaptions and textTokenCaptions', () => {
  it('samples a bounded, seeded subset without repeats', () => {
    const all = Array.from({ length: 100 }, (_, i) => i);
    const a = sampleTextCaptions(all, 30, new Rng(4));
    expect(a).toHaveLength(30);
    expect(new Set(a).size).toBe(30);
    expect(sampleTextCaptions(all, 30, new Rng(4))).toEqual(a);
    expect(sampleTextCaptions(all, 30, new Rng(5))).not.toEqual(a);
    expect(sampleTextCaptions(all, 500, new Rng(4))).toHaveLength(100);
  });

  it('makes text-only captions (no image) with the concepts their words name', () => {
    const texts = ['A tabby cat sleeps on a sofa .', 'a horse on the beach', '...'];
    const vocab = Vocabulary.build(texts, { minCount: 1 });
    const caps = textTokenCaptions(texts, vocab);
    expect(caps).toHaveLength(2); // the caption without words is left out
    for (const c of caps) expect(c).toMatchObject({ image: -1, hasImage: false });
    const named = (i: number) => VISUAL_CONCEPTS.filter((_, k) => caps[i]!.concepts![k] === 1);
    expect(named(0)).toEqual(expect.arrayContaining(['cat', 'couch', 'animal']));
    expect(named(1)).toEqual(expect.arrayContaining(['horse', 'beach', 'animal']));
    expect(vocab.decode(Array.from(caps[1]!.tokens))).toBe('a horse on the beach');
  });
});
