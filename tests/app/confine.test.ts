import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfinementError, decodeSegments, resolveConfined, resolveUrlPathInRoot } from '../../src/main/api/confine.js';
import { resolveMedia } from '../../src/main/api/media.js';

let dir: string;
let root: string;
let thumbs: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-confine-'));
  root = join(dir, 'photos');
  thumbs = join(dir, 'thumbs');
  mkdirSync(join(root, 'sub dir'), { recursive: true });
  mkdirSync(thumbs);
  writeFileSync(join(root, 'a.jpg'), 'A');
  writeFileSync(join(root, 'sub dir', 'b c%.jpg'), 'B');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  writeFileSync(join(thumbs, 't1.webp'), 'T');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'escape.jpg'));
  symlinkSync(dir, join(root, 'uplink'));
  symlinkSync(join(root, 'a.jpg'), join(root, 'inside-link.jpg'));
  mkdirSync(join(dir, 'photos-evil'));
  writeFileSync(join(dir, 'photos-evil', 'x.jpg'), 'X');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refused(p: Promise<unknown>, status?: number): Promise<ConfinementError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfinementError);
  if (status) expect((err as ConfinementError).status).toBe(status);
  return err as ConfinementError;
}

describe('path confinement', () => {
  it('serves files inside the root, decoding each segment once', async () => {
    expect(await resolveUrlPathInRoot(root, 'a.jpg')).toBe(join(root, 'a.jpg'));
    expect(await resolveUrlPathInRoot(root, 'sub%20dir/b%20c%25.jpg')).toBe(join(root, 'sub dir', 'b c%.jpg'));
    // A link that stays inside the root is fine (resolved to its real target).
    expect(await resolveUrlPathInRoot(root, 'inside-link.jpg')).toBe(join(root, 'a.jpg'));
  });

  it('refuses plain and encoded traversal', async () => {
    for (const tail of [
      '../secret.txt',
      'sub%20dir/../../secret.txt',
      '%2e%2e/secret.txt',
      '%2E%2E%2Fsecret.txt',
      '..%2fsecret.txt',
      '..%5csecret.txt',
      'a.jpg/..',
      './a.jpg',
      'sub%20dir//b.jpg',
      '%2fetc%2fpasswd',
    ]) {
      await refused(resolveUrlPathInRoot(root, tail), 400);
    }
  });

  it('never decodes twice: %252e%252e is a literal file name, not ..', async () => {
    expect(decodeSegments('%252e%252e')).toEqual(['%2e%2e']);
    await refused(resolveUrlPathInRoot(root, '%252e%252e/secret.txt'), 404);
  });

  it('refuses NUL, backslashes, drive letters and malformed escapes', async () => {
    for (const tail of ['a.jpg%00.png', 'sub%20dir%5Cb.jpg', 'C:%5Cwindows', 'c:', '%E0%A4%A', '%']) {
      await refused(resolveUrlPathInRoot(root, tail), 400);
    }
  });

  it('refuses symlinks that lead out of the root', async () => {
    await refused(resolveUrlPathInRoot(root, 'escape.jpg'), 403);
    await refused(resolveUrlPathInRoot(root, 'uplink/secret.txt'), 403);
  });

  it('refuses sibling folders that share the root as a prefix, directories and absent files', async () => {
    await refused(resolveConfined(root, ['..', 'photos-evil', 'x.jpg']), 400);
    await refused(resolveUrlPathInRoot(root, 'sub%20dir'), 404);
    await refused(resolveUrlPathInRoot(root, 'nope.jpg'), 404);
    await refused(resolveConfined('relative/root', ['a.jpg']), 400);
  });

  it('routes media and thumbnails to their own roots only', async () => {
    // The index holds a.jpg and the link escape.jpg (a file swapped for a link after scanning), and thumbnail t1.webp.
    const indexed = new Set([join(root, 'a.jpg'), join(root, 'escape.jpg')]);
    const roots = {
      folderRoot: (id: number) => (id === 1 ? root : null),
      thumbsDir: () => thumbs,
      hasPhoto: (id: number, path: string) => id === 1 && indexed.has(path),
      hasThumbnail: (name: string) => name === 't1.webp',
    };
    expect(await resolveMedia(roots, 'media/1/a.jpg')).toBe(join(root, 'a.jpg'));
    expect(await resolveMedia(roots, 'thumbs/t1.webp')).toBe(join(thumbs, 't1.webp'));
    await refused(resolveMedia(roots, 'media/2/a.jpg'), 404);
    await refused(resolveMedia(roots, 'media/01/a.jpg'), 400);
    await refused(resolveMedia(roots, 'media/1e3/a.jpg'), 400);
    await refused(resolveMedia(roots, 'thumbs/..%2Fphotos%2Fa.jpg'), 400);
    await refused(resolveMedia(roots, 'thumbs/sub/t1.webp'), 400);
    await refused(resolveMedia(roots, 'media/1/..%2F..%2Fsecret.txt'), 400);
    await refused(resolveMedia(roots, 'etc/passwd'), 404);
    await refused(resolveMedia(roots, 'media/1/escape.jpg'), 403);
    await refused(resolveMedia(roots, 'media/1/sub%20dir/b%20c%25.jpg'), 404);
  });
});
