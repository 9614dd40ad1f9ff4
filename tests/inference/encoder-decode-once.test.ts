/**
 * One decode per photo: the encoded file (its path, or its bytes when hashing) is handed to
 * sharp exactly once; the encoder input and the thumbnail are both derived from that
 * decode's raw pixels.
 * sharp is the real library here, wrapped only to record what each pipeline was given.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const calls: Array<{ raw: boolean; bytes: number }> = [];

vi.mock('sharp', async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (input?: unknown, options?: unknown) => unknown }).default;
  const recording = (input?: unknown, options?: { raw?: unknown }) => {
    if (Buffer.isBuffer(input)) calls.push({ raw: options?.raw !== undefined, bytes: input.length });
    else if (typeof input === 'string') calls.push({ raw: false, bytes: statSync(input).size });
    return real(input, options);
  };
  Object.assign(recording, real);
  return { default: recording };
});

const { default: sharp } = await import('sharp');
const { preparePhoto } = await import('../../src/inference/encoder/preprocess.js');

const dir = mkdtempSync(join(tmpdir(), 'lenscribe-decode-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preparePhoto', () => {
  it('decodes the file once and derives input and thumbnail from that decode', async () => {
    const jpeg = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#3366cc' } })
      .jpeg()
      .toBuffer();
    const file = join(dir, 'photo.jpg');
    writeFileSync(file, jpeg);
    calls.length = 0;
    const p = await preparePhoto(file, { size: 224, thumbnail: 320 });
    expect(p.thumbnail).toBeDefined();
    const encoded = calls.filter((c) => !c.raw);
    expect(encoded).toEqual([{ raw: false, bytes: jpeg.length }]);
    // Both derived pipelines start from the decoded intermediate (raw pixels), not the file.
    expect(calls.filter((c) => c.raw)).toHaveLength(2);
    // The intermediate is small: short side max(224, 320), aspect kept (427×320 here).
    for (const c of calls.filter((x) => x.raw)) expect(c.bytes).toBe(427 * 320 * 3);

    // Without a thumbnail the input comes from the same kind of decode: identical pixels.
    calls.length = 0;
    const bare = await preparePhoto(file, { size: 224, thumbnail: false });
    expect(calls.filter((c) => !c.raw)).toHaveLength(1);
    expect(calls.filter((c) => c.raw)).toHaveLength(1);
    expect(Buffer.from(bare.input).equals(Buffer.from(p.input))).toBe(true);

    // Hashing reads the bytes for the hash and decodes those same bytes: still one decode.
    calls.length = 0;
    const hashed = await preparePhoto(file, { size: 224, thumbnail: false, hash: true });
    expect(calls.filter((c) => !c.raw)).toEqual([{ raw: false, bytes: jpeg.length }]);
    expect(Buffer.from(hashed.input).equals(Buffer.from(p.input))).toBe(true);
  });

  it('decodes a file whose name ends in "[…]" as itself (libvips would read load options there)', async () => {
    const plain = join(dir, 'IMG_1.jpg');
    writeFileSync(
      plain,
      await sharp({ create: { width: 400, height: 300, channels: 3, background: '#ff0000' } })
        .jpeg()
        .toBuffer(),
    );
    for (const name of ['IMG_1.jpg[copy]', 'IMG_1.jpg[shrink=2]', 'holiday[1]']) {
      const file = join(dir, name);
      writeFileSync(
        file,
        await sharp({ create: { width: 640, height: 480, channels: 3, background: '#0000ff' } })
          .jpeg()
          .toBuffer(),
      );
      const p = await preparePhoto(file, { size: 224, thumbnail: false });
      expect([p.width, p.height], name).toEqual([640, 480]);
      expect(p.input[2], name).toBeGreaterThan(200); // blue, not the red neighbour
    }
  });
});
