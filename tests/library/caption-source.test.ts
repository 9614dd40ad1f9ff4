/**
 * Who a caption is from (issue 13, items 5 and 6), on real library files: descriptions imported
 * from metadata carry where they were read and which program wrote the sidecar; an alternative the
 * user picks is shown but is not a teaching label until the user edits it; undo and restore; and
 * a library written before the caption kinds existed opens with its captions classified.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/library/db.js';
import { Library } from '../../src/main/library/library.js';
import { migrations } from '../../src/main/library/migrations.js';
import { endExiftool } from '../../src/main/metadata/exiftool.js';
import { importDescriptions } from '../../src/main/metadata/library-sync.js';
import { exiftoolCli, makeImage, removeDir, tempDir } from '../metadata/helpers.js';

const MODEL = 'mobilenet-lstm@test';
/** The tests drive the import themselves (no post-scan import), and store model captions as the captioning job does. */
const LIB_OPTIONS = { autoCaption: false, registerDefaultModel: false, importMetadata: false };
let root: string;
let photos: string;
let lib: Library;
const p = (name: string) => join(photos, name);
const idOf = (name: string) => lib.photoIdByPath(p(name))!;
/** The photos teaching would learn from, as the teach job reads them. */
const labels = () => new Map(lib.stores.captions.newestUserCaptions().map((r) => [r.id, r.caption]));

function modelCaption(name: string, text: string): void {
  const alternatives = [
    { text, score: -1 },
    { text: `${text} in the sun`, score: -2 },
  ];
  lib.stores.captions.addModel(idOf(name), { text, modelId: MODEL, score: -1, alternatives }, Date.now());
}

beforeAll(async () => {
  root = tempDir('lenscribe-caption-source-');
  photos = join(root, 'photos');
  mkdirSync(photos);
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'].entries()) await makeImage(p(name), 'jpeg', i + 1);
  // digiKam keeps its own XMP namespace (tags, labels) in its photo.jpg.xmp sidecars.
  exiftoolCli(['-XMP-dc:Description=Grandma at the lake', '-XMP-digiKam:TagsList=Family', p('d.jpg.xmp')]);
  exiftoolCli(['-overwrite_original', '-IPTC:Caption-Abstract=Harbour in Porto', p('e.jpg')]);
  exiftoolCli(['-XMP-dc:Description=Kite festival', '-XMP-xmp:CreatorTool=darktable 4.6.1', p('c.jpg.xmp')]);
  lib = Library.open(join(root, 'library'), LIB_OPTIONS);
  await lib.addFolder(photos, { caption: false });
}, 60_000);

afterAll(async () => {
  await lib?.close();
  await endExiftool();
  if (root) removeDir(root);
});

describe('imported descriptions say where they came from', () => {
  it('a digiKam sidecar, a darktable sidecar and an IPTC caption are imported with their place and program', async () => {
    await importDescriptions(lib);
    const d = lib.getPhoto(idOf('d.jpg'))!;
    expect(d).toMatchObject({
      caption: 'Grandma at the lake',
      captionKind: 'imported',
      captionImportedFrom: { place: 'xmp-sidecar', app: 'digiKam' },
    });
    expect(lib.getPhoto(idOf('c.jpg'))!.captionImportedFrom).toEqual({ place: 'xmp-sidecar', app: 'darktable' });
    expect(lib.getPhoto(idOf('e.jpg'))!).toMatchObject({ captionKind: 'imported', captionImportedFrom: { place: 'iptc', app: null } });
    expect(d.history[0]).toMatchObject({ kind: 'imported', importedFrom: { place: 'xmp-sidecar', app: 'digiKam' } });
    // Imported descriptions are the user's (another program's record of their words): teaching labels.
    expect(labels().get(idOf('d.jpg'))).toBe('Grandma at the lake');
  });
});

