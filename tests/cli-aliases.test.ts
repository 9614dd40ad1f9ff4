/**
 * One command per job (issue 13): `import-metadata [folder]` reads the descriptions that travel with
 * photos and `export --format xmp|txt|embedded` writes them; `label --from <folder>` and
 * `export-metadata` are their old names, which still work and say so in one stderr line.
 * Real Flickr8k photos, .txt sidecars, a real library, the CLI as a process.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './library/fixtures.js';
import { FLICKR, flickrPhotos } from './library/model.js';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe.skipIf(!existsSync(join(FLICKR, 'captions.jsonl')))('old command names', () => {
  let root: string;
  let photos: string;
  let lib: string;
  beforeAll(() => {
    root = tempDir('lenscribe-cli-aliases-');
    photos = join(root, 'photos');
    lib = join(root, 'lib');
    mkdirSync(photos);
    flickrPhotos(3, 500).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${i}.jpg`)));
    writeFileSync(join(photos, 'p0.txt'), 'a kayak on a misty lake\n');
    writeFileSync(join(photos, 'p1.txt'), 'grandpa fishing off the jetty\n');
  });

  it('label --from <folder> is import-metadata <folder>: says so, adds the folder, imports its .txt sidecars', () => {
    const r = cli(['label', '--from', photos, '--library', lib, '--json']);
    expect(r.stderr).toBe(`lenscribe: label --from <folder> is now \`import-metadata ${photos}\`\n`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ photos: 3, imported: 2, unchanged: 0, withProblems: 0 });
    const rows = JSON.parse(cli(['export', '--format', 'json', '--library', lib]).stdout) as Array<{
      path: string;
      userCaption: string | null;
    }>;
    expect(Object.fromEntries(rows.map((x) => [x.path, x.userCaption]))).toEqual({
      [join(photos, 'p0.jpg')]: 'a kayak on a misty lake',
      [join(photos, 'p1.jpg')]: 'grandpa fishing off the jetty',
      [join(photos, 'p2.jpg')]: null,
    });
    // The new name, run again on the same folder: nothing new, and no notice.
    const again = cli(['import-metadata', photos, '--library', lib, '--json']);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toMatchObject({ photos: 3, imported: 0 });
  }, 120_000);

  it('export-metadata is export --format: says so and writes the same sidecars', () => {
    rmSync(join(photos, 'p0.txt'));
    rmSync(join(photos, 'p1.txt'));
    const r = cli(['export-metadata', '--format', 'txt', '--only', 'user', '--library', lib, '--json']);
    expect(r.stderr).toBe('lenscribe: export-metadata is now `export --format txt`\n');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ photos: 3, written: 2, failed: 0 });
    expect(readFileSync(join(photos, 'p0.txt'), 'utf8').trim()).toBe('a kayak on a misty lake');
    const same = cli(['export', '--format', 'txt', '--only', 'user', '--library', lib, '--json']);
    expect(same.stderr).toBe('');
    expect(JSON.parse(same.stdout)).toMatchObject({ photos: 3, written: 0, unchanged: 2 });
  }, 120_000);

  it('import-metadata <folder> that is not a folder is a one-line error', () => {
    const missing = join(root, 'no-such-folder');
    const r = cli(['import-metadata', missing, '--library', lib]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`lenscribe: not a folder: ${missing}\n`);
  }, 60_000);
});
