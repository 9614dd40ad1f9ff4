import { readFileSync, statSync, utimesSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endExiftool, exiftoolPids, readDescriptions, writeCaption } from '../../src/main/metadata/index.js';
import { decodedPixels, exiftoolCli, exiftoolJson, makeImage, removeDir, tempDir, type Format } from './helpers.js';

const CAPTION = 'Zwei Katzen 🐈🐈 auf dem Sofa — «ça va», 猫\nsecond line, after a newline';
// AVIF stands in for the HEIF family (HEIC): sharp here cannot encode HEVC, ExifTool writes both alike.
const FORMATS: Format[] = ['jpeg', 'tiff', 'png', 'webp', 'avif'];

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(async () => {
  const pids = exiftoolPids();
  await endExiftool();
  // No perl process outlives the shared instance.
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  removeDir(dir);
});

describe.each(FORMATS)('%s', (format) => {
  it('embeds a Unicode multi-line caption: ExifTool and Lenscribe read it back, pixels and other files untouched', async () => {
    const photo = join(dir, `embedded.${format}`);
    await makeImage(photo, format, 7);
    const before = await decodedPixels(photo);
    const out = await writeCaption(photo, { text: CAPTION, kind: 'user' }, { target: 'embedded' });
    expect(out.status).toBe('written');
    expect(out.target).toBe('embedded');
    expect(out.file).toBe(photo);

    const et = exiftoolJson(photo, ['XMP-dc:Description', 'IFD0:ImageDescription', 'XMP-lenscribe:all']);
    expect(et['XMP-dc:Description']).toBe(CAPTION);
    if (format !== 'png') expect(et['IFD0:ImageDescription']).toBe(CAPTION);
    expect(et['XMP-lenscribe:CaptionSource']).toBe('user'); // unknown namespace still visible to stock ExifTool

    const report = await readDescriptions(photo);
    expect(report.primary?.text).toBe(CAPTION);
    expect(report.primary?.source).toBe('xmp');
    expect(report.primary?.writer).toBe('lenscribe');
    expect(report.primary?.lenscribeKind).toBe('user');

    expect((await decodedPixels(photo)).equals(before)).toBe(true);
    // No temp file or ExifTool "_original" backup left beside the photo.
    expect(readdirSync(dir).filter((n) => n.startsWith('.') || n.endsWith('_original'))).toEqual([]);
  });

  it('writes an XMP sidecar that ExifTool and Lenscribe read back; the photo is not touched', async () => {
    const photo = join(dir, `sidecar.${format}`);
    await makeImage(photo, format, 3);
    const bytes = readFileSync(photo);
    const out = await writeCaption(photo, { text: CAPTION, kind: 'model', model: 'lenscribe-default@abc' });
    expect(out.status).toBe('written');
    expect(out.file).toBe(`${photo}.xmp`); // no other sidecars in the folder: photo.ext.xmp
    expect(readFileSync(photo).equals(bytes)).toBe(true);
    const et = exiftoolJson(out.file, ['XMP-dc:Description', 'XMP-lenscribe:all']);
    expect(et['XMP-dc:Description']).toBe(CAPTION);
    expect(et['XMP-lenscribe:CaptionModel']).toBe('lenscribe-default@abc');
    const report = await readDescriptions(photo);
    expect(report.descriptions[0]).toMatchObject({ text: CAPTION, source: 'xmp-sidecar', writer: 'lenscribe', lenscribeKind: 'model' });
    // A model caption Lenscribe wrote is never handed back as a user's label.
    expect(report.primary).toBeNull();
  });

  it('writes a .txt sidecar with the same base name', async () => {
    const photo = join(dir, `text.${format}`);
    await makeImage(photo, format, 5);
    const out = await writeCaption(photo, { text: CAPTION, kind: 'user' }, { target: 'txt' });
    expect(out.status).toBe('written');
    expect(out.file).toBe(join(dir, 'text.txt'));
    expect(readFileSync(out.file, 'utf8')).toBe(`${CAPTION}\n`);
    const report = await readDescriptions(photo);
    expect(report.primary).toMatchObject({ text: CAPTION, source: 'txt-sidecar' });
    removeDir(out.file);
  });
});

