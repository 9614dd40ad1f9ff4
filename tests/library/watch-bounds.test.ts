/**
 * Watching is bounded (issue 17): a folder whose tree holds more directories than the watch budget
 * (lowered here with the maxDirs option, which LENSCRIBE_WATCH_MAX_DIRS sets for the app) is not
 * watched but rescanned every so often, says so (a warning, its WatchState in folders.list, and
 * `lenscribe folders list` in another process), and still picks up a new photo on the next rescan;
 * under the budget, changes still arrive as events.
 */
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from './fixtures.js';

let lib: Library | null = null;
const warnings: string[] = [];
afterEach(async () => {
  await lib?.close();
  lib = null;
  warnings.length = 0;
});

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; warnings: ${JSON.stringify(warnings)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

/** A folder with `dirs` subfolders of one photo each (plus the root: dirs + 1 folders to watch). */
async function tree(dirs: number): Promise<{ d: string; photos: string }> {
  const d = tempDir();
  const photos = join(d, 'photos');
  for (let i = 0; i < dirs; i++) await writeJpeg(join(photos, `event-${i}`, `IMG_${i}.jpg`), i + 1);
  return { d, photos };
}

async function openWatched(d: string, photos: string): Promise<Library> {
  lib = Library.open(join(d, 'lib'), { registerDefaultModel: false, autoCaption: false, importMetadata: false });
  lib.on('warning', (w) => warnings.push(w));
  await lib.addFolder(photos, { caption: false });
  return lib;
}

function cliFoldersList(
  libDir: string,
): Array<{ path: string; watch: { mode: string; reason: string | null; rescanEveryMs: number | null } }> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'folders', 'list', '--library', libDir, '--json'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('bounded folder watching', () => {
  it('rescans a folder over the limit instead of watching it, says so, and picks up a new photo on the next rescan', async () => {
    const { d, photos } = await tree(5);
    await openWatched(d, photos);
    await lib!.watch({ maxDirs: 3, rescanEveryMs: 1500, settleMs: 100, debounceMs: 50 });

    const [folder] = lib!.listFolders();
    expect(folder.watch).toEqual({
      mode: 'rescans',
      reason: 'it holds more folders than the limit of 3 watched folders allows',
      rescanEveryMs: 1500,
    });
    expect(warnings).toContain(
      `watching ${photos}: it holds more folders than the limit of 3 watched folders allows; it is rescanned every 1.5 s instead`,
    );
    // Another process reading the library (the CLI beside a running app) sees the same.
    const listed = cliFoldersList(join(d, 'lib'));
    expect(listed.map((f) => [f.path, f.watch.mode, f.watch.rescanEveryMs])).toEqual([[photos, 'rescans', 1500]]);

    // What adds a photo now is a scan (its progress is reported; the watcher's rounds report none).
    const scansAdding: number[] = [];
    lib!.on('scan', (p) => p.added > 0 && scansAdding.push(p.folderId));
    const fresh = join(photos, 'event-2', 'NEW.jpg');
    await writeJpeg(fresh, 77);
    await until(() => lib!.photoIdByPath(fresh) !== null, 'the rescan to find the new photo');
    expect(lib!.getPhoto(lib!.photoIdByPath(fresh)!)!.status).toBe('pending');
    // The scan reports its progress after it wrote the photo: wait for that report too.
    await until(() => scansAdding.includes(folder.id), 'the rescan to report the photo it added');
    expect(lib!.listPhotos().total).toBe(6);

    await lib!.close();
    expect(cliFoldersList(join(d, 'lib'))[0].watch.mode).toBe('off');
  }, 300_000);

  it('watches a folder under the limit by events, with nothing per file', async () => {
    const { d, photos } = await tree(3);
    await openWatched(d, photos);
    // A rescan would come only after an hour: what arrives, arrives by events.
    await lib!.watch({ maxDirs: 4, rescanEveryMs: 3_600_000, settleMs: 100, debounceMs: 50 });
    expect(lib!.listFolders()[0].watch).toEqual({ mode: 'events', reason: null, rescanEveryMs: null });
    expect(cliFoldersList(join(d, 'lib'))[0].watch.mode).toBe('events');

    const fresh = join(photos, 'event-1', 'NEW.jpg');
    await writeJpeg(fresh, 78);
    await until(() => lib!.photoIdByPath(fresh) !== null, 'the new photo by events');

    // A whole folder deleted: its photos are missing (one event for the folder, not one per file).
    const gone = lib!.photoIdByPath(join(photos, 'event-0', 'IMG_0.jpg'))!;
    rmSync(join(photos, 'event-0'), { recursive: true });
    await until(() => lib!.getPhoto(gone)!.status === 'missing', 'the deleted folder');
    expect(warnings).toEqual([]);
  }, 300_000);

  it('falls back to rescans when the tree grows over the limit while watched, and catches up at once', async () => {
    const { d, photos } = await tree(2);
    await openWatched(d, photos);
    await lib!.watch({ maxDirs: 4, rescanEveryMs: 3_600_000, settleMs: 100, debounceMs: 50 });
    expect(lib!.listFolders()[0].watch!.mode).toBe('events');

    // Three folders moved in at once: the fourth watched is the last the limit allows, the fifth is over it.
    for (const name of ['a', 'b', 'c']) await writeJpeg(join(d, 'staging', name, `${name}.jpg`), name.charCodeAt(0));
    for (const name of ['a', 'b', 'c']) renameSync(join(d, 'staging', name), join(photos, name));
    await until(() => lib!.listFolders()[0].watch!.mode === 'rescans', 'the fallback');
    expect(lib!.listFolders()[0].watch!.reason).toBe('it holds more folders than the limit of 4 watched folders allows');
    // The rescan after falling back runs at once (changes may have been missed meanwhile), not in an hour.
    for (const name of ['a', 'b', 'c'])
      await until(() => lib!.photoIdByPath(join(photos, name, `${name}.jpg`)) !== null, `${name}.jpg after the fallback`);
    expect(warnings.some((w) => w.includes('it is rescanned every 60 min instead'))).toBe(true);
  }, 300_000);
});

// The kernel's own ENOSPC: a user namespace lets this process cap its inotify watches (and nothing else's).
const canCapWatches =
  process.platform === 'linux' &&
  spawnSync('unshare', ['-Ur', 'sh', '-c', 'echo 5 > /proc/sys/user/max_inotify_watches'], { encoding: 'utf8' }).status === 0;

describe.runIf(canCapWatches)('when the system runs out of watches', () => {
  it('falls back to rescans on ENOSPC, once, with no error loop, and still picks up a new photo', async () => {
    const { d, photos } = await tree(30);
    await openWatched(d, photos);
    await lib!.close();
    lib = null;
    // 20 watches for a tree of 31 folders; the library's own budget (half of the system's) would allow it.
    const script = `echo 20 > /proc/sys/user/max_inotify_watches && exec "${process.execPath}" --import tsx tests/library/watch-enospc-child.ts "$0" "$1"`;
    const r = spawnSync('unshare', ['-Ur', 'sh', '-c', script, join(d, 'lib'), photos], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      watch: { mode: string; reason: string };
      warnings: string[];
      pickedUp: boolean;
    };
    expect(out.watch.mode).toBe('rescans');
    expect(out.watch.reason).toMatch(/ENOSPC/);
    expect(out.warnings).toEqual([`watching ${photos}: ${out.watch.reason}; it is rescanned every 1 s instead`]);
    expect(out.pickedUp).toBe(true);
  }, 300_000);
});
