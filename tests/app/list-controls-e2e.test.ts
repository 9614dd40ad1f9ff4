/**
 * Sort and filter (issue 15), in Chromium against `lenscribe serve`: the grid of a folder the
 * default model captioned, one photo with the user's caption and one broken file; the Show menu
 * narrows the grid to the user's captions, the model's, the waiting or the failed ones and says how
 * many; the Sort menu orders by file name and by date; the choice holds while the folder changes.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoPage, Settings } from '../../src/shared/api-contract.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, requireBuiltRenderer, writeBrokenJpeg } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
let dir: string;
let photos: string;
let names: string[];
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
/** The grid's photo ids, top to bottom (every photo fits on the screen here). */
const gridIds = () => cells().evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-photo-id'))));
const list = (input: object) => callApi<PhotoPage>(serve!, 'photos.list', { limit: 100, ...input });
const shot = (name: string) => shotEverySize(page, SHOTS, name);

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-list-controls-e2e-'));
  photos = join(dir, 'Trip');
  names = copyPhotos(photos, 5, 400);
  // File dates in reverse name order, so "date taken" (the file's date: no EXIF) and "file name" disagree.
  names.forEach((n, i) => {
    const t = new Date(Date.UTC(2023, 5, 10 - i));
    utimesSync(join(photos, n), t, t);
  });
  writeBrokenJpeg(join(photos, 'zz-broken.jpg'), join(photos, names[0]!));
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sort and filter the grid', () => {
  it('adds the folder; the model captions all but the broken file; the user captions one', async () => {
    await page.goto(serve!.url);
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(6);
    await expect.poll(async () => (await list({ status: 'captioned' })).total, { timeout: 90_000 }).toBe(5);
    expect((await list({ status: 'error' })).items.map((p) => p.name)).toEqual(['zz-broken.jpg']);
    const first = (await list({})).items.find((p) => p.name === names[2])!;
    await callApi(serve!, 'captions.set', { photoId: first.id, text: 'Our tent by the lake at dawn' });
    expect(await page.locator('[data-testid=list-sort]').inputValue()).toBe('path');
    expect(await page.locator('[data-testid=list-show]').inputValue()).toBe('all');
  });

  it('Show narrows the grid to the user’s captions, the model’s, or the failed file, and says how many', async () => {
    const show = page.locator('[data-testid=list-show]');
    await show.selectOption('user');
    await expect.poll(() => cells().count()).toBe(1);
    expect(await page.locator('[data-testid=list-filter-count]').textContent()).toMatch(/^1 photo/);
    await shot('30-show-user');
    await show.selectOption('model');
    await expect.poll(() => cells().count()).toBe(4);
    expect(await page.locator('[data-testid=list-filter-count]').textContent()).toMatch(/^4 photos/);
    await show.selectOption('error');
    await expect.poll(() => cells().count()).toBe(1);
    const [broken] = await gridIds();
    expect((await list({ status: 'error' })).items[0]!.id).toBe(broken);
    await show.selectOption('pending');
    await expect.poll(() => page.locator('.empty h2').textContent()).toBe('No photos of this kind here');
    await shot('31-show-nothing');
    await show.selectOption('all');
    await expect.poll(() => cells().count()).toBe(6);
    expect(await page.locator('[data-testid=list-filter-count]').count()).toBe(0);
  });

  it('Sort orders by file name and by date taken, and the order holds with a filter', async () => {
    const sort = page.locator('[data-testid=list-sort]');
    await sort.selectOption('taken');
    const byTaken = (await list({ sort: 'taken' })).items.map((p) => p.id);
    await expect.poll(gridIds).toEqual(byTaken);
    // Newest file first: names[0] has the newest date; the broken file (copied now) is newer still.
    expect((await list({ sort: 'taken' })).items.map((p) => p.name).slice(1)).toEqual(names);
    await shot('32-sort-taken');
    await sort.selectOption('name');
    await expect.poll(gridIds).toEqual((await list({ sort: 'name' })).items.map((p) => p.id));
    await page.locator('[data-testid=list-show]').selectOption('model');
    await expect.poll(gridIds).toEqual((await list({ sort: 'name', captionBy: 'model' })).items.map((p) => p.id));
    expect(await sort.inputValue()).toBe('name');
  });

  it('the choice holds through the dark theme, another view and choosing the folder', async () => {
    await callApi<Settings>(serve!, 'settings.set', { theme: 'dark' });
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shotEverySize(page, SHOTS, '33-sort-filter', { schemes: ['dark'] }); // the theme set to dark, whatever the scheme
    await page.click('[data-testid=nav-settings]');
    await page.click('[data-testid=folder]');
    await expect.poll(() => cells().count()).toBe(4);
    expect(await page.locator('[data-testid=list-show]').inputValue()).toBe('model');
    await page.click('[data-testid=list-show-all]');
    await expect.poll(() => cells().count()).toBe(6);
    await callApi<Settings>(serve!, 'settings.set', { theme: 'light' });
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