describe('an alternative the user picks', () => {
  it('is shown as the caption but is not a teaching label; editing it makes it one', () => {
    modelCaption('a.jpg', 'a dog on the grass');
    const picked = lib.chooseAlternative(idOf('a.jpg'), 'a dog on the grass in the sun');
    expect(picked).toMatchObject({ caption: 'a dog on the grass in the sun', captionKind: 'alternative', captionSource: MODEL });
    expect(picked.history[0]).toMatchObject({ kind: 'alternative', source: MODEL });
    expect(labels().has(idOf('a.jpg'))).toBe(false);
    // Exported as the model's words, so another library never learns it as the user's.
    const row = [...lib.exportRows()].find((r) => r.path === p('a.jpg'))!;
    expect(row).toMatchObject({ userCaption: null, modelCaption: 'a dog on the grass in the sun' });
    lib.setUserCaption(idOf('a.jpg'), 'Biscuit on the grass in the sun');
    expect(labels().get(idOf('a.jpg'))).toBe('Biscuit on the grass in the sun');
  });

  it("picked over the user's own caption, it takes the label away until undone; undo brings the user's caption back", () => {
    modelCaption('b.jpg', 'a boat on the water');
    lib.setUserCaption(idOf('b.jpg'), 'Our boat, Maria, at Cascais');
    expect(labels().get(idOf('b.jpg'))).toBe('Our boat, Maria, at Cascais');
    const picked = lib.chooseAlternative(idOf('b.jpg'), 'a boat on the water in the sun');
    expect(labels().has(idOf('b.jpg'))).toBe(false);
    const undone = lib.undoChoice(idOf('b.jpg'), picked.history[0].id);
    expect(undone).toMatchObject({ caption: 'Our boat, Maria, at Cascais', captionKind: 'user' });
    expect(undone.history.map((c) => c.kind)).toEqual(['user', 'model']);
    expect(labels().get(idOf('b.jpg'))).toBe('Our boat, Maria, at Cascais');
  });

  it('undo refuses what it cannot take back, each with its reason', () => {
    const b = lib.getPhoto(idOf('b.jpg'))!;
    expect(() => lib.undoChoice(idOf('b.jpg'), b.history[0].id)).toThrow(/was not chosen from the model's alternatives/);
    const picked = lib.chooseAlternative(idOf('b.jpg'), 'a boat on the water in the sun');
    lib.setUserCaption(idOf('b.jpg'), 'Maria at Cascais, summer');
    expect(() => lib.undoChoice(idOf('b.jpg'), picked.history[0].id)).toThrow(/no longer the photo's newest caption/);
    expect(() => lib.undoChoice(idOf('a.jpg'), picked.history[0].id)).toThrow(/no caption \d+ of photo/);
    expect(() => lib.chooseAlternative(idOf('c.jpg'), 'anything')).toThrow(/has no model caption to choose an alternative of/);
  });

  it("history entries can be restored: the user's stay labels, a model caption comes back as a pick (not a label)", () => {
    const id = idOf('b.jpg');
    const history = lib.getPhoto(id)!.history;
    const model = history.find((c) => c.kind === 'model')!;
    const restoredModel = lib.restoreCaption(id, model.id);
    expect(restoredModel).toMatchObject({ caption: 'a boat on the water', captionKind: 'alternative' });
    expect(labels().has(id)).toBe(false);
    const older = history.find((c) => c.text === 'Our boat, Maria, at Cascais')!;
    expect(lib.restoreCaption(id, older.id)).toMatchObject({ caption: 'Our boat, Maria, at Cascais', captionKind: 'user' });
    expect(labels().get(id)).toBe('Our boat, Maria, at Cascais');
    expect(() => lib.restoreCaption(idOf('a.jpg'), older.id)).toThrow(/no caption \d+ of photo/);
  });
});

describe('a library from before caption kinds', () => {
  it('opens with its captions classified: typed, imported and model captions keep their meaning', () => {
    const file = join(root, 'old', 'library.db');
    openDatabase(file, { migrations: migrations.slice(0, 2) }).close();
    const db = new Database(file);
    db.prepare("INSERT INTO folders (id, path, added_at) VALUES (1, '/photos', 0)").run();
    const photo = db.prepare('INSERT INTO photos (folder_id, path, name, added_at, updated_at) VALUES (1, ?, ?, 0, 0)');
    for (const n of ['x.jpg', 'y.jpg', 'z.jpg']) photo.run(`/photos/${n}`, n);
    const caption = db.prepare('INSERT INTO captions (photo_id, text, source, is_user, created_at) VALUES (?, ?, ?, ?, 0)');
    caption.run(1, 'a cat', MODEL, 0);
    caption.run(1, 'Minka asleep', 'user', 1);
    caption.run(2, 'Lisbon tram', 'import:iptc', 1);
    caption.run(3, 'a tram', MODEL, 0);
    db.close();
    const old = openDatabase(file);
    try {
      const kinds = old.prepare('SELECT text, kind FROM captions ORDER BY id').all();
      expect(kinds).toEqual([
        { text: 'a cat', kind: 'model' },
        { text: 'Minka asleep', kind: 'user' },
        { text: 'Lisbon tram', kind: 'imported' },
        { text: 'a tram', kind: 'model' },
      ]);
    } finally {
      old.close();
    }
  });
});
