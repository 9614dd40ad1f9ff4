/**
 * `npm run bench -- metadata [photos]`: captions that travel with the photos, on real Flickr8k
 * JPEGs (generated JPEGs when the dataset is absent). One JSON line per figure, each next to a
 * peer measured in the same run:
 *  - read of undescribed photos (what ingest meets most): `readDescriptions` (exifr quick look
 *    for JPEG, ExifTool only when a description field exists) vs a bare ExifTool readRaw.
 *  - read (sequential, and two photos in flight as the import runs): `readDescriptions` (photo + sidecar lookups + boilerplate filter) vs exiftool-vendored's
 *    bare `readRaw` of the same tags on the same photos (the cost floor of asking ExifTool).
 *  - write xmp-sidecar / embedded: `writeCaption` (policy read, temp file, guarded atomic commit)
 *    vs a bare exiftool-vendored `write` of the same tags (sidecar create / -overwrite_original).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { WriteTags } from 'exiftool-vendored';
import { endExiftool, exiftool } from '../src/main/metadata/exiftool.js';
import { readDescriptions } from '../src/main/metadata/read.js';
import { writeCaption } from '../src/main/metadata/write.js';
import { datasetPath } from '../src/shared/paths.js';

const N = Number(process.argv[2] ?? 200);
const work = join(tmpdir(), `lenscribe-bench-metadata-${process.pid}`);
const src = datasetPath('flickr8k', 'images');

async function preparePhotos(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names = existsSync(src)
    ? readdirSync(src)
        .filter((n) => n.endsWith('.jpg'))
        .sort()
        .slice(0, N)
    : [];
  const out: string[] = [];
  for (let i = 0; i < N; i++) {
    const dest = join(dir, `p${i}.jpg`);
    if (names[i]) copyFileSync(join(src, names[i]!), dest);
    else
      await sharp({ create: { width: 500, height: 375, channels: 3, background: { r: i & 255, g: 90, b: 160 } } })
        .jpeg()
        .toFile(dest);
    out.push(dest);
  }
  return out;
}

function line(bench: string, n: number, ours: number, peer: number, peerName: string, extra: Record<string, unknown> = {}): void {
  console.log(
    JSON.stringify({
      bench,
      photos: n,
      source: existsSync(src) ? 'flickr8k' : 'generated',
      ms_per_photo: +(ours / n).toFixed(3),
      photos_per_s: +((n * 1000) / ours).toFixed(1),
      peer: peerName,
      peer_ms_per_photo: +(peer / n).toFixed(3),
      ratio: +(ours / peer).toFixed(3),
      ...extra,
    }),
  );
}

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const CAPTION = 'a dog runs across the grass with a red ball in its mouth';
const TAGS = { 'XMP-dc:Description-x-default': CAPTION, 'XMP-lenscribe:CaptionSource': 'model' } as WriteTags;

try {
  // Sidecar writes: ours on one copy of the photos, the bare write on another.
  const a = await preparePhotos(join(work, 'a'));
  const b = await preparePhotos(join(work, 'b'));
  await exiftool().version(); // start perl before timing
  const readArgs = [
    '-G1',
    '-a',
    '-XMP-dc:Description',
    '-XMP-dc:Description-*',
    '-IPTC:Caption-Abstract',
    '-EXIF:ImageDescription',
    '-EXIF:XPComment',
  ];

  // Fresh photos as ingest meets them: no sidecar, no description (most photos on a disk).
  const oursBare = await time(async () => {
    for (const p of a) await readDescriptions(p);
  });
  const peerBare = await time(async () => {
    for (const p of b) await exiftool().readRaw(p, { readArgs });
  });
  line('metadata-read-undescribed', N, oursBare, peerBare, 'exiftool-vendored readRaw of the photo');
  const oursSide = await time(async () => {
    for (const p of a)
      if ((await writeCaption(p, { text: CAPTION, kind: 'model' })).status !== 'written') throw new Error(`not written: ${p}`);
  });
  const peerSide = await time(async () => {
    for (const p of b) await exiftool().write(`${p}.xmp`, TAGS);
  });
  line('metadata-write-xmp-sidecar', N, oursSide, peerSide, 'exiftool-vendored write (new sidecar, no checks)');

  // Reads: each photo now has a sidecar; half also get an embedded caption below.
  const oursRead = await time(async () => {
    for (const p of a) if (!(await readDescriptions(p)).descriptions.length) throw new Error(`nothing read: ${p}`);
  });
  const peerRead = await time(async () => {
    for (const p of b) {
      await exiftool().readRaw(p, { readArgs });
      await exiftool().readRaw(`${p}.xmp`, { readArgs });
    }
  });
  line('metadata-read', N, oursRead, peerRead, 'exiftool-vendored readRaw of photo + its sidecar');

  // The same with two photos in flight (what importDescriptions does; the pool has two perl processes).
  const twoAtOnce = async (items: string[], fn: (p: string) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        while (next < items.length) await fn(items[next++]!);
      }),
    );
  };
  const oursRead2 = await time(() => twoAtOnce(a, (p) => readDescriptions(p)));
  const peerRead2 = await time(() =>
    twoAtOnce(b, async (p) => {
      await exiftool().readRaw(p, { readArgs });
      await exiftool().readRaw(`${p}.xmp`, { readArgs });
    }),
  );
  line('metadata-read-2-in-flight', N, oursRead2, peerRead2, 'exiftool-vendored readRaw of photo + its sidecar, 2 in flight');

  // Embedded writes.
  const bytes = a.length;
  const oursEmb = await time(async () => {
    for (const p of a)
      if ((await writeCaption(p, { text: CAPTION, kind: 'model' }, { target: 'embedded' })).status !== 'written')
        throw new Error(`not written: ${p}`);
  });
  const peerEmb = await time(async () => {
    for (const p of b)
      await exiftool().write(p, { ...TAGS, 'EXIF:ImageDescription': CAPTION } as WriteTags, { writeArgs: ['-overwrite_original'] });
  });
  line('metadata-write-embedded', bytes, oursEmb, peerEmb, 'exiftool-vendored write -overwrite_original (no checks)');
} finally {
  await endExiftool();
  rmSync(work, { recursive: true, force: true });
}
