import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { endExiftool, photosForSidecar, readDescriptions, removeStaleTemps, writeCaption } from '../../src/main/metadata/index.js';
import { EXIFTOOL_CLI, exiftoolCli, exiftoolJson, makeImage, makeReadOnly, makeWritable, removeDir, tempDir } from './helpers.js';

let root: string;
let n = 0;
/** A fresh folder per test, so folder conventions do not leak between tests. */
function folder(): string {
  const d = join(root, `case${++n}`);
  mkdirSync(d);
  return d;
}

beforeAll(() => {
  root = tempDir();
});
afterAll(async () => {
  await endExiftool();
  removeDir(root);
});

describe('what is already there decides', () => {
  it('a photo another app described is not overwritten by a model caption, nor silently by a user caption', async () => {
    const d = folder();
    const photo = join(d, 'IMG_0001.jpg');
    await makeImage(photo, 'jpeg');
    exiftoolCli(['-XMP-dc:Description=Grandma’s 80th birthday, Lisbon', join(d, 'IMG_0001.xmp')]); // Lightroom-style sidecar
    const sidecarBytes = readFileSync(join(d, 'IMG_0001.xmp'));
    const photoBytes = readFileSync(photo);

    const model = await writeCaption(photo, { text: 'a group of people around a table', kind: 'model' });
    expect(model).toMatchObject({ status: 'kept-theirs', theirs: 'Grandma’s 80th birthday, Lisbon', file: join(d, 'IMG_0001.xmp') });
    const modelEmbedded = await writeCaption(photo, { text: 'a group of people around a table', kind: 'model' }, { target: 'embedded' });
    expect(modelEmbedded.status).toBe('written'); // the photo itself held nothing
    exiftoolCli(['-overwrite_original', '-XMP-dc:Description=', '-XMP-lenscribe:all=', photo]);

    const user = await writeCaption(photo, { text: 'Oma wird 80', kind: 'user' });
    expect(user.status).toBe('kept-theirs');
    expect(readFileSync(join(d, 'IMG_0001.xmp')).equals(sidecarBytes)).toBe(true);

    // Once the library has seen their text (expected), the user's own edit may replace it.
    const seen = await writeCaption(
      photo,
      { text: 'Oma wird 80', kind: 'user' },
      { expected: { text: 'Grandma’s 80th birthday, Lisbon' } },
    );
    expect(seen.status).toBe('written');
    expect(exiftoolJson(join(d, 'IMG_0001.xmp'), ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Oma wird 80');
    // …but even then a model caption may not.
    const model2 = await writeCaption(photo, { text: 'people at a table', kind: 'model' }, { expected: seen.state });
    expect(model2.status).toBe('kept-theirs');
    void photoBytes;
  });

  it('a model caption replaces an earlier model caption; the same text is left alone', async () => {
    const d = folder();
    const photo = join(d, 'p.png');
    await makeImage(photo, 'png');
    expect((await writeCaption(photo, { text: 'a dog on a beach', kind: 'model' })).status).toBe('written');
    const mtime = statSync(`${photo}.xmp`).mtimeMs;
    expect((await writeCaption(photo, { text: 'a  dog on a\nbeach', kind: 'model' })).status).toBe('unchanged');
    expect(statSync(`${photo}.xmp`).mtimeMs).toBe(mtime);
    expect((await writeCaption(photo, { text: 'a brown dog running on a beach', kind: 'model' })).status).toBe('written');
    expect((await writeCaption(photo, { text: 'Rex at Sylt', kind: 'user' })).status).toBe('written');
    expect((await writeCaption(photo, { text: 'a dog', kind: 'model' })).status).toBe('kept-theirs');
    expect((await readDescriptions(photo)).primary).toMatchObject({ text: 'Rex at Sylt', writer: 'lenscribe', lenscribeKind: 'user' });
  });

  it('an edit in another app after Lenscribe wrote is recognised as theirs (the hash no longer matches)', async () => {
    const d = folder();
    const photo = join(d, 'q.jpg');
    await makeImage(photo, 'jpeg');
    await writeCaption(photo, { text: 'a cat on a sofa', kind: 'model' });
    exiftoolCli(['-overwrite_original', '-XMP-dc:Description=Minka, our cat', `${photo}.xmp`]); // digiKam edits it
    const r = await readDescriptions(photo);
    expect(r.primary).toMatchObject({ text: 'Minka, our cat', writer: 'other' });
    expect((await writeCaption(photo, { text: 'a cat sleeping', kind: 'model' })).status).toBe('kept-theirs');
  });

  it('camera boilerplate is not a description: a model caption may replace it', async () => {
    const d = folder();
    const photo = join(d, 'P1010001.jpg');
    await makeImage(photo, 'jpeg');
    exiftoolCli(['-overwrite_original', '-EXIF:ImageDescription=OLYMPUS DIGITAL CAMERA', photo]);
    const out = await writeCaption(photo, { text: 'a tram in the rain', kind: 'model' }, { target: 'embedded' });
    expect(out.status).toBe('written');
    expect(exiftoolJson(photo, ['IFD0:ImageDescription'])['IFD0:ImageDescription']).toBe('a tram in the rain');
  });

  it('a .txt someone else wrote is kept; with the library having seen it, a user edit replaces it', async () => {
    const d = folder();
    const photo = join(d, 'img.webp');
    await makeImage(photo, 'webp');
    writeFileSync(join(d, 'img.txt'), 'photo of a woman, red coat, snow');
    expect(await writeCaption(photo, { text: 'a person in snow', kind: 'model' }, { target: 'txt' })).toMatchObject({
      status: 'kept-theirs',
      theirs: 'photo of a woman, red coat, snow',
    });
    const u = await writeCaption(
      photo,
      { text: 'Lena in Oslo', kind: 'user' },
      { target: 'txt', expected: { text: 'photo of a woman, red coat, snow' } },
    );
    expect(u.status).toBe('written');
    expect(readFileSync(join(d, 'img.txt'), 'utf8')).toBe('Lena in Oslo\n');
  });
});

describe('sidecar naming follows the folder', () => {
  it('uses photo.xmp where the folder has Lightroom-style sidecars, photo.jpg.xmp where it has darktable-style ones', async () => {
    const lr = folder();
    await makeImage(join(lr, 'a.jpg'), 'jpeg');
    await makeImage(join(lr, 'b.jpg'), 'jpeg');
    exiftoolCli(['-XMP-xmp:Rating=3', join(lr, 'a.xmp')]);
    expect((await writeCaption(join(lr, 'b.jpg'), { text: 'x y z', kind: 'user' })).file).toBe(join(lr, 'b.xmp'));

    const dt = folder();
    await makeImage(join(dt, 'a.jpg'), 'jpeg');
    await makeImage(join(dt, 'b.jpg'), 'jpeg');
    exiftoolCli(['-XMP-xmp:Rating=3', join(dt, 'a.jpg.xmp')]);
    expect((await writeCaption(join(dt, 'b.jpg'), { text: 'x y z', kind: 'user' })).file).toBe(join(dt, 'b.jpg.xmp'));
    // Updating a sidecar keeps the other app's fields.
    expect((await writeCaption(join(dt, 'a.jpg'), { text: 'x y z', kind: 'user' })).file).toBe(join(dt, 'a.jpg.xmp'));
    expect(exiftoolJson(join(dt, 'a.jpg.xmp'), ['XMP:all'])).toMatchObject({ 'XMP-xmp:Rating': 3, 'XMP-dc:Description': 'x y z' });

    // An explicit choice wins.
    const out = await writeCaption(join(dt, 'b.jpg'), { text: 'x y z', kind: 'user' }, { sidecarNaming: 'basename' });
    expect(out.file).toBe(join(dt, 'b.xmp'));
  });
});

describe('from a sidecar back to its photo', () => {
  it('finds the photo of photo.jpg.xmp, and the photos sharing photo.xmp / photo.txt', async () => {
    const d = folder();
    for (const n of ['IMG_7.JPG', 'IMG_7.CR2', 'solo.png']) writeFileSync(join(d, n), 'x');
    expect(await photosForSidecar(join(d, 'IMG_7.JPG.xmp'))).toEqual([join(d, 'IMG_7.JPG')]);
    expect(await photosForSidecar(join(d, 'IMG_7.xmp'))).toEqual([join(d, 'IMG_7.CR2'), join(d, 'IMG_7.JPG')]);
    expect(await photosForSidecar(join(d, 'solo.txt'))).toEqual([join(d, 'solo.png')]);
    expect(await photosForSidecar(join(d, 'nobody.caption'))).toEqual([]);
    expect(await photosForSidecar(join(d, '.IMG_7.JPG.lenscribe-tmp-1-0a1b2c3d.xmp'))).toEqual([]);
    expect(await photosForSidecar(join(d, 'IMG_7.JPG'))).toEqual([]);
  });
});

describe('files and folders that cannot be written', () => {
  it('a read-only folder: nothing is written, a specific error says so, the photo is untouched', async () => {
    const d = folder();
    const photo = join(d, 'ro.jpg');
    await makeImage(photo, 'jpeg');
    const bytes = readFileSync(photo);
    makeReadOnly(d);
    try {
      const side = await writeCaption(photo, { text: 'a bridge at night', kind: 'user' });
      expect(side).toMatchObject({ status: 'failed', error: { code: 'read-only' } });
      const emb = await writeCaption(photo, { text: 'a bridge at night', kind: 'user' }, { target: 'embedded' });
      expect(emb.status).toBe('failed');
      expect(emb.error?.code).toBe('read-only');
      expect(emb.notice).toMatch(/read-only; wrote an XMP sidecar instead/);
      const txt = await writeCaption(photo, { text: 'a bridge at night', kind: 'user' }, { target: 'txt' });
      expect(txt.error?.code).toBe('read-only');
    } finally {
      makeWritable(d);
    }
    expect(readdirSync(d)).toEqual(['ro.jpg']);
    expect(readFileSync(photo).equals(bytes)).toBe(true);
  });

  it('a read-only photo in a writable folder: the caption goes to a sidecar, with a notice', async () => {
    const d = folder();
    const photo = join(d, 'locked.tiff');
    await makeImage(photo, 'tiff');
    const bytes = readFileSync(photo);
    makeReadOnly(photo);
    try {
      const out = await writeCaption(photo, { text: 'a red kite', kind: 'user' }, { target: 'embedded' });
      expect(out).toMatchObject({ status: 'written', target: 'xmp-sidecar', file: `${photo}.xmp` });
      expect(out.notice).toMatch(/locked\.tiff is read-only/);
    } finally {
      makeWritable(photo);
    }
    expect(readFileSync(photo).equals(bytes)).toBe(true);
  });

  it('a photo removed between scan and write: a "missing" error and no orphan sidecar', async () => {
    const d = folder();
    const photo = join(d, 'gone.jpg');
    await makeImage(photo, 'jpeg');
    const scanned = await readDescriptions(photo);
    expect(scanned.problems).toEqual([]);
    rmSync(photo);
    for (const target of ['xmp-sidecar', 'embedded', 'txt'] as const) {
      const out = await writeCaption(photo, { text: 'a boat', kind: 'model' }, { target });
      expect(out).toMatchObject({ status: 'failed', error: { code: 'missing' } });
    }
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('another program edits at the same time', () => {
  it('a sidecar changed since Lenscribe read it: conflict, their text stays, ours is not written', async () => {
    const d = folder();
    const photo = join(d, 'c.jpg');
    await makeImage(photo, 'jpeg');
    exiftoolCli(['-XMP-dc:Description=first words', `${photo}.xmp`]);
    const seen = await readDescriptions(photo);
    expect(seen.primary?.text).toBe('first words');
    exiftoolCli(['-overwrite_original', '-XMP-dc:Description=their newer words', `${photo}.xmp`]); // the other app, later
    const out = await writeCaption(photo, { text: 'my words', kind: 'user' }, { expected: { text: seen.primary!.text } });
    expect(out).toMatchObject({ status: 'conflict', theirs: 'their newer words' });
    expect(exiftoolJson(`${photo}.xmp`, ['XMP-dc:Description'])['XMP-dc:Description']).toBe('their newer words');
  });

  it('a sidecar changed by another process while Lenscribe is writing it: detected at commit, their write survives', async () => {
    const d = folder();
    const photo = join(d, 'race.jpg');
    await makeImage(photo, 'jpeg');
    await writeCaption(photo, { text: 'a market square', kind: 'model' });
    const out = await writeCaption(
      photo,
      { text: 'a busy market square', kind: 'model' },
      {
        beforeCommit: (target) => {
          // The other program (a separate ExifTool process) rewrites the sidecar in the window.
          const r = spawnSync('perl', [EXIFTOOL_CLI, '-overwrite_original', '-XMP-dc:Description=Wochenmarkt in Münster', target], {
            encoding: 'utf8',
          });
          expect(r.status).toBe(0);
        },
      },
    );
    expect(out).toMatchObject({ status: 'conflict', theirs: 'Wochenmarkt in Münster' });
    expect(exiftoolJson(`${photo}.xmp`, ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Wochenmarkt in Münster');
    expect(readdirSync(d).sort()).toEqual(['race.jpg', 'race.jpg.xmp']); // no temp file left
  });

  it('a photo rewritten by another program during an embedded write: detected, their version of the file stays', async () => {
    const d = folder();
    const photo = join(d, 'emb.webp');
    await makeImage(photo, 'webp');
    const out = await writeCaption(
      photo,
      { text: 'a harbour at night', kind: 'model' },
      {
        target: 'embedded',
        beforeCommit: (target) => {
          const r = spawnSync('perl', [EXIFTOOL_CLI, '-overwrite_original', '-XMP-dc:Description=Hamburg harbour, 2am', target], {
            encoding: 'utf8',
          });
          expect(r.status).toBe(0);
        },
      },
    );
    expect(out).toMatchObject({ status: 'conflict', theirs: 'Hamburg harbour, 2am' });
    expect(exiftoolJson(photo, ['XMP-dc:Description', 'XMP-lenscribe:all'])).toEqual({
      SourceFile: photo,
      'XMP-dc:Description': 'Hamburg harbour, 2am',
    });
    expect(readdirSync(d)).toEqual(['emb.webp']);
  });

  it('a .txt changed by another program during a write: detected, theirs stays', async () => {
    const d = folder();
    const photo = join(d, 't.png');
    await makeImage(photo, 'png');
    writeFileSync(join(d, 't.txt'), 'old words\n');
    const out = await writeCaption(
      photo,
      { text: 'new words', kind: 'user' },
      {
        target: 'txt',
        expected: { text: 'old words' },
        beforeCommit: (target) => writeFileSync(target, 'their words, written just now\n'),
      },
    );
    expect(out).toMatchObject({ status: 'conflict', theirs: 'their words, written just now' });
    expect(readFileSync(join(d, 't.txt'), 'utf8')).toBe('their words, written just now\n');
  });

  it('a sidecar created by another process while Lenscribe is creating it: theirs is kept', async () => {
    const d = folder();
    const photo = join(d, 'new.jpg');
    await makeImage(photo, 'jpeg');
    const out = await writeCaption(
      photo,
      { text: 'a snowy field', kind: 'user' },
      {
        beforeCommit: (target) => {
          exiftoolCli(['-XMP-dc:Description=created elsewhere', target]);
        },
      },
    );
    expect(out).toMatchObject({ status: 'conflict', theirs: 'created elsewhere' });
    expect(exiftoolJson(`${photo}.xmp`, ['XMP-dc:Description'])['XMP-dc:Description']).toBe('created elsewhere');
    expect(readdirSync(d).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('formats and leftovers', () => {
  it('embedding into a format Lenscribe does not embed into (GIF) writes a sidecar with a notice', async () => {
    const d = folder();
    const photo = join(d, 'anim.gif');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f80' } })
      .gif()
      .toFile(photo);
    const bytes = readFileSync(photo);
    const out = await writeCaption(photo, { text: 'an orange square', kind: 'model' }, { target: 'embedded' });
    expect(out).toMatchObject({ status: 'written', target: 'xmp-sidecar', file: `${photo}.xmp` });
    expect(out.notice).toMatch(/not embedded in \.gif files/);
    expect(readFileSync(photo).equals(bytes)).toBe(true);
  });

  it('a corrupt photo: a specific ExifTool error, the file untouched, no temp file left', async () => {
    const d = folder();
    const photo = join(d, 'corrupt.jpg');
    const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04]), Buffer.from('not really a jpeg')]);
    writeFileSync(photo, junk);
    const out = await writeCaption(photo, { text: 'whatever', kind: 'user' }, { target: 'embedded' });
    expect(out).toMatchObject({ status: 'failed', error: { code: 'exiftool' } });
    expect(out.error?.message).toContain('corrupt.jpg');
    expect(readFileSync(photo).equals(junk)).toBe(true);
    expect(readdirSync(d)).toEqual(['corrupt.jpg']);
  });

  it("temp files of a killed Lenscribe are removed; a live writer's and the user's files are not", async () => {
    const d = folder();
    writeFileSync(join(d, '.IMG_1.jpg.lenscribe-tmp-4194999-0a1b2c3d.xmp'), 'left by a dead process');
    writeFileSync(join(d, `.IMG_2.lenscribe-tmp-${process.pid}-deadbeef.jpg`), 'being written right now');
    writeFileSync(join(d, 'notes.lenscribe-tmp-1-0a1b2c3d.txt'), "the user's file, not hidden, not ours");
    expect(await removeStaleTemps(d)).toBe(1);
    expect(readdirSync(d).sort()).toEqual([`.IMG_2.lenscribe-tmp-${process.pid}-deadbeef.jpg`, 'notes.lenscribe-tmp-1-0a1b2c3d.txt']);
  });
});

describe('links and locked sidecars', () => {
  it('embedding through a symbolic link rewrites the photo it points to and keeps the link', async () => {
    const d = folder();
    const real = join(d, 'real.jpg');
    await makeImage(real, 'jpeg');
    const link = join(d, 'link.jpg');
    symlinkSync(real, link);
    const out = await writeCaption(link, { text: 'a heron', kind: 'user' }, { target: 'embedded' });
    expect(out).toMatchObject({ status: 'written', photoPath: link, file: real });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(exiftoolJson(real, ['XMP-dc:Description'])['XMP-dc:Description']).toBe('a heron');
  });

  it('a read-only sidecar another app keeps is not replaced', async () => {
    const d = folder();
    const photo = join(d, 'k.jpg');
    await makeImage(photo, 'jpeg');
    exiftoolCli(['-XMP-xmp:Rating=5', `${photo}.xmp`]); // no description, but locked
    const bytes = readFileSync(`${photo}.xmp`);
    makeReadOnly(`${photo}.xmp`);
    try {
      const out = await writeCaption(photo, { text: 'a kettle', kind: 'model' });
      expect(out).toMatchObject({ status: 'failed', error: { code: 'read-only' } });
    } finally {
      makeWritable(`${photo}.xmp`);
    }
    expect(readFileSync(`${photo}.xmp`).equals(bytes)).toBe(true);
  });
});
