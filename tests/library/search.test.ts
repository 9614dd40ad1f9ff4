import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../src/shared/api-contract.js';
import { WordNeighbours } from '../../src/main/library/expansion.js';
import { Library } from '../../src/main/library/library.js';
import { matchExpression, parseQuery } from '../../src/main/library/query.js';
import { tempDir } from './fixtures.js';

const CAPTIONS: Array<[string, string, string]> = [
  // [folder, file name, caption]
  ['/photos/beach', 'IMG_0001.jpg', 'a black dog runs along the beach'],
  ['/photos/beach', 'IMG_0002.jpg', 'two dogs are playing in the water at the beach'],
  ['/photos/beach', 'IMG_0003.jpg', 'a man surfing a large wave'],
  ['/photos/park', 'IMG_0004.jpg', 'a dog catches a frisbee in the park'],
  ['/photos/park', 'IMG_0005.jpg', 'a little girl in a pink dress is running'],
  ['/photos/park', 'IMG_0006.jpg', 'a boy jumps off a swing'],
  ['/photos/park', 'picnic_dog.jpg', 'people sitting on the grass'],
  ['/photos/city', 'IMG_0008.jpg', 'a crowd of people walking down a busy street'],
  ['/photos/city', 'IMG_0009.jpg', 'a puppy sleeping on a couch'],
  ['/photos/city', 'IMG_0010.jpg', 'a red car parked near a building'],
  ['/photos/city', 'IMG_0011.jpg', 'the black and white dog runs through the snow'],
];

let lib: Library;
const ids = new Map<string, number>();

/** A real embedding table shaped like a decoder's W_embed: dog and puppy close, car far. */
function table() {
  const vocab = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'dog', 'puppy', 'car', 'beach', 'water', 'ocean', 'runs'];
  const vec: Record<string, number[]> = {
    dog: [1, 0.1, 0, 0],
    puppy: [0.95, 0.2, 0, 0.05],
    car: [0, 0, 1, 0],
    beach: [0, 1, 0, 0.3],
    water: [0.1, 0.7, 0, 0.7],
    ocean: [0, 0.8, 0, 0.6],
    runs: [0.2, 0, 0.3, -1],
    a: [0.9, 0.1, 0.1, 0.1],
  };
  const dim = 4;
  const vectors = new Float32Array(vocab.length * dim);
  vocab.forEach((w, i) => vectors.set(vec[w] ?? [0.01 * i, -0.3, 0.2, 0], i * dim));
  return { vocab, vectors, dim };
}

beforeAll(async () => {
  lib = Library.open(join(tempDir(), 'lib'), { registerDefaultModel: false, loadEmbeddings: async () => table() });
  const db = lib.db;
  db.prepare(`INSERT INTO models (id, name, path, active, added_at) VALUES ('test-model', 'test', '/nowhere', 1, 0)`).run();
  const folder = db.prepare('INSERT INTO folders (path, added_at) VALUES (?, 0) ON CONFLICT(path) DO UPDATE SET path = path RETURNING id');
  const photo = db.prepare(
    `INSERT INTO photos (folder_id, path, name, status, taken_at, added_at, updated_at) VALUES (?, ?, ?, 'captioned', ?, 0, 0)`,
  );
  const caption = db.prepare(`INSERT INTO captions (photo_id, text, source, created_at) VALUES (?, ?, 'test-model', 0)`);
  CAPTIONS.forEach(([dir, name, text], i) => {
    const f = (folder.get(dir) as { id: number }).id;
    const id = Number(photo.run(f, `${dir}/${name}`, name, Date.UTC(2020, 0, 1 + i)).lastInsertRowid);
    caption.run(id, text);
    ids.set(name, id);
  });
  await lib.expansionReady();
});

afterAll(async () => {
  await lib.close();
});

const names = (r: ReturnType<Library['search']>) => r.hits.map((h) => h.photo.name);

