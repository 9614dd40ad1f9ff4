import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/shared/errors.js';
import { describeProblem, loadDataset, splitByHash, splitDeclared, splitHash } from '../../src/training/datasets.js';

let dir: string;
async function jpeg(path: string, rgb: [number, number, number]): Promise<void> {
  await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .jpeg()
    .toFile(path);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-datasets-'));
  mkdirSync(join(dir, 'images'));
  mkdirSync(join(dir, 'f8k', 'Flicker8k_Dataset'), { recursive: true });
  mkdirSync(join(dir, 'karp', 'images', 'val2014'), { recursive: true });
  await jpeg(join(dir, 'images', 'a.jpg'), [200, 30, 30]);
  await jpeg(join(dir, 'images', 'b.jpg'), [30, 200, 30]);
  await jpeg(join(dir, 'f8k', 'Flicker8k_Dataset', '1000_abc.jpg'), [30, 30, 200]);
  await jpeg(join(dir, 'f8k', 'Flicker8k_Dataset', '1001_def.jpg'), [90, 90, 90]);
  await jpeg(join(dir, 'karp', 'images', 'val2014', 'COCO_val2014_1.jpg'), [10, 10, 10]);
  await jpeg(join(dir, 'karp', 'images', 'val2014', 'COCO_val2014_2.jpg'), [250, 250, 250]);
});

describe('jsonl datasets', () => {
  it('reads photos relative to the jsonl, merges repeated files, reports bad lines by number', () => {
    const path = join(dir, 'captions.jsonl');
    writeFileSync(
      path,
      [
        '{"file": "images/a.jpg", "captions": ["A red square .", "  a   red   thing "]}',
        '',
        '{"file": "images/b.jpg", "captions": ["a green square"]}',
        '{"file": "images/a.jpg", "captions": ["more red"]}',
        '{"file": "images/b.jpg", "captions": "not a list"}',
        'this is not json',
        '{"file": "images/missing.jpg", "captions": ["gone"]}',
        '{"captions": ["no file"]}',
        '{"file": "images/b.jpg", "captions": ["", "   "]}',
      ].join('\n'),
    );
    const ds = loadDataset(path);
    expect(ds.format).toBe('jsonl');
    expect(ds.images.map((i) => i.name)).toEqual(['images/a.jpg', 'images/b.jpg']);
    expect(ds.images[0]!.path).toBe(join(dir, 'images', 'a.jpg'));
    expect(ds.images[0]!.captions).toEqual(['A red square .', 'a red thing', 'more red']);
    const msgs = ds.problems.map(describeProblem);
    expect(msgs).toHaveLength(5);
    expect(msgs[0]).toMatch(/^line 5: "captions" must be an array of strings/);
    expect(msgs[1]).toMatch(/^line 6: not valid JSON/);
    expect(msgs[2]).toMatch(/^line 8: "file" must be a non-empty string/);
    expect(msgs[3]).toMatch(/^line 9: images\/b.jpg: no non-empty captions/);
    expect(msgs[4]).toMatch(/images\/missing.jpg: image not found at .*missing.jpg/);
  });

  it('fails with a clear error when nothing usable is left, or the file is empty or absent', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, 'garbage\n{"file": "images/none.jpg", "captions": ["x"]}\n');
    expect(() => loadDataset(bad)).toThrow(/no usable captioned images \(first problem: line 1: not valid JSON/);
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n\n');
    expect(() => loadDataset(empty)).toThrow(/dataset file is empty/);
    expect(() => loadDataset(join(dir, 'nope.jsonl'))).toThrow(UserError);
    expect(() => loadDataset(join(dir, 'nope.jsonl'))).toThrow(/cannot read dataset \(ENOENT\)/);
    expect(() => loadDataset(dir)).toThrow(/is a folder/);
  });
});

