/** The library's CLI commands, run as the user runs them (a real process, a real library folder). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeBrokenCorpus } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, ...env },
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr
      .split('\n')
      .filter((l) => l && !l.startsWith('encoder: running on'))
      .join('\n'),
  };
};
const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

describe('lenscribe search / label / status / export (no model needed)', () => {
  let lib: string;
  let photos: string;
  beforeAll(async () => {
    const d = tempDir();
    lib = join(d, 'lib');
    photos = join(d, 'photos');
    mkdirSync(photos);
    const items = flickrPhotos(4, 300);
    items.forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${i}.jpg`)));
    // A dataset file in the jsonl format (paths relative to it) and .txt sidecars.
    writeFileSync(
      join(d, 'captions.jsonl'),
      `${JSON.stringify({ file: 'photos/p0.jpg', captions: ['A kayak on a misty lake', 'ignored second caption'] })}\n${JSON.stringify({ file: 'photos/p1.jpg', captions: ['Grandpa, fishing off the jetty'] })}\n`,
    );
    writeFileSync(join(photos, 'p2.txt'), 'a lighthouse, "quoted" and, commas\n');
  }, 60_000);

  it('label imports user captions from jsonl and from .txt sidecars', () => {
    let r = cli(['label', '--from', join(lib, '..', 'captions.jsonl'), '--library', lib, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([{ imported: 2, unchanged: 0, notInLibrary: 0, problems: 0 }]);
    // Adding the folder already read p2.txt (descriptions other tools wrote are imported on ingest).
    // `label --from <folder>` is the old name of `import-metadata <folder>`: it says so and does that.
    r = cli(['label', '--from', photos, '--library', lib]);
    expect(r.status).toBe(0);
    expect(r.stderr.trimEnd()).toBe(`lenscribe: label --from <folder> is now \`import-metadata ${photos}\``);
    expect(r.stdout).toMatch(/^4 photos read: 0 imported/);
    r = cli(['label', '--from', join(lib, '..', 'captions.jsonl'), '--library', lib, '--json']);
    expect(jsonLines(r.stdout)).toEqual([{ imported: 0, unchanged: 2, notInLibrary: 0, problems: 0 }]);
  });

  it('search prints one JSON line per hit in the specified shape', () => {
    const r = cli(['search', 'kayak', '--library', lib, '--json']);
    expect(r.status).toBe(0);
    const hits = jsonLines(r.stdout);
    expect(hits).toHaveLength(1);
    expect(Object.keys(hits[0])).toEqual(['path', 'caption', 'score', 'snippet', 'tags', 'matched']);
    expect(hits[0].tags).toEqual([]); // no model ran: no tags
    expect(hits[0].path).toBe(join(photos, 'p0.jpg'));
    expect(hits[0].caption).toBe('A kayak on a misty lake');
    expect(hits[0].snippet).toBe('A [kayak] on a misty lake');
    expect(typeof hits[0].score).toBe('number');
    expect(jsonLines(cli(['search', '"fishing off"', '--library', lib, '--json', '--limit', '5']).stdout)).toHaveLength(1);
    for (const q of ['"', 'NEAR(*']) expect(cli(['search', q, '--library', lib, '--json']).status).toBe(0);
    expect(cli(['search', 'x', '--library', lib, '--limit', 'lots']).status).toBe(1);
  });

  it('status and export (csv, json) report the library; bad options exit 1 with one line', () => {
    const s = jsonLines(cli(['status', '--library', lib, '--json']).stdout)[0];
    expect(s.photos).toMatchObject({ total: 4, pending: 4, userCaptioned: 3 });
    const json = JSON.parse(cli(['export', '--format', 'json', '--library', lib]).stdout);
    expect(json).toHaveLength(4);
    expect(json.find((r: { path: string }) => r.path.endsWith('p1.jpg')).userCaption).toBe('Grandpa, fishing off the jetty');
    const csv = cli(['export', '--format', 'csv', '--library', lib]).stdout.trim().split('\n');
    expect(csv[0]).toBe('path,caption,source,userCaption,modelCaption,status,error,takenAt,width,height,hash,folder,tags');
    expect(csv).toHaveLength(5);
    expect(csv.find((l) => l.includes('p2.jpg'))).toContain('"a lighthouse, ""quoted"" and, commas"');
    const bad = cli(['export', '--format', 'xml', '--library', lib]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^lenscribe: --format must be csv, json, xmp, txt or embedded/);
    // --only user keeps the three photos with the user's own captions.
    expect(JSON.parse(cli(['export', '--format', 'json', '--only', 'user', '--library', lib]).stdout)).toHaveLength(3);
    expect(cli(['export', '--format', 'csv', '--only', 'model', '--library', lib]).stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['export', '--format', 'json', '--only', 'some', '--library', lib]).stderr).toMatch(
      /^lenscribe: --only must be user, model or all/,
    );
  });

  it('export --format txt writes the user captions as .txt sidecars beside the photos', () => {
    const r = cli(['export', '--format', 'txt', '--only', 'user', '--library', lib, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = jsonLines(r.stdout).pop();
    expect(summary.photos).toBe(4);
    expect(readFileSync(join(photos, 'p0.txt'), 'utf8').trim()).toBe('A kayak on a misty lake');
    expect(readFileSync(join(photos, 'p1.txt'), 'utf8').trim()).toBe('Grandpa, fishing off the jetty');
    expect(readFileSync(join(photos, 'p2.txt'), 'utf8').trim()).toBe('a lighthouse, "quoted" and, commas');
    expect(existsSync(join(photos, 'p3.txt'))).toBe(false);
  });

  it("export --format xmp writes tags as keywords as the app does: yours, and the model's above the threshold", async () => {
    const l = Library.open(lib, { autoCaption: false, registerDefaultModel: false, importMetadata: false });
    try {
      const p3 = l.photoIdByPath(join(photos, 'p3.jpg'))!;
      l.addTag(p3, 'Lighthouse keeper');
      l.stores.tags.replaceModel(p3, 'default@test', [
        { tag: 'boat', score: 0.9, count: 1 },
        { tag: 'kite', score: 0.3, count: null },
      ]);
    } finally {
      await l.close();
    }
    const subjects = (file: string) => {
      const bag = /<dc:subject>([\s\S]*?)<\/dc:subject>/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
      return [...bag.matchAll(/<rdf:li>([^<]*)<\/rdf:li>/g)].map((m) => m[1]);
    };
    const none = cli(['export', '--format', 'xmp', '--no-keywords', '--library', lib, '--json']);
    expect(none.status, none.stderr).toBe(0);
    expect(jsonLines(none.stdout).pop()).toMatchObject({ keywordsWritten: 0 });
    expect(existsSync(join(photos, 'p3.jpg.xmp'))).toBe(false); // no caption, no keywords: nothing to write
    const r = cli(['export', '--format', 'xmp', '--library', lib]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/keywords written for 1\n$/);
    // p3 has no caption: its keywords alone. The library's default threshold (0.5) keeps the kite out.
    expect(subjects(join(photos, 'p3.jpg.xmp')).sort()).toEqual(['Lighthouse keeper', 'boat']);
    const lower = cli(['export', '--format', 'xmp', '--tag-min-score', '0.25', '--library', lib, '--json']);
    expect(jsonLines(lower.stdout).pop()).toMatchObject({ keywordsWritten: 1 });
    expect(subjects(join(photos, 'p3.jpg.xmp')).sort()).toEqual(['Lighthouse keeper', 'boat', 'kite']);
    const bad = cli(['export', '--format', 'xmp', '--tag-min-score', 'high', '--library', lib]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('lenscribe: --tag-min-score must be a number from 0 to 1, got "high"');
  });

  it('caption without an installed model exits 1 and keeps the photos pending', () => {
    // An empty models folder: as on a machine where the bundled model is missing.
    const r = cli(['caption', photos, '--library', join(lib, '..', 'lib-no-model')], { LENSCRIBE_MODELS: tempDir() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lenscribe: no caption model is installed/);
  });
});

const modelDir = testModelDir();

describe.skipIf(!modelDir)('lenscribe caption (real model)', () => {
  it('captions folders, prints one JSON line per photo, a summary per error kind, exit 2 when some failed', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    mkdirSync(photos);
    flickrPhotos(3, 400).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${i}.jpg`)));
    await writeBrokenCorpus(join(photos, 'bad'));
    const libDir = join(d, 'lib');
    const lib = Library.open(libDir, { registerDefaultModel: false });
    lib.registerModel(modelDir!, { activate: true });
    await lib.close();
    const r = cli(['caption', photos, '--library', libDir, '--json']);
    expect(r.status).toBe(2);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(8);
    for (const l of lines) expect(Object.keys(l)).toEqual(['path', 'status', 'caption', 'error']);
    const ok = lines.filter((l) => l.status === 'captioned');
    expect(ok.map((l) => l.path).sort()).toEqual([0, 1, 2].map((i) => join(photos, `p${i}.jpg`)));
    for (const l of ok) expect(l.caption).toMatch(/^[a-z]+( [a-z]+)+$/);
    const bad = lines.filter((l) => l.status === 'error');
    expect(bad).toHaveLength(5);
    for (const l of bad) expect(l.error).toMatch(/^(empty|not-image|corrupt|too-large): ./);
    expect(r.stderr).toMatch(/3 of 8 photos captioned; 5 files failed: 2 not-image, (1 \w[\w-]*, ){2}1 \w[\w-]*/);
    // Running it again: nothing new to do, same answer.
    const again = cli(['caption', photos, '--library', libDir, '--json']);
    expect(again.status).toBe(2);
    expect(
      jsonLines(again.stdout)
        .filter((l) => l.status === 'captioned')
        .map((l) => l.caption)
        .sort(),
    ).toEqual(ok.map((l) => l.caption).sort());
  });
});
