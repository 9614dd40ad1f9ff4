import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeJpeg } from './fixtures.js';

let lib: Library | null = null;
// The watcher reports trouble (e.g. the system's watch limit) as warnings; a timeout shows them.
const warnings: string[] = [];
afterEach(async () => {
  await lib?.close();
  lib = null;
});

// Generous: the full suite runs many heavy tests side by side on two cores.
async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; watcher warnings: ${JSON.stringify(warnings)}; photos in library: ${lib!
          .listPhotos({ limit: 10 })
          .items.map((p) => p.relPath)
          .join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  await lib!.watchSettled();
}

describe('folder watching', () => {
  it('reflects new, changed, moved and deleted files without a rescan; moves keep captions', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    await writeJpeg(join(photos, 'first.jpg'), 1);
    lib = Library.open(join(d, 'lib'), { registerDefaultModel: false });
    lib.on('warning', (w) => warnings.push(w));
    await lib.addFolder(photos, { caption: false });
    await lib.watch({ settleMs: 100, debounceMs: 50 });
    const events: Array<number[] | null> = [];
    lib.on('photos', (ids) => events.push(ids));

    // New file, including in a new subfolder.
    mkdirSync(join(photos, 'new'));
    await writeJpeg(join(photos, 'new', 'second.jpg'), 2);
    await until(() => lib!.photoIdByPath(join(photos, 'new', 'second.jpg')) !== null, 'the new file');
    const id2 = lib.photoIdByPath(join(photos, 'new', 'second.jpg'))!;
    expect(lib.getPhoto(id2)!.status).toBe('pending');
    expect(events.length).toBeGreaterThan(0);

    // The user captions it, then moves it: same row, caption kept.
    lib.setUserCaption(id2, 'the lighthouse at dawn');
    const hashBefore = (lib.db.prepare('SELECT hash FROM photos WHERE id = ?').get(id2) as { hash: string }).hash;
    renameSync(join(photos, 'new', 'second.jpg'), join(photos, 'lighthouse.jpg'));
    await until(() => lib!.photoIdByPath(join(photos, 'lighthouse.jpg')) !== null, 'the moved file');
    expect(lib.photoIdByPath(join(photos, 'lighthouse.jpg'))).toBe(id2);
    expect(lib.getPhoto(id2)!.caption).toBe('the lighthouse at dawn');
    expect(lib.getPhoto(id2)!.status).toBe('pending');
    expect(lib.photoIdByPath(join(photos, 'new', 'second.jpg'))).toBeNull();

    // Changed content: back to pending with a new hash, user caption still shown.
    lib.db.prepare(`UPDATE photos SET status = 'captioned' WHERE id = ?`).run(id2);
    await writeJpeg(join(photos, 'lighthouse.jpg'), 99);
    await until(
      () => (lib!.db.prepare('SELECT hash FROM photos WHERE id = ?').get(id2) as { hash: string }).hash !== hashBefore,
      'the change',
    );
    expect(lib.getPhoto(id2)!.status).toBe('pending');
    expect(lib.getPhoto(id2)!.caption).toBe('the lighthouse at dawn');

    // Deleted: kept as missing, out of search.
    rmSync(join(photos, 'lighthouse.jpg'));
    await until(() => lib!.getPhoto(id2)!.status === 'missing', 'the deletion');
    expect(lib.search('lighthouse').total).toBe(0);
    expect(lib.listPhotos().total).toBe(1);
  }, 300_000);

  it('imports a description another app writes into a sidecar while watching', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    await writeJpeg(join(photos, 'harbour.jpg'), 3);
    await writeJpeg(join(photos, 'pier.jpg'), 4);
    lib = Library.open(join(d, 'lib'), { registerDefaultModel: false });
    await lib.addFolder(photos, { caption: false });
    await lib.watch({ settleMs: 100, debounceMs: 50 });
    const harbour = lib.photoIdByPath(join(photos, 'harbour.jpg'))!;
    const pier = lib.photoIdByPath(join(photos, 'pier.jpg'))!;
    writeFileSync(join(photos, 'harbour.txt'), 'fishing boats in the harbour at low tide\n');
    await until(() => lib!.getPhoto(harbour)!.caption !== null, 'the .txt sidecar');
    expect(lib.getPhoto(harbour)!.caption).toBe('fishing boats in the harbour at low tide');
    expect(lib.getPhoto(harbour)!.captionSource).toBe('import:txt-sidecar');
    expect(lib.getPhoto(pier)!.caption).toBeNull();
    expect(lib.search('harbour').total).toBe(1);
  }, 300_000);
});
