/**
 * `lenscribe label --from file.jsonl` labels only existing photos under the file's folder (or
 * --root): a line naming /etc/passwd, a text file, a missing photo or a photo outside is
 * reported with its line number and why, and no folder outside becomes a library folder.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from './fixtures.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', timeout: 120_000 });

async function folders(libDir: string): Promise<string[]> {
  const lib = Library.open(libDir, { registerDefaultModel: false, autoCaption: false });
  const paths = lib.listFolders().map((f) => f.path);
  await lib.close();
  return paths;
}

describe('label --from <jsonl> stays under its folder', () => {
  it('labels the photos under the folder and reports every other line', async () => {
    const d = tempDir();
    const set = join(d, 'set');
    await writeJpeg(join(set, 'photos', 'p0.jpg'), 1);
    await writeJpeg(join(d, 'outside', 'x.jpg'), 2);
    writeFileSync(join(set, 'notes.txt'), 'not a photo\n');
    const lines = [
      { file: 'photos/p0.jpg', captions: ['a kayak on a misty lake'] },
      { file: '../../../../../../../../etc/passwd', captions: ['root'] },
      { file: 'notes.txt', captions: ['words'] },
      { file: 'photos/gone.jpg', captions: ['nothing here'] },
      { file: '../outside/x.jpg', captions: ['a photo beside the set'] },
    ];
    writeFileSync(join(set, 'captions.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const libDir = join(d, 'lib');

    let r = cli(['label', '--from', join(set, 'captions.jsonl'), '--library', libDir, '--json']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ imported: 1, unchanged: 0, notInLibrary: 0, problems: 4 });
    expect(r.stderr.trim().split('\n')).toEqual([
      `lenscribe: line 2: outside ${set}: /etc/passwd`,
      `lenscribe: line 3: not a photo: ${join(set, 'notes.txt')}`,
      `lenscribe: line 4: not found: ${join(set, 'photos', 'gone.jpg')}`,
      `lenscribe: line 5: outside ${set}: ${join(d, 'outside', 'x.jpg')}`,
    ]);
    expect(await folders(libDir)).toEqual([join(set, 'photos')]);

    // --root widens what may be labeled; /etc stays out.
    r = cli(['label', '--from', join(set, 'captions.jsonl'), '--root', d, '--library', libDir, '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ imported: 1, unchanged: 1, notInLibrary: 0, problems: 3 });
    expect(r.stderr).toContain(`lenscribe: line 2: outside ${d}: /etc/passwd`);
    expect((await folders(libDir)).sort()).toEqual([join(d, 'outside'), join(set, 'photos')]);
  }, 120_000);
});