describe('reading what other apps wrote', () => {
  it('finds XMP language alternatives, IPTC, EXIF and XPComment, best first, and skips camera boilerplate', async () => {
    const photo = join(dir, 'other.jpg');
    await makeImage(photo, 'jpeg', 11);
    exiftoolCli([
      '-overwrite_original',
      '-charset',
      'iptc=UTF8',
      '-IPTC:CodedCharacterSet=UTF8',
      '-XMP-dc:Description=A red boat on a lake',
      '-XMP-dc:Description-de=Ein rotes Boot auf einem See',
      '-IPTC:Caption-Abstract=Rotes Boot, Bodensee',
      '-EXIF:ImageDescription=OLYMPUS DIGITAL CAMERA',
      '-EXIF:XPComment=boat trip with Anna',
      '-EXIF:Make=OLYMPUS',
      '-EXIF:Model=E-M10',
      photo,
    ]);
    const r = await readDescriptions(photo);
    expect(r.problems).toEqual([]);
    expect(r.primary).toMatchObject({ text: 'A red boat on a lake', source: 'xmp', lang: 'x-default', writer: 'other' });
    expect(r.descriptions.map((d) => [d.source, d.lang ?? null, d.text])).toEqual([
      ['xmp', 'x-default', 'A red boat on a lake'],
      ['xmp', 'de', 'Ein rotes Boot auf einem See'],
      ['iptc', null, 'Rotes Boot, Bodensee'],
      ['exif-xpcomment', null, 'boat trip with Anna'],
    ]);
    expect(r.ignored).toEqual([expect.objectContaining({ text: 'OLYMPUS DIGITAL CAMERA', source: 'exif', reason: 'boilerplate' })]);
  });

  it('finds a description in any single JPEG field; a JPEG with none is read without starting ExifTool', async () => {
    const cases: Array<[string, string[], string]> = [
      ['only-xmp.jpg', ['-XMP-dc:Description=xmp alone'], 'xmp'],
      ['only-iptc.jpg', ['-IPTC:Caption-Abstract=iptc alone'], 'iptc'],
      ['only-exif.jpg', ['-EXIF:ImageDescription=exif alone'], 'exif'],
      ['only-xp.jpg', ['-EXIF:XPComment=xp alone'], 'exif-xpcomment'],
    ];
    for (const [name, args, source] of cases) {
      const photo = join(dir, name);
      await makeImage(photo, 'jpeg', 41);
      exiftoolCli(['-overwrite_original', ...args, photo]);
      expect((await readDescriptions(photo)).descriptions.map((d) => [d.source, d.text])).toEqual([
        [source, `${source === 'exif-xpcomment' ? 'xp' : source} alone`],
      ]);
    }
    const plain = join(dir, 'plain.jpg');
    await makeImage(plain, 'jpeg', 42);
    const boiler = join(dir, 'boiler.jpg');
    await makeImage(boiler, 'jpeg', 43);
    exiftoolCli(['-overwrite_original', '-EXIF:ImageDescription=SONY DSC         ', '-EXIF:Make=SONY', boiler]);
    await endExiftool();
    expect((await readDescriptions(plain)).descriptions).toEqual([]);
    const b = await readDescriptions(boiler);
    expect(b.descriptions).toEqual([]);
    expect(b.ignored).toEqual([expect.objectContaining({ text: 'SONY DSC', source: 'exif', reason: 'boilerplate' })]);
    expect(exiftoolPids()).toEqual([]);
  });

  it('reads both sidecar namings and caption sidecars; the XMP sidecar wins over the embedded text', async () => {
    const photo = join(dir, 'both.jpg');
    await makeImage(photo, 'jpeg', 12);
    exiftoolCli(['-overwrite_original', '-EXIF:ImageDescription=SONY DSC', '-XMP-dc:Description=embedded words', photo]);
    exiftoolCli(['-XMP-dc:Description=from Lightroom', join(dir, 'both.xmp')]);
    exiftoolCli(['-XMP-dc:Description=from darktable', join(dir, 'both.jpg.xmp')]);
    writeFileSync(join(dir, 'both.caption'), '\uFEFFa dataset caption\r\n');
    writeFileSync(join(dir, 'both.txt'), '   \n');
    const r = await readDescriptions(photo);
    expect(r.descriptions.map((d) => [d.source, d.file.slice(dir.length + 1), d.text])).toEqual([
      ['xmp-sidecar', 'both.jpg.xmp', 'from darktable'],
      ['xmp-sidecar', 'both.xmp', 'from Lightroom'],
      ['xmp', 'both.jpg', 'embedded words'],
      ['caption-sidecar', 'both.caption', 'a dataset caption'],
    ]);
    expect(r.primary?.text).toBe('from darktable');
    expect(r.ignored.map((i) => [i.source, i.reason])).toEqual(
      expect.arrayContaining([
        ['exif', 'boilerplate'],
        ['txt-sidecar', 'empty'],
      ]),
    );
  });

  it('ignores a description that only names the camera, and reports a corrupt photo and a binary .txt without failing', async () => {
    const photo = join(dir, 'cam.jpg');
    await makeImage(photo, 'jpeg', 13);
    exiftoolCli([
      '-overwrite_original',
      '-EXIF:Make=Canon',
      '-EXIF:Model=Canon EOS 5D Mark III',
      '-EXIF:ImageDescription=Canon EOS 5D Mark III',
      photo,
    ]);
    expect((await readDescriptions(photo)).ignored).toEqual([expect.objectContaining({ reason: 'camera-name' })]);

    const broken = join(dir, 'broken.jpg');
    writeFileSync(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10, 0x45]));
    writeFileSync(join(dir, 'broken.txt'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
    const r = await readDescriptions(broken);
    expect(r.primary).toBeNull();
    expect(r.problems.some((p) => p.includes('broken.txt') && /not a text file/.test(p))).toBe(true);

    const gone = await readDescriptions(join(dir, 'no-such.jpg'));
    expect(gone.problems).toEqual([expect.stringMatching(/no-such\.jpg: no such file/)]);
  });
});

