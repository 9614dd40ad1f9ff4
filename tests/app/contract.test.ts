import { describe, expect, it } from 'vitest';
import { ApiError, apiMethods, isApiMethod, parseInput } from '../../src/shared/api-contract.js';

describe('API contract validation', () => {
  it('knows its methods and nothing else', () => {
    expect(apiMethods).toContain('photos.list');
    expect(apiMethods).toContain('captions.set');
    expect(isApiMethod('search')).toBe(true);
    for (const bad of ['constructor', '__proto__', 'toString', 'photos', 'photos.list ', '', 42, null])
      expect(isApiMethod(bad)).toBe(false);
  });

  it('fills defaults for paged listing and bounds them', () => {
    expect(parseInput('photos.list', {})).toEqual({ sort: 'path', offset: 0, limit: 200 });
    expect(parseInput('photos.list', { folderId: 3, offset: 600, limit: 300 })).toMatchObject({ folderId: 3, offset: 600, limit: 300 });
    expect(() => parseInput('photos.list', { limit: 100_000 })).toThrow(ApiError);
    expect(() => parseInput('photos.list', { offset: -1 })).toThrow(/offset/);
    expect(() => parseInput('photos.list', { folderId: 1.5 })).toThrow(/folderId/);
  });

  it('accepts a missing or null input for calls without parameters', () => {
    expect(parseInput('folders.list', undefined)).toEqual({});
    expect(parseInput('folders.list', null)).toEqual({});
    expect(() => parseInput('folders.list', { extra: 1 })).toThrow(ApiError);
  });

  it('refuses unknown keys, wrong types and bad ids', () => {
    for (const bad of [{ id: 0 }, { id: -3 }, { id: '7' }, { id: 2 ** 60 }, { id: 1, sneaky: true }, 'x', [1]]) {
      expect(() => parseInput('photos.get', bad)).toThrow(ApiError);
    }
    try {
      parseInput('photos.get', { id: 'seven' });
      expect.unreachable();
    } catch (err) {
      const e = err as ApiError;
      expect(e.code).toBe('invalid_input');
      expect(e.issues?.[0]?.path).toBe('id');
    }
  });

  it('normalises caption text and refuses empty or overlong captions', () => {
    expect(parseInput('captions.set', { photoId: 1, text: '  a dog\n runs   fast ' })).toEqual({ photoId: 1, text: 'a dog runs fast' });
    expect(() => parseInput('captions.set', { photoId: 1, text: '   ' })).toThrow(/empty/);
    expect(() => parseInput('captions.set', { photoId: 1, text: 'x'.repeat(501) })).toThrow(/500/);
    expect(() => parseInput('captions.set', { photoId: 1 })).toThrow(ApiError);
  });

  it('takes any search string up to the limit, and validates dates', () => {
    for (const q of ['"unbalanced', 'NEAR(a b)', '-x', 'a:b', '(((', '*', '']) {
      expect(parseInput('search', { query: q }).query).toBe(q);
    }
    expect(() => parseInput('search', { query: 'x'.repeat(501) })).toThrow(ApiError);
    expect(parseInput('search', { query: 'dog', from: '2020-01-31' }).from).toBe('2020-01-31');
    expect(() => parseInput('search', { query: 'dog', from: '2020-13-01' })).toThrow(ApiError);
  });

  it('refuses folder paths with NUL bytes', () => {
    expect(() => parseInput('folders.add', { path: '/tmp/a\0b' })).toThrow(/NUL/);
    expect(() => parseInput('folders.add', { path: '' })).toThrow(ApiError);
    expect(parseInput('folders.add', { path: '/home/me/Pictures' })).toEqual({ path: '/home/me/Pictures' });
  });

  it('validates settings patches', () => {
    expect(parseInput('settings.set', { theme: 'dark' })).toEqual({ theme: 'dark' });
    expect(() => parseInput('settings.set', { theme: 'pink' })).toThrow(ApiError);
    expect(() => parseInput('settings.set', { beamWidth: 50 })).toThrow(ApiError);
  });

  it('round-trips errors through their wire form', () => {
    const e = new ApiError('not_found', 'No photo 9.', [{ path: 'id', message: 'gone' }]);
    const back = ApiError.fromBody(JSON.parse(JSON.stringify(e.toBody())));
    expect(back).toBeInstanceOf(ApiError);
    expect(back.code).toBe('not_found');
    expect(back.message).toBe('No photo 9.');
    expect(back.issues).toEqual([{ path: 'id', message: 'gone' }]);
  });

  it('validates the teaching calls', () => {
    expect(apiMethods).toEqual(
      expect.arrayContaining([
        'teach.status',
        'teach.start',
        'teach.cancel',
        'teach.resume',
        'teach.discard',
        'teach.activate',
        'models.rollback',
      ]),
    );
    expect(parseInput('teach.status', undefined)).toEqual({ limit: 200 });
    expect(parseInput('teach.status', { limit: 0 })).toEqual({ limit: 0 });
    expect(() => parseInput('teach.status', { limit: 5000 })).toThrow(ApiError);
    expect(parseInput('teach.start', undefined)).toEqual({});
    expect(parseInput('teach.start', { epochs: 5 })).toEqual({ epochs: 5 });
    for (const bad of [{ epochs: 0 }, { epochs: 2.5 }, { epochs: 1000 }, { epochs: '5' }, { epochs: 5, learningRate: 1 }]) {
      expect(() => parseInput('teach.start', bad), JSON.stringify(bad)).toThrow(ApiError);
    }
    for (const m of ['teach.cancel', 'teach.resume', 'teach.discard', 'teach.activate', 'models.rollback'] as const) {
      expect(parseInput(m, null)).toEqual({});
      expect(() => parseInput(m, { id: 1 })).toThrow(ApiError);
    }
  });

  it('validates the metadata settings and calls: nothing is written unless chosen', () => {
    expect(parseInput('settings.set', { metadataWrite: 'xmp', metadataOnly: 'all', metadataKeepMtime: true })).toEqual({
      metadataWrite: 'xmp',
      metadataOnly: 'all',
      metadataKeepMtime: true,
    });
    for (const bad of [
      { metadataWrite: 'xmp-sidecar' },
      { metadataWrite: true },
      { metadataOnly: 'model' },
      { metadataKeepMtime: 'yes' },
    ]) {
      expect(() => parseInput('settings.set', bad), JSON.stringify(bad)).toThrow(ApiError);
    }
    expect(parseInput('metadata.import', undefined)).toEqual({});
    expect(parseInput('metadata.export', undefined)).toEqual({});
    expect(parseInput('metadata.export', { format: 'txt', only: 'model' })).toEqual({ format: 'txt', only: 'model' });
    expect(() => parseInput('metadata.export', { format: 'csv' })).toThrow(ApiError);
    expect(() => parseInput('metadata.export', { format: 'xmp', paths: ['/etc/passwd'] })).toThrow(ApiError);
  });
});
