/** A corpus of broken files (generated, never committed) and the error kind each must get. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = ~0;
  for (const x of td) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(~c >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A valid PNG header claiming 100000×100000 pixels (10 GP): a decompression bomb. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc(1000))), pngChunk('IEND', Buffer.alloc(0))]);
}

export async function makeBrokenCorpus(into: string): Promise<Array<{ file: string; kind: string }>> {
  mkdirSync(into, { recursive: true });
  const noise = () =>
    sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  const jpg = await noise().jpeg().toBuffer();
  const png = await noise().png().toBuffer();
  const put = (name: string, data: Buffer | string) => {
    writeFileSync(join(into, name), data);
    return join(into, name);
  };
  const badDqt = Buffer.from(jpg);
  for (let i = 4; i < 400; i++) badDqt[i] = (i * 13) & 0xff;
  const badHuffman = Buffer.from(jpg);
  const dht = badHuffman.indexOf(Buffer.from([0xff, 0xc4]));
  for (let i = dht + 4; i < dht + 40; i++) badHuffman[i] = 0xff;
  const badPng = Buffer.from(png);
  for (let i = 100; i < badPng.length - 20; i += 5) badPng[i] ^= 0x55;
  // An ISO-BMFF 'heic' brand: the HEVC codec is not in sharp's prebuilt libvips.
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(200, 1)]);
  mkdirSync(join(into, 'folder.jpg'), { recursive: true });
  const loop1 = join(into, 'loop1.jpg');
  const loop2 = join(into, 'loop2.jpg');
  symlinkSync(loop2, loop1);
  symlinkSync(loop1, loop2);
  return [
    { file: put('empty.jpg', Buffer.alloc(0)), kind: 'empty' },
    { file: put('truncated.jpg', jpg.subarray(0, jpg.length >> 1)), kind: 'truncated' },
    { file: put('truncated.png', png.subarray(0, png.length >> 1)), kind: 'truncated' },
    { file: put('bad-dqt.jpg', badDqt), kind: 'corrupt' },
    { file: put('bad-huffman.jpg', badHuffman), kind: 'corrupt' },
    { file: put('bad-data.png', badPng), kind: 'corrupt' },
    { file: put('notes.jpg', 'this is a text file, not a photo\n'.repeat(10)), kind: 'unsupported' },
    { file: put('photo.heic', heic), kind: 'unsupported' },
    { file: put('bomb.png', bombPng()), kind: 'too-large' },
    { file: join(into, 'folder.jpg'), kind: 'unreadable' },
    { file: loop1, kind: 'unreadable' },
    { file: join(into, 'vanished.jpg'), kind: 'not-found' },
  ];
}
