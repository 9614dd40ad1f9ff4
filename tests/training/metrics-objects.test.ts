import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COCO_OBJECTS, COCO_SYNONYMS, objectMentions, pluralOf } from '../../src/model/concepts/coco-objects.js';
import { captionObjects, photoObjects, scoreObjects } from '../../src/training/metrics/index.js';
import { tokenizeCaption } from '../../src/training/metrics/tokenize.js';
import { datasetPath } from '../../src/shared/paths.js';

describe('COCO objects named in a caption (synonyms, plurals, phrases first)', () => {
  it('reads synonyms and plurals as their category', () => {
    expect(captionObjects('A man and two women walk three puppies.')).toEqual(['person', 'person', 'dog']);
    expect(captionObjects('Children and people ride bikes past buses')).toEqual(['person', 'person', 'bicycle', 'bus']);
    expect(captionObjects('knives, mice and a sofa')).toEqual(['knife', 'mouse', 'couch']);
    expect(captionObjects('two wine glasses and cell phones on the dining table')).toEqual(['wine glass', 'cell phone', 'dining table']);
    expect(pluralOf('bench')).toBe('benches');
    expect(pluralOf('puppy')).toBe('puppies');
    expect(pluralOf('policeman')).toBe('policemen');
    expect(pluralOf('human')).toBe('humans');
  });

  it('matches phrases before their words: a hot dog is not a dog, a teddy bear not a bear', () => {
    expect(captionObjects('A dog eats a hot dog')).toEqual(['dog', 'hot dog']);
    expect(captionObjects('hot dogs and a hot-dog stand')).toEqual(['hot dog', 'hot dog']);
    expect(captionObjects('a teddy bear beside a polar bear')).toEqual(['teddy bear', 'bear']);
    expect(captionObjects('a pit bull on a toilet seat')).toEqual(['dog', 'toilet']);
    expect(captionObjects('the bus driver waits at the bus stop')).toEqual(['person']);
    expect(captionObjects('a skier on the ski slope holding skis')).toEqual(['person', 'skis']);
    expect(captionObjects('a fire hydrant by a stop sign, a baseball bat and a tennis racket')).toEqual([
      'fire hydrant',
      'stop sign',
      'baseball bat',
      'tennis racket',
    ]);
    expect(captionObjects('baseball players at a baseball game')).toEqual(['person']);
  });

  it('handles the classic ambiguities: baby animals, orange the colour', () => {
    expect(captionObjects('a baby elephant next to its mother')).toEqual(['elephant', 'person']);
    expect(captionObjects('a baby holding a kitten')).toEqual(['person', 'cat']);
    expect(captionObjects('a man in an orange shirt')).toEqual(['person']);
    expect(captionObjects('an orange and white cat')).toEqual(['cat']);
    expect(captionObjects('an orange and a banana on a plate')).toEqual(['orange', 'banana']);
    expect(captionObjects('two oranges')).toEqual(['orange']);
    expect(captionObjects('a bowl with an orange')).toEqual(['bowl', 'orange']);
  });

  it('names every one of the 80 categories by its own COCO name (and nothing in a caption without objects)', () => {
    expect(COCO_OBJECTS).toHaveLength(80);
    expect(Object.keys(COCO_SYNONYMS).sort()).toEqual([...COCO_OBJECTS].sort());
    for (const o of COCO_OBJECTS) expect(objectMentions(tokenizeCaption(o)).map((m) => m.object)).toContain(o);
    expect(captionObjects('the sun sets over a quiet mountain lake')).toEqual([]);
    expect(captionObjects('')).toEqual([]);
  });
});

