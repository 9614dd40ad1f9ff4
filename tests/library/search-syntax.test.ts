/**
 * Issue 19's search: exclusion and OR, whole words above prefixes, expansion that keeps its promise
 * (taught words never expanded, a similarity floor, the concept map's synonyms and hypernyms,
 * labelled and ranked below exact matches), the same answer on the first search, did-you-mean,
 * and tags in the same ranked list. Real SQLite library; the embedding tables are real tables
 * shaped like a decoder's W_embed, through the library's loadEmbeddings option.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir } from './fixtures.js';

const CAPTIONS: Array<[string, string]> = [
  ['p01.jpg', 'a dog catching'],
  ['p02.jpg', 'a black cat sleeping on a red sofa near the window'],
  ['p03.jpg', 'a dog running in the snow'],
  ['p04.jpg', 'a dog lying on the grass'],
  ['p05.jpg', 'a puppy playing with a ball'],
  ['p06.jpg', 'zorbie running on the beach'],
  ['p07.jpg', 'zorbie asleep on the couch'],
  ['p08.jpg', 'a boy running on the beach'],
  ['p09.jpg', 'a boy and a girl at the park'],
  ['p10.jpg', 'a red car parked on a street'],
  ['p11.jpg', 'a bus driving down the road'],
  ['p12.jpg', 'a wild animal in the field'],
  ['p13.jpg', 'a man hiking up a mountain'],
  ['p14.jpg', 'two people standing in a field'],
  ['p15.jpg', 'a tall animal eating leaves from a tree'],
  ['p16.jpg', 'a giraffe standing next to a tree'],
  ['p17.jpg', 'a man napping in a hammock'],
];

/** Words and vectors: zorbie sits next to boy (as a taught name's row sits next to its anchors); sleeping near running (0.55) and napping (0.9). */
function table() {
  const vec: Record<string, number[]> = {
    zorbie: [1, 0, 0, 0],
    boy: [0.95, 0.3, 0, 0],
    sleeping: [0, 0, 1, 0],
    running: [0, 0, 0.55, 0.835],
    napping: [0, 0.1, 0.9, 0.42],
    dog: [0, 1, 0, 0],
  };
  const vocab = ['<pad>', '<start>', '<end>', '<unk>', ...Object.keys(vec)];
  const dim = 4;
  const vectors = new Float32Array(vocab.length * dim);
  vocab.forEach((w, i) => vectors.set(vec[w] ?? [0.01 * i, -0.3, 0.2, 0], i * dim));
  return { vocab, vectors, dim };
}

let lib: Library;
let root: string;
const ids = new Map<string, number>();
let releaseEmbeddings: () => void = () => undefined;

beforeAll(() => {
  root = tempDir();
  // The taught model's folder: teach.json as src/training/teach.ts writes it (newWords with anchors).
  const modelDir = join(root, 'models', 'default-taught');
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(
    join(modelDir, 'teach.json'),
    JSON.stringify({
      format: 'lenscribe-teach',
      version: 1,
      base: { name: 'default' },
      newWords: [{ word: 'zorbie', id: 4, anchors: [{ word: 'dog', weight: 1 }], photos: 2 }],
    }),
  );
  // Embeddings arrive only when the test lets them (a slow disk on first search).
  const gate = new Promise<void>((done) => (releaseEmbeddings = done));
  lib = Library.open(join(root, 'lib'), { registerDefaultModel: false, loadEmbeddings: async () => (await gate, table()) });
  const db = lib.db;
  db.prepare(`INSERT INTO models (id, name, path, active, added_at) VALUES ('taught', 'taught', ?, 1, 0)`).run(modelDir);
  const folder = Number(db.prepare(`INSERT INTO folders (path, added_at) VALUES ('/photos/pets', 0)`).run().lastInsertRowid);
  const photo = db.prepare(`INSERT INTO photos (folder_id, path, name, status, added_at, updated_at) VALUES (?, ?, ?, 'captioned', 0, 0)`);
  const caption = db.prepare(`INSERT INTO captions (photo_id, text, source, created_at) VALUES (?, ?, 'taught', 0)`);
  for (const [name, text] of CAPTIONS) {
    const id = Number(photo.run(folder, `/photos/pets/${name}`, name).lastInsertRowid);
    caption.run(id, text);
    ids.set(name, id);
  }
});

afterAll(async () => {
  await lib.close();
});

const names = (r: { hits: Array<{ photo: { name: string } }> }) => r.hits.map((h) => h.photo.name);

describe('search syntax', () => {
  it('reads -word, -"phrase" and NOT as exclusions, and OR as either', () => {
    const plain = { similarWords: false };
    expect(names(lib.search('dog -snow', plain)).sort()).toEqual(['p01.jpg', 'p04.jpg']);
    expect(names(lib.search('dog NOT snow', plain)).sort()).toEqual(['p01.jpg', 'p04.jpg']);
    expect(names(lib.search('dog -"the grass" ', plain)).sort()).toEqual(['p01.jpg', 'p03.jpg']);
    expect(names(lib.search('car OR bus ', plain)).sort()).toEqual(['p10.jpg', 'p11.jpg']);
    expect(names(lib.search('red car OR sofa ', plain)).sort()).toEqual(['p02.jpg', 'p10.jpg']);
    // Lowercase "or"/"not" are words, not operators (function words: dropped).
    expect(names(lib.search('car or bus ', plain))).toEqual([]);
    // Only exclusions: nothing to look for.
    expect(lib.search('-dog', plain).total).toBe(0);
  });

  it('ranks whole-word matches above matches of the last word as a prefix', () => {
    const r = lib.search('cat', { similarWords: false });
    expect(names(r)).toEqual(['p02.jpg', 'p01.jpg']); // the cat, then the dog catching
    expect(r.hits.map((h) => h.matched.tier)).toEqual(['words', 'prefix']);
    expect(r.hits[0].matched.words).toEqual(['cat']);
  });
});