describe('the ExifTool processes', () => {
  it.runIf(process.platform === 'linux')('run with a private config, and end with endExiftool (pool restarts on next use)', async () => {
    await readDescriptions(join(dir, 'embedded.jpeg'));
    const pids = exiftoolPids();
    expect(pids.length).toBeGreaterThan(0);
    const args = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0');
    const config = args[args.indexOf('-config') + 1]!;
    expect(statSync(dirname(config)).mode & 0o777).toBe(0o700);
    await endExiftool();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(config)).toBe(false);
    expect((await readDescriptions(join(dir, 'embedded.jpeg'))).primary?.text).toBe(CAPTION);
  });
});

describe('file names', () => {
  it('handles non-ASCII names and spaces for sidecars, embedded writes and reads', async () => {
    const photo = join(dir, 'Ünïcødé фото 1 (copy).jpg');
    await makeImage(photo, 'jpeg', 31);
    expect((await writeCaption(photo, { text: 'Привет, мир', kind: 'user' })).file).toBe(`${photo}.xmp`);
    expect((await writeCaption(photo, { text: 'Привет, мир', kind: 'user' }, { target: 'embedded' })).status).toBe('written');
    const r = await readDescriptions(photo);
    expect(r.descriptions.map((d) => d.source)).toEqual(['xmp-sidecar', 'xmp', 'exif']);
    expect(exiftoolJson(photo, ['XMP-dc:Description'])['XMP-dc:Description']).toBe('Привет, мир');
  });
});

