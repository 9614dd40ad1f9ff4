/**
 * Tags per photo (issue 19) through the real pipeline: the bundled model (models/default, whose
 * encoder runs the COCO detector and ResNet-50 in one graph) captions real Flickr8k dog photos and
 * coco-dev bus photos; their tags come from the stored concept scores (detector and ImageNet). The user's tags,
 * removed tags and a model change are checked on the real SQLite file, across a reopen.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { datasetPath, defaultModelDir } from '../../src/shared/paths.js';
import { tempDir } from './fixtures.js';

const FLICKR = datasetPath('flickr8k');
const COCO = datasetPath('coco-dev');
/** Photos whose detector scores were measured (tag-derivation.ts): dog 0.74 and 0.46; bus 0.83 and 0.74. */
const DOGS = ['1001773457_577c3a7d70.jpg', '1012212859_01547e3f17.jpg'];
const BUSES = ['000000001584.jpg', '000000423617.jpg'];
const ready =
  existsSync(join(defaultModelDir, 'model.json')) &&
  existsSync(join(FLICKR, 'images', DOGS[0])) &&
  existsSync(join(COCO, 'images', BUSES[0]));

/** The CLI as the user runs it (a real process on the same library folder). */
function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr
      .split('\n')
      .filter((l) => l && !l.startsWith('encoder: running on'))
      .join('\n'),
  };
}
const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A second model: the bundled one under another name (another model id, the same encoder). */
function copyOfDefaultModel(dir: string): string {
  cpSync(defaultModelDir, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { name: string };
  manifest.name = 'default-copy';
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

describe.skipIf(!ready)('tags per photo (real detector, real SQLite)', () => {
  let root: string;
  let libDir: string;
  let lib: Library;
  const id: Record<string, number> = {};

  beforeAll(async () => {
    root = tempDir('lenscribe-tags-');
    const photos = join(root, 'photos');
    mkdirSync(photos, { recursive: true });
    for (const f of DOGS) copyFileSync(join(FLICKR, 'images', f), join(photos, `dog-${f}`));
    for (const f of BUSES) copyFileSync(join(COCO, 'images', f), join(photos, `bus-${f}`));
    libDir = join(root, 'lib');
    lib = Library.open(libDir, { batchSize: 4 });
    const { jobId } = await lib.addFolder(photos);
    expect((await lib.waitForJob(jobId!)).status).toBe('done');
    for (const p of lib.listPhotos().items) id[p.name] = p.id;
  }, 120_000);

  afterAll(async () => {
    await lib?.close();
  });

  const tagsOf = (name: string) => lib.getPhoto(id[name])!.tags;
  const words = (name: string) => tagsOf(name).map((t) => t.tag);

  it('derives the detector classes it is confident of, with their hypernyms, score and source', () => {
    const model = lib.activeModel()!.id;
    for (const f of DOGS) {
      const dog = tagsOf(`dog-${f}`).find((t) => t.tag === 'dog');
      expect(dog, `dog-${f}: ${words(`dog-${f}`).join(', ')}`).toMatchObject({ kind: 'model', source: model });
      expect(dog!.score).toBeGreaterThanOrEqual(0.3);
      expect(words(`dog-${f}`)).toContain('animal'); // dog -> animal
      expect(words(`dog-${f}`)).not.toContain('bus');
    }
    for (const f of BUSES) {
      expect(words(`bus-${f}`)).toEqual(expect.arrayContaining(['bus', 'vehicle']));
      expect(words(`bus-${f}`)).not.toContain('dog');
    }
    // Counts of confident detections (heatmap peaks): two dogs fighting; a bus passing two others.
    const tag = (name: string, word: string) => tagsOf(name).find((t) => t.tag === word);
    expect(tag(`dog-${DOGS[0]}`, 'dog')!.count).toBe(2);
    expect(tag(`dog-${DOGS[1]}`, 'dog')!.count).toBe(1);
    expect(tag(`bus-${BUSES[0]}`, 'bus')!.count).toBe(3);
    expect(tag(`bus-${BUSES[1]}`, 'bus')!.count).toBe(2);
    expect(tag(`dog-${DOGS[0]}`, 'animal')!.count).toBeNull(); // hypernyms are not detector classes
    expect(
      lib
        .listPhotos({ tag: 'dog' })
        .items.map((p) => p.name)
        .sort(),
    ).toEqual(DOGS.map((f) => `dog-${f}`).sort());
    expect(lib.listPhotos({ tag: 'BUS' }).total).toBe(2); // any case
    const counts = new Map(lib.listTags().map((t) => [t.tag, t.photos]));
    expect(counts.get('dog')).toBe(2);
    expect(counts.get('bus')).toBe(2);
    const matched = lib.search('tag:bus OR tag:Dog', { similarWords: false }).hits;
    expect(matched.map((h) => h.photo.id).sort((a, b) => a - b)).toEqual(Object.values(id).sort((a, b) => a - b));
    expect(matched.find((h) => h.photo.id === id[`bus-${BUSES[0]}`])!.matched.tags).toEqual([
      { tag: 'bus', score: tag(`bus-${BUSES[0]}`, 'bus')!.score },
    ]);
  });

  it('keeps the user’s tags and removals through a model change and a reopen', async () => {
    const dog = `dog-${DOGS[0]}`;
    expect(lib.addTag(id[dog], '  Rexo  ').tags[0]).toMatchObject({ tag: 'Rexo', kind: 'user', source: 'user', score: null });
    const afterRemove = lib.removeTag(id[dog], 'animal');
    expect(afterRemove.tags.map((t) => t.tag)).not.toContain('animal');
    expect(() => lib.removeTag(id[dog], 'animal')).toThrow(/no tag "animal" on photo/);
    expect(() => lib.addTag(id[dog], '   ')).toThrow('a tag cannot be empty');
    expect(() => lib.addTag(id[dog], 'x'.repeat(65))).toThrow(/longer than 64 characters/);
    expect(() => lib.addTag(99_999, 'cat')).toThrow(/no photo with id 99999/);

    // A model change re-derives the model's tags from the cached features (and again as the job re-captions).
    const other = lib.registerModel(copyOfDefaultModel(join(root, 'model-copy')));
    const { jobId } = lib.activateModel(other.id);
    expect((await lib.waitForJob(jobId!)).status).toBe('done');
    await lib.deriveStaleTags();
    const tags = tagsOf(dog);
    expect(tags.find((t) => t.tag === 'dog')).toMatchObject({ kind: 'model', source: other.id, count: 2 }); // same encoder: counts kept
    expect(tags.map((t) => t.tag)).not.toContain('animal'); // removed stays removed
    expect(tags[0]).toMatchObject({ tag: 'Rexo', kind: 'user' }); // the user's stays, first

    await lib.close();
    lib = Library.open(libDir, { batchSize: 4 });
    await lib.deriveStaleTags();
    expect(words(dog)).toContain('Rexo');
    expect(words(dog)).toContain('dog');
    expect(words(dog)).not.toContain('animal');
    expect(lib.stores.tags.removed(id[dog])).toEqual(['animal']);
    // Adding a removed tag back makes it the user's.
    expect(lib.addTag(id[dog], 'animal').tags.find((t) => t.tag === 'animal')).toMatchObject({ kind: 'user' });
  }, 120_000);

  it('lenscribe tags prints a photo’s or a folder’s tags; export and search carry them', () => {
    const photos = join(root, 'photos');
    const bus = join(photos, `bus-${BUSES[0]}`);
    let r = cli(['tags', photos, '--json', '--library', libDir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stdout) as Array<{ path: string; tags: Array<{ tag: string; kind: string }> }>;
    expect(lines.map((l) => l.path)).toEqual(
      Object.keys(id)
        .sort()
        .map((n) => join(photos, n)),
    );
    const dogLine = lines.find((l) => l.path.endsWith(DOGS[0]))!;
    expect(dogLine.tags[0]).toMatchObject({ tag: 'Rexo', kind: 'user', source: 'user' });
    expect(dogLine.tags.map((t) => t.tag)).toContain('dog');

    r = cli(['tags', bus, '--library', libDir]);
    expect(r.status).toBe(0);
    // Ranked by score: the concept model's ImageNet evidence can put the hypernym (vehicle) first.
    expect(r.stdout.startsWith(`${bus}\t`)).toBe(true);
    expect(r.stdout).toContain('bus ×3 0.');
    expect(r.stdout).toContain('vehicle 0.');

    r = cli(['tags', join(root, 'nowhere.jpg'), '--library', libDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`lenscribe: ${join(root, 'nowhere.jpg')}: no such file or folder`);
    r = cli(['tags', root, '--library', libDir]);
    expect(r.status).toBe(0); // the photos folder is inside it
    r = cli(['tags', join(root, 'lib'), '--library', libDir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`lenscribe: no photos of the library are in ${join(root, 'lib')}`);

    r = cli(['export', '--format', 'json', '--library', libDir]);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ path: string; tags: Array<{ tag: string }> }>;
    expect(rows.find((x) => x.path === bus)!.tags.map((t) => t.tag)).toEqual(expect.arrayContaining(['bus', 'vehicle']));
    r = cli(['export', '--format', 'csv', '--library', libDir]);
    expect(r.stdout.split('\n')[0]).toMatch(/,tags$/);
    const busTags = r.stdout
      .split('\n')
      .find((l) => l.startsWith(bus))!
      .split(',')
      .pop()!;
    expect(busTags.replace(/"/g, '').split('; ')).toContain('bus');

    r = cli(['search', 'bus', '--json', '--no-similar', '--library', libDir]);
    expect(r.status).toBe(0);
    for (const hit of jsonLines(r.stdout)) expect(Array.isArray(hit.tags)).toBe(true);
  }, 60_000);

  it('derives tags for photos captioned before tags existed (a library from an older build)', async () => {
    const bus = `bus-${BUSES[1]}`;
    lib.db.prepare('DELETE FROM tag_derivations').run();
    lib.db.prepare(`DELETE FROM tags WHERE kind = 'model'`).run();
    expect(words(bus)).toEqual([]);
    expect(await lib.deriveStaleTags()).toBe(4);
    expect(words(bus)).toEqual(expect.arrayContaining(['bus', 'vehicle']));
    expect(await lib.deriveStaleTags()).toBe(0);
  });
});