describe('CHAIR-s, CHAIR-i and consensus-object recall', () => {
  const refs = [
    ['A man walks his dog.', 'A person with a puppy', 'a guy and his dog on a bench', 'A dog and its owner.', 'A man outside.'],
    ['A plate of food.', 'Some food on a table', 'lunch', 'a meal', 'a plate with rice'],
  ];

  it('takes reference objects from any reference and consensus objects from >= 3 of them', () => {
    const p = photoObjects('a woman and a cat on a bench', refs[0]!);
    expect(new Set(p.reference)).toEqual(new Set(['person', 'dog', 'bench']));
    expect(new Set(p.consensus)).toEqual(new Set(['person', 'dog'])); // person: 4 refs, dog: 4, bench: 1
    expect(p.named).toEqual(['person', 'cat', 'bench']);
    expect(p.hallucinated).toEqual(['cat']);
  });

  it('scores hand-made captions as worked out by hand', () => {
    // photo 1: person, cat (hallucinated), bench -> 1 of 3 mentions hallucinated; consensus {person, dog}: 1 named
    // photo 2: "a dog and a cat" -> 2 hallucinated mentions; the only reference object is the table, 1 ref: no consensus
    const s = scoreObjects(['a woman and a cat on a bench', 'a dog and a cat'], refs);
    expect(s.object_mentions).toBe(5);
    expect(s.hallucinated_mentions).toBe(3);
    expect(s.chair_i).toBeCloseTo(3 / 5, 12);
    expect(s.hallucinating_captions).toBe(2);
    expect(s.chair_s).toBe(1);
    expect(s.consensus_objects).toBe(2);
    expect(s.consensus_named).toBe(1);
    expect(s.consensus_recall).toBeCloseTo(1 / 2, 12); // micro: photo 2 has no consensus objects and adds nothing
  });

  it('counts a caption without objects as not hallucinating and a repeated mention twice', () => {
    const s = scoreObjects(['a nice day outside', 'two men and a man with a dog'], refs);
    expect(s.hallucinating_captions).toBe(1); // photo 2's references name no person or dog
    expect(s.chair_s).toBe(0.5);
    expect(s.object_mentions).toBe(3);
    expect(s.chair_i).toBe(1); // person, person, dog: all hallucinated on photo 2
    expect(s.consensus_recall).toBe(0); // photo 1's person and dog: neither named
  });

  it('gives null recall when no photo has a consensus object, zeros for no objects, and refuses mismatched lists', () => {
    const s = scoreObjects(['a meal'], [refs[1]!]);
    expect(s).toMatchObject({ chair_s: 0, chair_i: 0, consensus_recall: null, object_mentions: 0, consensus_objects: 0 });
    expect(scoreObjects([], [])).toMatchObject({ images: 0, chair_s: 0, chair_i: 0, consensus_recall: null });
    expect(() => scoreObjects(['a dog'], [])).toThrow(/one list of references per caption/);
  });
});

const COCO_DEV = datasetPath('coco-dev', 'captions.jsonl');
const hasModel = existsSync(resolve('models/default/model.json')) && existsSync(COCO_DEV);

describe.skipIf(!hasModel)('lenscribe eval prints the object figures', () => {
  it('adds CHAIR-s, CHAIR-i and consensus recall to --json, equal to the captions it wrote', () => {
    const work = mkdtempSync(join(tmpdir(), 'lenscribe-eval-objects-'));
    const captions = join(work, 'captions.jsonl');
    const args = ['eval', '--data', COCO_DEV, '--limit', '12', '--cache', join(work, 'cache'), '--threads', '1', '--captions', captions];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(Object.keys(line)).toEqual([
      'images',
      'bleu1',
      'bleu2',
      'bleu3',
      'bleu4',
      'rouge_l',
      'cider',
      'chair_s',
      'chair_i',
      'consensus_recall',
    ]);
    const rows = readFileSync(captions, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { caption: string; references: string[]; objects: string[]; hallucinated: string[] });
    expect(rows).toHaveLength(12);
    const again = scoreObjects(
      rows.map((x) => x.caption),
      rows.map((x) => x.references),
    );
    expect(line.chair_s).toBe(again.chair_s);
    expect(line.chair_i).toBe(again.chair_i);
    expect(line.consensus_recall).toBe(again.consensus_recall);
    expect(rows.filter((x) => x.hallucinated.length > 0).length / 12).toBe(line.chair_s);

    const text = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8' });
    expect(text.stdout).toMatch(/CHAIR-s 0\.\d{4} {2}\(captions naming an object no reference names: \d+ of 12\)/);
    expect(text.stdout).toMatch(/CHAIR-i 0\.\d{4}/);
    expect(text.stdout).toMatch(/consensus-object recall (0|1)\.\d{4}/);
  });
});