describe('Flickr8k token files', () => {
  it('groups captions by image, finds Flicker8k_Dataset next to the file, skips the .jpg.1 quirk', () => {
    const path = join(dir, 'f8k', 'Flickr8k.token.txt');
    writeFileSync(
      path,
      [
        '1000_abc.jpg#0\tA child in a pink dress is climbing up a set of stairs in an entry way .',
        '1000_abc.jpg#1\tA girl going into a wooden building .',
        '1001_def.jpg#0\tA black dog and a spotted dog are fighting',
        '2258277193_586949ec62.jpg.1#0\tpeople standing',
        'no tab here',
        '1001_def.jpg\tmissing the #n',
        '1002_ghi.jpg#0\tphoto that is not on disk',
      ].join('\r\n'),
    );
    const ds = loadDataset(path);
    expect(ds.format).toBe('flickr8k');
    expect(ds.imagesDir).toBe(join(dir, 'f8k', 'Flicker8k_Dataset'));
    expect(ds.images.map((i) => [i.name, i.captions.length])).toEqual([
      ['1000_abc.jpg', 2],
      ['1001_def.jpg', 1],
    ]);
    const msgs = ds.problems.map(describeProblem);
    expect(msgs[0]).toMatch(/^line 4: 2258277193_586949ec62.jpg.1: not an image file name/);
    expect(msgs[1]).toMatch(/^line 5: .*no tab found/);
    expect(msgs[2]).toMatch(/^line 6: "1001_def.jpg" is not "<image>#<n>"/);
    expect(msgs[3]).toMatch(/1002_ghi.jpg: image not found/);
  });
  it('uses an explicit images folder', () => {
    const path = join(dir, 'elsewhere.token.txt');
    writeFileSync(path, 'a.jpg#0\ta red square\n');
    const ds = loadDataset(path, { imagesDir: join(dir, 'images') });
    expect(ds.images[0]!.path).toBe(join(dir, 'images', 'a.jpg'));
  });
});

describe('Karpathy-split JSON', () => {
  it('joins filepath and filename, prefers raw sentences, keeps the declared split', () => {
    const path = join(dir, 'karp', 'dataset_coco.json');
    writeFileSync(
      path,
      JSON.stringify({
        dataset: 'coco',
        images: [
          {
            filepath: 'val2014',
            filename: 'COCO_val2014_1.jpg',
            split: 'val',
            sentences: [{ raw: 'A dark photo.', tokens: ['a', 'dark', 'photo'] }, { tokens: ['very', 'dark'] }],
          },
          { filepath: 'val2014', filename: 'COCO_val2014_2.jpg', split: 'restval', sentences: [{ raw: 'A bright photo.' }] },
          { filepath: 'val2014', filename: 'COCO_val2014_3.jpg', split: 'test', sentences: [{ raw: 'Not on disk.' }] },
          { filename: 'x.jpg', split: 'train' },
        ],
      }),
    );
    const ds = loadDataset(path);
    expect(ds.format).toBe('karpathy');
    expect(ds.imagesDir).toBe(join(dir, 'karp', 'images'));
    expect(ds.images.map((i) => [i.name, i.captions, i.declaredSplit])).toEqual([
      ['val2014/COCO_val2014_1.jpg', ['A dark photo.', 'very dark'], 'val'],
      ['val2014/COCO_val2014_2.jpg', ['A bright photo.'], 'restval'],
    ]);
    expect(ds.problems.map(describeProblem)).toEqual([
      'images[3] (x.jpg): missing "sentences" array',
      expect.stringMatching(/val2014\/COCO_val2014_3.jpg: image not found/),
    ]);
    const s = splitDeclared(ds.images);
    expect(s.val.map((i) => i.name)).toEqual(['val2014/COCO_val2014_1.jpg']);
    expect(s.train.map((i) => i.name)).toEqual(['val2014/COCO_val2014_2.jpg']);
  });
  it('rejects a JSON without an images array', () => {
    const path = join(dir, 'other.json');
    writeFileSync(path, '{\n "foo": 1\n}');
    expect(() => loadDataset(path)).toThrow(/expected a Karpathy-split JSON with an "images" array/);
  });
});

describe('hash validation split', () => {
  const images = Array.from({ length: 2000 }, (_, i) => ({ path: `/x/${i}.jpg`, name: `img_${i}.jpg`, captions: ['c'] }));
  it('is deterministic, independent of order and folder, and close to the fraction', () => {
    const a = splitByHash(images, 0.1);
    const b = splitByHash([...images].reverse(), 0.1);
    expect(new Set(a.val.map((i) => i.name))).toEqual(new Set(b.val.map((i) => i.name)));
    expect(a.val.length + a.train.length).toBe(2000);
    expect(a.val.length).toBeGreaterThan(150);
    expect(a.val.length).toBeLessThan(250);
    expect(splitHash('images/img_5.jpg')).toBe(splitHash('/other/place/img_5.jpg'));
    // Growing the fraction only adds photos to validation.
    const c = splitByHash(images, 0.2);
    const cVal = new Set(c.val.map((i) => i.name));
    for (const img of a.val) expect(cVal.has(img.name)).toBe(true);
    expect(splitByHash(images, 0).val).toHaveLength(0);
    expect(() => splitByHash(images, 1)).toThrow(/--val-fraction/);
    expect(() => splitDeclared(images)).toThrow(/declares no train\/val split/);
  });
});
