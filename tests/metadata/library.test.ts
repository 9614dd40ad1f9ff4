import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { endExiftool } from '../../src/main/metadata/exiftool.js';
import { exportCaptions, importDescriptions, importUnseenDescriptions } from '../../src/main/metadata/library-sync.js';
import { exiftoolCli, exiftoolJson, makeImage, removeDir, tempDir } from './helpers.js';

let root: string;
let photos: string;
let libDir: string;
let lib: Library;
/**
 * The library's own post-scan import (its `importMetadata` option, default on) is switched off
 * here so these tests drive the import themselves; a plain variable so the option is accepted
 * whether or not this checkout's Library has it yet.
 */
const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };
const p = (name: string) => join(photos, name);
const idOf = (name: string) => lib.photoIdByPath(p(name))!;
const shown = (name: string) => lib.getPhoto(idOf(name))!;

/** A model caption as the captioning job stores it (real schema, no model run needed for this test). */
function modelCaption(name: string, text: string): void {
  lib.db
    .prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, 0, ?)')
    .run(idOf(name), text, 'mobilenet-lstm@1234', Date.now());
}

beforeAll(async () => {
  root = tempDir();
  photos = join(root, 'photos');
  libDir = join(root, 'library');
  mkdirSync(photos);
  await makeImage(p('a.jpg'), 'jpeg', 1);
  exiftoolCli(['-XMP-dc:Description=Sunset over the harbour, Porto', p('a.xmp')]); // Lightroom-style
  await makeImage(p('b.jpg'), 'jpeg', 2);
  exiftoolCli([
    '-overwrite_original',
    '-charset',
    'iptc=UTF8',
    '-IPTC:CodedCharacterSet=UTF8',
    '-IPTC:Caption-Abstract=Café in Málaga',
    '-EXIF:ImageDescription=SONY DSC',
    p('b.jpg'),
  ]);
  await makeImage(p('c.png'), 'png', 3);
  writeFileSync(p('c.txt'), 'a girl with a kite on a hill\n');
  await makeImage(p('d.jpg'), 'jpeg', 4);
  exiftoolCli(['-overwrite_original', '-EXIF:ImageDescription=OLYMPUS DIGITAL CAMERA', p('d.jpg')]);
  await makeImage(p('e.webp'), 'webp', 5);
  lib = Library.open(libDir, LIB_OPTIONS);
  await lib.addFolder(photos, { caption: false });
});

afterAll(async () => {
  await lib?.close();
  await endExiftool();
  removeDir(root);
});