describe('search', () => {
  it('ranks by bm25 and stems (porter): dogs finds dog', () => {
    const r = lib.search('dogs', { similarWords: false });
    expect(r.total).toBe(5); // four captions with dog/dogs + picnic_dog.jpg by its file name
    expect(names(r)).toContain('picnic_dog.jpg');
    // Caption matches outrank the file-name-only match.
    expect(names(r).at(-1)).toBe('picnic_dog.jpg');
    for (let i = 1; i < r.hits.length; i++) expect(r.hits[i - 1].score).toBeGreaterThanOrEqual(r.hits[i].score);
  });

  it('treats the last word as a prefix while typing, not after a space', () => {
    expect(names(lib.search('fris', { similarWords: false }))).toEqual(['IMG_0004.jpg']);
    expect(lib.search('fris ', { similarWords: false }).total).toBe(0);
    expect(names(lib.search('black do', { similarWords: false })).sort()).toEqual(['IMG_0001.jpg', 'IMG_0011.jpg']);
  });

  it('matches quoted phrases exactly', () => {
    expect(names(lib.search('"black dog"', { similarWords: false }))).toEqual(['IMG_0001.jpg']);
    expect(names(lib.search('"dog black"', { similarWords: false }))).toEqual([]);
    expect(names(lib.search('"white dog runs"', { similarWords: false }))).toEqual(['IMG_0011.jpg']);
  });

  it('highlights matches in the snippet with the contract markers', () => {
    const r = lib.search('frisbee', { similarWords: false });
    expect(r.hits[0].snippet).toBe(`a dog catches a ${SNIPPET_OPEN}frisbee${SNIPPET_CLOSE} in the park`);
  });

  it('filters by folder and by date, and pages with limit/offset', () => {
    const park = lib.listFolders().find((f) => f.path === '/photos/park')!;
    expect(names(lib.search('dog', { folderId: park.id, similarWords: false })).sort()).toEqual(['IMG_0004.jpg', 'picnic_dog.jpg']);
    const jan = lib.search('dog', { from: '2020-01-01', to: '2020-01-02', similarWords: false });
    expect(names(jan).sort()).toEqual(['IMG_0001.jpg', 'IMG_0002.jpg']);
    const all = names(lib.search('dog', { similarWords: false, limit: 100 }));
    const paged = [0, 2, 4].flatMap((offset) => names(lib.search('dog', { similarWords: false, limit: 2, offset })));
    expect(paged).toEqual(all);
  });

  it('expands queries with embedding neighbours, ranked below exact matches, and can be switched off', () => {
    const r = lib.search('puppy');
    expect(r.expanded).toEqual([{ term: 'puppy', similar: expect.arrayContaining(['dog']), source: 'concepts' }]);
    expect(r.hits[0].photo.name).toBe('IMG_0009.jpg');
    expect(r.hits[0].viaSimilar).toBe(false);
    expect(r.hits.length).toBeGreaterThan(1);
    expect(r.hits.slice(1).every((h) => h.viaSimilar)).toBe(true);
    expect(names(r)).toContain('IMG_0004.jpg');
    expect(names(r)).not.toContain('IMG_0010.jpg'); // car is not like puppy
    const off = lib.search('puppy', { similarWords: false });
    expect(names(off)).toEqual(['IMG_0009.jpg']);
    expect(off.expanded).toEqual([]);
    // Paging crosses from exact to expanded hits without repeats.
    const pages = [0, 1, 2, 3, 4, 5].flatMap((offset) => names(lib.search('puppy', { limit: 1, offset })));
    expect(pages).toEqual(names(lib.search('puppy', { limit: 50 })));
  });

  it('never throws on FTS5 syntax or hostile input (fuzz list)', () => {
    const fuzz = [
      '',
      ' ',
      '"',
      '""',
      '"""',
      "'",
      '*',
      '**',
      'dog*',
      '*dog',
      '-',
      '-dog',
      'dog -cat',
      ':',
      'caption:dog',
      'name:',
      '^dog',
      '(',
      ')',
      '(dog',
      'dog)',
      '((dog))',
      ')(',
      'AND',
      'OR',
      'NOT',
      'dog AND',
      'OR dog',
      'dog NOT',
      'NOT NOT',
      'NEAR',
      'NEAR(dog beach)',
      'NEAR(dog beach, 2)',
      'dog NEAR/2 beach',
      '{caption}: dog',
      '+dog',
      'dog + beach',
      '"unbalanced dog',
      'dog"',
      '"a" "b',
      '\\',
      '\\"',
      '\0',
      'dog\0beach',
      '%',
      '_',
      "'; DROP TABLE photos; --",
      'SELECT * FROM photos',
      '🐶',
      '🐶 dog',
      'Ünïcödé',
      '日本語の犬',
      'عربى',
      'a'.repeat(5000),
      'dog '.repeat(300),
      '\n\t\r',
      '\u0002\u0003',
      '$1',
      '?',
      '@match',
      ':match',
      'rowid=1',
      'dog OR OR beach',
      '* *',
      'x*y',
      'col:*',
      '"*"',
      '"dog"*',
      'dog"*"',
      'NEAR(',
      'near/',
      'rank',
      'bm25(photos_fts)',
      '...',
      '---',
      '1 2 3',
      '-1',
      '0x1F',
    ];
    for (const q of fuzz) {
      for (const similarWords of [true, false]) {
        const r = lib.search(q, { similarWords });
        expect(Array.isArray(r.hits), JSON.stringify(q)).toBe(true);
      }
    }
    // "-" and NOT exclude (issue 19; they used to be read as words).
    const dogs = lib.search('dog', { similarWords: false }).total;
    expect(lib.search('dog -beach', { similarWords: false }).total).toBe(dogs - lib.search('dog beach', { similarWords: false }).total);
    expect(lib.search("'; DROP TABLE photos; --").hits).toEqual([]);
    expect(lib.listPhotos().total).toBe(CAPTIONS.length);
  });

  it('parses queries into quoted FTS5 terms only', () => {
    expect(matchExpression(parseQuery('NEAR(dog* -beach'))).toBe('("near" AND "dog") NOT ("beach")');
    expect(matchExpression(parseQuery('"red car" pa'))).toBe('"red car" AND ("pa"* OR "pa")');
    expect(matchExpression(parseQuery('"open phrase'))).toBe('("open phrase"* OR "open phrase")');
    expect(matchExpression(parseQuery('***'))).toBeNull();
  });
});

describe('word neighbours', () => {
  it('finds the nearest vocabulary words by cosine, skipping specials and function words', () => {
    const n = new WordNeighbours(table());
    expect(n.similar('puppy')[0].word).toBe('dog');
    expect(n.similar('puppies')[0].word).toBe('dog');
    expect(n.similar('dog').map((x) => x.word)).not.toContain('a');
    expect(n.similar('zebra')).toEqual([]);
    expect(n.similar('<unk>')).toEqual([]);
  });
});