describe('embedded writes keep what should be kept', () => {
  it('preserves the modification time when asked, and the other language alternatives always', async () => {
    const photo = join(dir, 'mtime.jpg');
    await makeImage(photo, 'jpeg', 21);
    exiftoolCli(['-overwrite_original', '-XMP-dc:Description-de=Deutsche Beschreibung', photo]);
    const old = new Date('2011-05-04T10:20:30Z');
    utimesSync(photo, old, old);
    const out = await writeCaption(photo, { text: 'a lighthouse at dusk', kind: 'model' }, { target: 'embedded', preserveMtime: true });
    expect(out.status).toBe('written');
    expect(statSync(photo).mtime.getTime()).toBe(old.getTime());
    const et = exiftoolJson(photo, ['XMP-dc:Description', 'XMP-dc:Description-de']);
    expect(et['XMP-dc:Description']).toBe('a lighthouse at dusk');
    expect(et['XMP-dc:Description-de']).toBe('Deutsche Beschreibung');

    // Without the option the file's time moves on.
    const out2 = await writeCaption(photo, { text: 'a lighthouse at dusk, waves', kind: 'model' }, { target: 'embedded' });
    expect(out2.status).toBe('written');
    expect(statSync(photo).mtime.getTime()).toBeGreaterThan(old.getTime());
  });

  it('keeps IPTC in step, so every reader sees one caption; a Latin-1 IPTC that cannot hold the text is dropped, not garbled', async () => {
    const utf8 = join(dir, 'iptc-utf8.jpg');
    await makeImage(utf8, 'jpeg', 22);
    exiftoolCli([
      '-overwrite_original',
      '-charset',
      'iptc=UTF8',
      '-IPTC:CodedCharacterSet=UTF8',
      '-IPTC:Caption-Abstract=OLYMPUS DIGITAL CAMERA',
      utf8,
    ]);
    expect((await writeCaption(utf8, { text: 'Straße im Schnee ❄', kind: 'model' }, { target: 'embedded' })).status).toBe('written');
    expect(exiftoolJson(utf8, ['IPTC:Caption-Abstract'])['IPTC:Caption-Abstract']).toBe('Straße im Schnee ❄');
    const r = await readDescriptions(utf8);
    expect(new Set(r.descriptions.map((d) => d.text))).toEqual(new Set(['Straße im Schnee ❄']));
    expect(r.descriptions.map((d) => d.source).sort()).toEqual(['exif', 'iptc', 'xmp']);
    expect(r.descriptions.every((d) => d.writer === 'lenscribe')).toBe(true);

    const latin = join(dir, 'iptc-latin.jpg');
    await makeImage(latin, 'jpeg', 23);
    exiftoolCli(['-overwrite_original', '-IPTC:Caption-Abstract=Straße', latin]);
    // The user's "Straße" is replaced only because this is a user caption with overwriteOthers.
    const out = await writeCaption(latin, { text: 'Straße im Schnee ❄', kind: 'user' }, { target: 'embedded', overwriteOthers: true });
    expect(out.status).toBe('written');
    expect(exiftoolJson(latin, ['IPTC:Caption-Abstract'])['IPTC:Caption-Abstract']).toBeUndefined();
    expect((await readDescriptions(latin)).descriptions.map((d) => d.source)).toEqual(['xmp', 'exif']);
    const stillLatin = join(dir, 'iptc-latin2.jpg');
    await makeImage(stillLatin, 'jpeg', 24);
    exiftoolCli(['-overwrite_original', '-IPTC:Caption-Abstract=Strasse', stillLatin]);
    await writeCaption(stillLatin, { text: 'Straße im Schnee', kind: 'user' }, { target: 'embedded', overwriteOthers: true });
    expect(exiftoolJson(stillLatin, ['IPTC:Caption-Abstract'])['IPTC:Caption-Abstract']).toBe('Straße im Schnee');
    expect(existsSync(`${utf8}.xmp`)).toBe(false);
  });
});
