/**
 * Tags that travel as keywords, through the real ExifTool: other apps' keywords (XMP dc:subject,
 * IPTC Keywords, Lightroom lr:hierarchicalSubject, digiKam TagsList) come in as the user's tags and
 * are never taken out of the file; the user's tags always go out, the model's only at or above the
 * threshold the user set; a tag removed in Lenscribe leaves the keywords Lenscribe wrote; keywords
 * go to the sidecar the caption goes to, under the sidecar naming asked for.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMetadata } from '../../src/main/api/metadata.js';
import { Library } from '../../src/main/library/library.js';
import { endExiftool } from '../../src/main/metadata/exiftool.js';
import { exportCaptions, importDescriptions } from '../../src/main/metadata/library-sync.js';
import { decodedPixels, exiftoolCli, exiftoolJson, makeImage, removeDir, tempDir } from './helpers.js';

let root: string;
let lib: Library;
const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };
const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

beforeAll(async () => {
  root = tempDir();
  await makeImage(join(root, 'a.jpg'), 'jpeg', 3);
  await makeImage(join(root, 'b.png'), 'png', 4);
  // "Another program" (the stock ExifTool, no Lenscribe config) tags a.jpg the ways photo apps do.
  exiftoolCli([
    '-overwrite_original',
    '-XMP-dc:Subject=Holiday',
    '-XMP-dc:Subject=Beach',
    '-IPTC:Keywords=Beach',
    '-IPTC:Keywords=Sea',
    '-XMP-lr:HierarchicalSubject=Places|France|Paris',
    '-XMP-digiKam:TagsList=People/Anna',
    join(root, 'a.jpg'),
  ]);
  lib = Library.open(join(root, 'lib'), LIB_OPTIONS);
  await lib.addFolder(root);
});

afterAll(async () => {
  await lib?.close();
  await endExiftool();
  removeDir(root);
});

const idOf = (name: string) => lib.photoIdByPath(join(root, name))!;
const tagsOf = (name: string) => lib.getPhoto(idOf(name))!.tags;

describe('keywords <-> tags (real ExifTool)', () => {
  it('imports other apps’ keywords as the user’s tags, hierarchies as their leaf, once each', async () => {
    await importDescriptions(lib);
    const tags = tagsOf('a.jpg');
    expect(tags.map((t) => [t.tag, t.kind, t.source]).sort()).toEqual(
      [
        ['Anna', 'user', 'import:digikam:tagsList'],
        ['Beach', 'user', 'import:dc:subject'],
        ['Holiday', 'user', 'import:dc:subject'],
        ['Paris', 'user', 'import:lr:hierarchicalSubject'],
        ['Sea', 'user', 'import:iptc:keywords'],
      ].sort(),
    );
    expect(tagsOf('b.png')).toEqual([]);
  });

  it('writes the user’s tags and the model’s above the threshold, never removing another app’s keywords', async () => {
    const a = idOf('a.jpg');
    const pixels = await decodedPixels(join(root, 'a.jpg'));
    lib.addTag(a, 'Rexo');
    lib.stores.tags.replaceModel(a, 'default@test', [
      { tag: 'dog', score: 0.81, count: null },
      { tag: 'cat', score: 0.35, count: null },
    ]);
    lib.removeTag(a, 'Holiday'); // another app's keyword: gone from Lenscribe, kept in the file
    lib.setSettings({ metadataWrite: 'embedded', metadataTagMinScore: 0.5 });
    await exportMetadata(lib, {});
    const t = exiftoolJson(join(root, 'a.jpg'), ['XMP-dc:Subject', 'IPTC:Keywords', 'XMP-lr:HierarchicalSubject', 'XMP-digiKam:TagsList']);
    // What was there first stays first, in its order; ours follow.
    expect(list(t['XMP-dc:Subject']).slice(0, 2)).toEqual(['Holiday', 'Beach']);
    expect(list(t['XMP-dc:Subject']).sort()).toEqual(['Anna', 'Beach', 'Holiday', 'Paris', 'Rexo', 'Sea', 'dog']);
    expect(list(t['IPTC:Keywords']).slice(0, 2)).toEqual(['Beach', 'Sea']);
    expect(list(t['IPTC:Keywords']).sort()).toEqual(['Anna', 'Beach', 'Paris', 'Rexo', 'Sea', 'dog']);
    expect(list(t['XMP-lr:HierarchicalSubject'])).toEqual(['Places|France|Paris']);
    expect(list(t['XMP-digiKam:TagsList'])).toEqual(['People/Anna']);
    expect(await decodedPixels(join(root, 'a.jpg'))).toEqual(pixels);

    // The user takes the model's dog away and lowers the threshold: Lenscribe's own keywords follow, the others stay.
    lib.removeTag(a, 'dog');
    lib.setSettings({ metadataTagMinScore: 0.3 });
    await exportMetadata(lib, {});
    const after = exiftoolJson(join(root, 'a.jpg'), ['XMP-dc:Subject', 'IPTC:Keywords']);
    expect(list(after['XMP-dc:Subject']).sort()).toEqual(['Anna', 'Beach', 'Holiday', 'Paris', 'Rexo', 'Sea', 'cat']);
    expect(list(after['IPTC:Keywords']).sort()).toEqual(['Anna', 'Beach', 'Paris', 'Rexo', 'Sea', 'cat']);

    // Reading the file again imports nothing Lenscribe wrote and brings back no tag the user removed.
    await importDescriptions(lib);
    const tags = new Map(tagsOf('a.jpg').map((x) => [x.tag, x]));
    expect(tags.has('Holiday')).toBe(false);
    expect(tags.has('dog')).toBe(false);
    expect(tags.get('cat')).toMatchObject({ kind: 'model', source: 'default@test' });
    expect(tags.get('Rexo')).toMatchObject({ kind: 'user', source: 'user' });
  });

  it('writes keywords to an XMP sidecar for the xmp setting, and a second export changes nothing', async () => {
    const b = idOf('b.png');
    lib.addTag(b, 'Garden');
    lib.setSettings({ metadataWrite: 'xmp' });
    await exportMetadata(lib, {});
    const sidecar = join(root, 'b.png.xmp');
    expect(existsSync(sidecar)).toBe(true);
    expect(list(exiftoolJson(sidecar, ['XMP-dc:Subject'])['XMP-dc:Subject'])).toEqual(['Garden']);
    const copy = join(root, 'copy.xmp');
    copyFileSync(sidecar, copy);
    const r = await exportMetadata(lib, {});
    expect(r.failed).toBe(0);
    expect(exiftoolCli(['-XMP-dc:Subject', '-s3', sidecar]).trim()).toBe(exiftoolCli(['-XMP-dc:Subject', '-s3', copy]).trim());
  });
});

describe('keywords and the sidecar naming (real ExifTool)', () => {
  it('writes keywords into the sidecar the caption goes to, not another app’s sidecar of the other naming', async () => {
    const tmp = tempDir();
    const dir = join(tmp, 'photos');
    mkdirSync(dir);
    const photo = join(dir, 'c.jpg');
    await makeImage(photo, 'jpeg', 5);
    // darktable's sidecar (photo.jpg.xmp) is there already; the user exports Lightroom-style (photo.xmp).
    const theirs = join(dir, 'c.jpg.xmp');
    exiftoolCli(['-o', theirs, '-XMP-dc:Subject=Other', photo]);
    const other = Library.open(join(tmp, 'lib'), LIB_OPTIONS);
    try {
      await other.addFolder(dir);
      const id = other.photoIdByPath(photo)!;
      other.setUserCaption(id, 'a rose in the garden');
      other.addTag(id, 'Garden');
      const s = await exportCaptions(other, { target: 'xmp-sidecar', sidecarNaming: 'basename', keywordMinScore: 0.5 });
      expect([s.written, s.keywordsWritten, s.failed]).toEqual([1, 1, 0]);
      const ours = exiftoolJson(join(dir, 'c.xmp'), ['XMP-dc:Description', 'XMP-dc:Subject']);
      expect(ours['XMP-dc:Description']).toBe('a rose in the garden');
      expect(list(ours['XMP-dc:Subject'])).toEqual(['Garden']);
      expect(list(exiftoolJson(theirs, ['XMP-dc:Subject'])['XMP-dc:Subject'])).toEqual(['Other']);
    } finally {
      await other.close();
      removeDir(tmp);
    }
  });
});
