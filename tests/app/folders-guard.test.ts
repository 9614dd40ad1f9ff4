/**
 * What may become a library folder: a relative path is refused naming it (the API and the core),
 * a drive's root and system folders are refused, the user's whole home is added only once
 * confirmed, with how many photo files it holds; and `lenscribe folders list|remove`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInput } from '../../src/shared/api-contract.js';
import { folderHandlers } from '../../src/main/api/folders.js';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from '../library/fixtures.js';

const opened: Library[] = [];
afterAll(async () => {
  for (const l of opened) await l.close();
});
const openLib = (dir: string) => {
  const lib = Library.open(dir, { registerDefaultModel: false, autoCaption: false, importMetadata: false });
  opened.push(lib);
  return lib;
};

describe('folders.add refuses what is no photo folder', () => {
  it('refuses relative paths naming them, drive roots and system folders', () => {
    const lib = openLib(join(tempDir(), 'lib'));
    expect(() => parseInput('folders.add', { path: '../..' })).toThrow('"../.." is a relative path');
    expect(() => lib.planFolder('photos')).toThrow('"photos" is a relative path');
    expect(() => lib.planFolder('../..')).toThrow('"../.." is a relative path');
    expect(() => lib.planFolder('/')).toThrow('/ is the root of a drive');
    for (const dir of ['/proc', '/proc/self', '/sys', '/dev', '/etc', '/usr'])
      expect(() => lib.planFolder(dir)).toThrow(`${dir} is a system folder`);
  });

  it("asks before adding the user's whole home, with how many photo files it holds", async () => {
    const home = tempDir('lenscribe-home-');
    for (let i = 0; i < 3; i++) await writeJpeg(join(home, 'Pictures', `p${i}.jpg`), i + 1);
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const lib = openLib(join(tempDir(), 'lib'));
      const calls = folderHandlers({ library: lib, notice: () => undefined });
      const ask = await calls['folders.add']({ path: '~' });
      expect(ask).toEqual({
        outcome: 'needs-confirmation',
        message: `Add your whole home folder ${home}? It holds 3 photo files, downloads and app files included, and all of them are added and watched. A folder inside it, such as Pictures, may be what you want.`,
      });
      expect(lib.listFolders()).toEqual([]);
      const added = await calls['folders.add']({ path: home, confirm: true });
      expect(added).toMatchObject({ outcome: 'added', folder: { path: home, photoCount: 3 } });
    } finally {
      process.env.HOME = saved;
    }
  });
});

describe('lenscribe folders list|remove', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('lists the folders and removes one, keeping the user captions for when it comes back', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    await writeJpeg(join(photos, 'a.jpg'), 1);
    await writeJpeg(join(photos, 'b.jpg'), 2);
    mkdirSync(join(d, 'other'));
    const libDir = join(d, 'lib');
    let lib = Library.open(libDir, { registerDefaultModel: false, autoCaption: false, importMetadata: false });
    await lib.addFolder(photos, { caption: false });
    await lib.addFolder(join(d, 'other'), { caption: false });
    lib.setUserCaption(lib.photoIdByPath(join(photos, 'a.jpg'))!, 'my words for a');
    await lib.close();

    let r = cli(['folders', 'list', '--library', libDir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const listed = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; photoCount: number });
    expect(listed.map((f) => [f.path, f.photoCount])).toEqual([
      [join(d, 'other'), 0],
      [photos, 2],
    ]);
    r = cli(['folders', 'remove', photos, '--library', libDir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ removed: photos, keptCaptions: 1 });
    r = cli(['folders', 'remove', photos, '--library', libDir]);
    expect([r.status, r.stderr.trim()]).toEqual([1, `lenscribe: ${photos} is not a library folder (see lenscribe folders list)`]);
    r = cli(['folders', 'list', '--library', libDir]);
    expect(r.stdout).not.toContain(photos);

    lib = openLib(libDir);
    expect(lib.info().photoCount).toBe(0);
    await lib.addFolder(photos, { caption: false });
    expect(lib.getPhoto(lib.photoIdByPath(join(photos, 'a.jpg'))!)!.caption).toBe('my words for a');
  }, 120_000);
});