describe('query expansion', () => {
  it('gives the first search the answer later searches give (it waits for the embeddings)', async () => {
    setTimeout(releaseEmbeddings, 50);
    const a = await lib.searchWhenReady('sleeping');
    const b = lib.search('sleeping');
    expect(names(a)).toEqual(names(b));
    expect(names(a)).toEqual(['p02.jpg', 'p17.jpg']);
  });

  it('never expands a word the user taught: zorbie finds only zorbie', async () => {
    await lib.expansionReady();
    const r = lib.search('zorbie');
    expect(names(r).sort()).toEqual(['p06.jpg', 'p07.jpg']);
    expect(r.expanded).toEqual([]);
  });

  it('keeps a similarity floor: sleeping expands to napping (0.9), not running (0.55)', async () => {
    await lib.expansionReady();
    const r = lib.search('sleeping');
    expect(r.expanded).toEqual([{ term: 'sleeping', similar: ['napping'], source: 'embeddings' }]);
    expect(names(r)).not.toContain('p03.jpg');
    expect(r.hits.at(-1)!.matched.tier).toBe('similar');
  });

  it('uses the concept map: animal finds dogs and a giraffe below the photos that say animal, vehicle finds cars and buses', async () => {
    await lib.expansionReady();
    const r = lib.search('animal');
    const tiers = r.hits.map((h) => h.matched.tier);
    expect(names(r).slice(0, 2).sort()).toEqual(['p12.jpg', 'p15.jpg']);
    expect(tiers.slice(0, 2)).toEqual(['words', 'words']);
    expect(names(r)).toEqual(expect.arrayContaining(['p03.jpg', 'p05.jpg', 'p16.jpg', 'p02.jpg']));
    expect(tiers.slice(2).every((t) => t === 'similar')).toBe(true);
    expect(r.expanded[0]).toMatchObject({
      term: 'animal',
      source: 'concepts',
      similar: expect.arrayContaining(['dog', 'cat', 'giraffe', 'puppy']),
    });
    // Only words some caption says are offered (no "zebra" here).
    expect(r.expanded[0].similar).not.toContain('zebra');
    expect(names(lib.search('vehicle')).sort()).toEqual(['p10.jpg', 'p11.jpg']);
    // A kind expands to its head word only: puppy finds dogs, not the other kinds of dog.
    expect(lib.search('puppy').expanded).toEqual([{ term: 'puppy', similar: ['dog'], source: 'concepts' }]);
  });
});

describe('did you mean', () => {
  it('suggests the nearest indexed words when nothing matches', () => {
    expect(lib.search('dgo').didYouMean).toEqual(['dog']);
    expect(lib.search('moutain').didYouMean).toEqual(['mountain']);
    expect(lib.search('beech ').didYouMean).toEqual(['beach']);
    expect(lib.search('red dgo -snow').didYouMean).toEqual(['red dog -snow']);
    expect(lib.search('dog').didYouMean).toEqual([]);
    expect(lib.search('qqqqzz').didYouMean).toEqual([]);
  });
});

describe('tags in the ranked list', () => {
  beforeAll(() => {
    lib.stores.tags.replaceModel(ids.get('p15.jpg')!, 'taught', [{ tag: 'giraffe', score: 0.93, count: 1 }]);
    lib.stores.tags.replaceModel(ids.get('p16.jpg')!, 'taught', [{ tag: 'giraffe', score: 0.88, count: 1 }]);
    lib.stores.tags.replaceModel(ids.get('p12.jpg')!, 'taught', [
      { tag: 'giraffe', score: 0.41, count: 1 },
      { tag: 'person', score: 0.6, count: 1 },
    ]);
    lib.stores.tags.add(ids.get('p14.jpg')!, 'holiday');
  });

  it('finds photos by tag as well as caption, and says why each matched', () => {
    const r = lib.search('giraffe ', { similarWords: false });
    // Caption and tag agree (p16) above a confident tag alone (p15, 0.93) above a weak one (p12).
    expect(names(r)).toEqual(['p16.jpg', 'p15.jpg', 'p12.jpg']);
    expect(r.hits[0].matched).toEqual({ tier: 'words', words: ['giraffe'], tags: [{ tag: 'giraffe', score: 0.88 }] });
    expect(r.hits[1].matched).toEqual({ tier: 'words', words: [], tags: [{ tag: 'giraffe', score: 0.93 }] });
    expect(r.total).toBe(3);
  });

  it('asks for a tag alone with tag:, combines it with words, and excludes with -tag:', () => {
    expect(names(lib.search('tag:giraffe', { similarWords: false }))).toEqual(['p15.jpg', 'p16.jpg', 'p12.jpg']);
    expect(names(lib.search('tag:giraffe field ', { similarWords: false }))).toEqual(['p12.jpg']);
    expect(names(lib.search('field -tag:giraffe', { similarWords: false }))).toEqual(['p14.jpg']);
    expect(names(lib.search('tag:holiday', { similarWords: false }))).toEqual(['p14.jpg']);
    expect(lib.search('tag:holiday', { similarWords: false }).hits[0].matched.tags).toEqual([{ tag: 'holiday', score: null }]);
    expect(names(lib.search('giraffe', { similarWords: false, tags: false }))).toEqual(['p16.jpg']);
  });
});