describe('library import and export', () => {
  it('imports what other apps wrote as user captions, with the source; camera boilerplate is not imported', async () => {
    const s = await importDescriptions(lib);
    expect(s).toMatchObject({ photos: 5, imported: 3, withProblems: 0 });
    expect(shown('a.jpg')).toMatchObject({ caption: 'Sunset over the harbour, Porto', captionSource: 'import:xmp-sidecar' });
    expect(shown('b.jpg')).toMatchObject({ caption: 'Café in Málaga', captionSource: 'import:iptc' });
    expect(shown('c.png')).toMatchObject({ caption: 'a girl with a kite on a hill', captionSource: 'import:txt-sidecar' });
    expect(shown('d.jpg').caption).toBeNull();
    // Nothing changed on disk: a second import adds nothing.
    expect((await importDescriptions(lib)).imported).toBe(0);
    expect(lib.captionHistory(idOf('a.jpg'))).toHaveLength(1);
  });

  it("exports user and model captions to XMP sidecars named like the folder's, keeping the other apps' text", async () => {
    modelCaption('d.jpg', 'a tram in the rain');
    modelCaption('e.webp', 'a dog on a beach');
    modelCaption('a.jpg', 'a boat in a harbour'); // a model caption where the user's description exists
    const userOnly = await exportCaptions(lib, { target: 'xmp-sidecar', only: 'user' });
    expect(userOnly).toMatchObject({ photos: 5, written: 2, unchanged: 1, skipped: 2, failed: 0, conflicts: 0 });
    const all = await exportCaptions(lib, { target: 'xmp-sidecar', only: 'all' });
    expect(all).toMatchObject({ written: 2, unchanged: 3, failed: 0, conflicts: 0, keptTheirs: 0 });
    expect(exiftoolJson(p('a.xmp'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Sunset over the harbour, Porto');
    expect(exiftoolJson(p('b.xmp'), ['XMP-dc:Description', 'XMP-lenscribe:CaptionSource'])).toMatchObject({
      'XMP-dc:Description': 'Café in Málaga',
      'XMP-lenscribe:CaptionSource': 'user',
    });
    expect(exiftoolJson(p('d.xmp'), ['XMP-lenscribe:all'])).toMatchObject({
      'XMP-lenscribe:CaptionSource': 'model',
      'XMP-lenscribe:CaptionModel': 'mobilenet-lstm@1234',
    });
    // Model captions written to sidecars do not come back as user labels.
    expect((await importDescriptions(lib)).imported).toBe(0);
    expect(shown('d.jpg').captionSource).toBe('mobilenet-lstm@1234');
  });

  it('a caption the user edits in Lenscribe replaces the imported one; an edit by another program meanwhile is a conflict, then importable', async () => {
    lib.setUserCaption(idOf('a.jpg'), 'Sunset over the Douro, Porto');
    expect(await exportCaptions(lib, { target: 'xmp-sidecar', paths: [p('a.jpg')] })).toMatchObject({ written: 1 });
    expect(exiftoolJson(p('a.xmp'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Sunset over the Douro, Porto');

    exiftoolCli(['-overwrite_original', '-XMP-dc:Description=Douro at dusk (edited in Lightroom)', p('a.xmp')]);
    lib.setUserCaption(idOf('a.jpg'), 'Douro sunset');
    const s = await exportCaptions(lib, { target: 'xmp-sidecar', paths: [p('a.jpg')] });
    expect(s).toMatchObject({ conflicts: 1, written: 0 });
    expect(s.items[0]).toMatchObject({ status: 'conflict', theirs: 'Douro at dusk (edited in Lightroom)' });
    expect(exiftoolJson(p('a.xmp'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Douro at dusk (edited in Lightroom)');
    expect(shown('a.jpg').caption).toBe('Douro sunset');

    const imp = await importDescriptions(lib, [p('a.jpg')]);
    expect(imp.imported).toBe(1);
    expect(shown('a.jpg')).toMatchObject({ caption: 'Douro at dusk (edited in Lightroom)', captionSource: 'import:xmp-sidecar' });
    expect(lib.captionHistory(idOf('a.jpg')).map((c) => c.text)).toContain('Douro sunset'); // nothing lost
  });

  it('txt export for dataset preparation: model captions too, the other .txt kept', async () => {
    const s = await exportCaptions(lib, { target: 'txt', only: 'all' });
    expect(s.failed).toBe(0);
    expect(readFileSync(p('d.txt'), 'utf8')).toBe('a tram in the rain\n');
    expect(readFileSync(p('c.txt'), 'utf8')).toBe('a girl with a kite on a hill\n');
    // A model caption in a .txt Lenscribe wrote is not imported back as the user's.
    expect((await importDescriptions(lib, [p('d.jpg')])).imported).toBe(0);
    expect(shown('d.jpg').captionSource).toBe('mobilenet-lstm@1234');
  });
});

describe('after a scan', () => {
  it('imports only the photos whose metadata was never read (what the library runs after addFolder/rescan)', async () => {
    await makeImage(p('f.jpg'), 'jpeg', 6);
    exiftoolCli(['-overwrite_original', '-XMP-dc:Description=Fog over the Elbe', p('f.jpg')]);
    await lib.rescan(lib.listFolders()[0]!.id, { caption: false });
    const s = await importUnseenDescriptions(lib);
    expect(s).toMatchObject({ photos: 1, imported: 1 });
    expect(shown('f.jpg')).toMatchObject({ caption: 'Fog over the Elbe', captionSource: 'import:xmp' });
    expect((await importUnseenDescriptions(lib)).photos).toBe(0);
    rmSync(p('f.jpg'));
    await lib.rescan(lib.listFolders()[0]!.id, { caption: false });
  });
});

describe('CLI', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/lenscribe.js', ...args], { encoding: 'utf8' });

  it('export --format embedded writes into the photos; import-metadata --json reports; bad flags are one-line errors', async () => {
    await lib.close();
    const r = cli(['export', '--format', 'embedded', '--only', 'user', '--library', libDir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ photos: 5, failed: 0, conflicts: 0 });
    expect(s).toMatchObject({ written: 2, unchanged: 1, skipped: 2 }); // b.jpg already holds its caption in IPTC
    expect(exiftoolJson(p('a.jpg'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Douro at dusk (edited in Lightroom)');
    expect(exiftoolJson(p('c.png'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('a girl with a kite on a hill');
    expect(exiftoolJson(p('b.jpg'), ['XMP-dc:Description', 'IPTC:Caption-Abstract'])).toEqual({
      SourceFile: p('b.jpg'),
      'IPTC:Caption-Abstract': 'Café in Málaga',
    });

    const i = cli(['import-metadata', '--library', libDir, '--json']);
    expect(i.status).toBe(0);
    expect(JSON.parse(i.stdout)).toMatchObject({ photos: 5, imported: 0 });

    const bad = cli(['export-metadata', '--format', 'csv', '--library', libDir]);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^lenscribe: --format must be xmp, txt or embedded/);
    lib = Library.open(libDir, LIB_OPTIONS);
  });
});
