/**
 * The README's main job, `lenscribe caption samples`, with the bundled default model on the
 * committed sample photos: every photo gets a caption, the captions are sentences the decoding
 * rules allow, each caption names the photo's main subject and invents no animal (an animal is
 * named only in the photo of that animal). The samples the model still gets wrong are listed in
 * KNOWN_MISSES with what it says; their tests are expected to fail (`it.fails`), so the day one is
 * captioned right the test says so and the entry goes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../src/shared/paths.js';
import { loadModelDir } from '../../src/model/model-dir.js';
import { conceptsFromCaption } from '../../src/model/concepts/caption-concepts.js';
import { conceptIndex, VISUAL_CONCEPTS, withAncestors, type VisualConcept } from '../../src/model/concepts/visual-concepts.js';

const hasModel = existsSync(join(defaultModelDir, 'model.json'));

const PERSON = /\b(man|men|woman|women|boy|boys|girl|girls|child|children|people|person)\b/;
/** Each sample's main subject (a caption names it when it matches), and the animal it shows, if any. */
const SUBJECTS: Record<string, { subject: RegExp; animal?: VisualConcept }> = {
  'german-shepherd.jpg': { subject: /\b(dog|dogs|puppy)\b/, animal: 'dog' },
  'spaniels-window.jpg': { subject: /\b(dog|dogs|puppy|puppies)\b/, animal: 'dog' },
  'horses.jpg': { subject: /\b(horse|horses|pony|ponies|foals?)\b/, animal: 'horse' },
  'cat.jpg': { subject: /\b(cat|cats|kitten|kitty)\b/, animal: 'cat' },
  'beach.jpg': { subject: /\b(beach|sand|sandy|ocean|sea|shore|waves)\b/ },
  'mariachi.jpg': { subject: PERSON },
  'photographer.jpg': { subject: PERSON },
  'stairs.jpg': { subject: PERSON },
  'kites.jpg': { subject: /\bkites?\b/ },
  'coffee.jpg': { subject: /\b(cup|cups|coffee|mug|mugs)\b/ },
  'rocket.jpg': { subject: /\b(rocket|shuttle|launch)\b/ },
  'astronaut.jpg': { subject: PERSON },
};

/** Samples the shipped model gets wrong, with what it said when it shipped (models/default/CARD.md). */
const KNOWN_MISSES: Record<string, string> = {
  'rocket.jpg': 'a couple is sitting on the beach next to a body of water (no concept names a rocket)',
};

const ANIMAL = conceptIndex('animal');

/** The animals (concepts under "animal") a caption names, "animal" itself left out. */
function animalsNamed(caption: string): VisualConcept[] {
  return [...conceptsFromCaption(caption)]
    .filter((c) => c !== ANIMAL && withAncestors(VISUAL_CONCEPTS[c]!).includes(ANIMAL))
    .map((c) => VISUAL_CONCEPTS[c]!);
}

/** An animal the photo does not show: neither its own animal nor one of that animal's ancestors. */
function inventedAnimals(caption: string, shown: VisualConcept | undefined): VisualConcept[] {
  const allowed = shown ? withAncestors(shown) : [];
  return animalsNamed(caption).filter((a) => !allowed.includes(conceptIndex(a)));
}

describe.skipIf(!hasModel)('the default model on the sample photos', () => {
  const captions = new Map<string, string>();
  let rows: Array<{ path: string; status: string; caption: string | null }> = [];

  beforeAll(() => {
    const library = mkdtempSync(join(tmpdir(), 'lenscribe-samples-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'caption', 'samples', '--library', library, '--json'], {
        encoding: 'utf8',
        timeout: 280_000,
      });
      expect(r.status, r.stderr).toBe(0);
      rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { path: string; status: string; caption: string | null });
      for (const row of rows) captions.set(basename(row.path), row.caption ?? '');
    } finally {
      rmSync(library, { recursive: true, force: true });
    }
  }, 300_000);

  it('is the grounded model: centernet_resnet50 features and concepts, guided beam 3 with repeat blocking', () => {
    const { manifest } = loadModelDir(defaultModelDir, { verify: false });
    expect(manifest.encoder.name).toBe('centernet_resnet50');
    expect(manifest.features.conceptOutput).toBe('concepts');
    expect(manifest.decoding).toMatchObject({ beam: 3, noRepeatNgram: 3 });
    expect(manifest.decoding.guidance).toBeDefined();
  });

  it('captions every sample; no repeated trigram, no "x and x"', () => {
    expect(rows).toHaveLength(12);
    expect(rows.every((row) => row.status === 'captioned')).toBe(true);
    for (const [file, text] of captions) {
      const words = text.split(' ');
      expect(words.length, file).toBeGreaterThanOrEqual(4);
      const trigrams = words.slice(2).map((_, i) => words.slice(i, i + 3).join(' '));
      expect(new Set(trigrams).size, `${file}: "${text}" repeats a trigram`).toBe(trigrams.length);
      expect(text, `${file}: one word on both sides of a conjunction`).not.toMatch(/\b(\w+) (and|or) \1\b/);
    }
  });

  for (const [file, { subject, animal }] of Object.entries(SUBJECTS)) {
    const test = KNOWN_MISSES[file] ? it.fails : it;
    test(`${file}: names its main subject and invents no animal`, () => {
      const text = captions.get(file) ?? '';
      expect(text, `${file}: the main subject`).toMatch(subject);
      expect(inventedAnimals(text, animal), `${file}: "${text}" invents an animal`).toEqual([]);
    });
  }
});
