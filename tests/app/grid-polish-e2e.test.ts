/**
 * Grid polish (issue 15), in Chromium against `lenscribe serve`, on real photos: the first-run
 * screen has one add-folder form; captions fill the grid where the user looks first (scrolled to
 * the bottom while captioning, the bottom rows are captioned before the middle ones); a photo
 * showing the user's caption carries a "Yours" marker; a portrait photo is shown whole, not cut to
 * a strip; the thumbnail size setting changes how many columns there are, and holds after a reload.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, PhotoPage } from '../../src/shared/api-contract.js';
import { expectAxeClean } from './axe.js';
import { addFirstFolder, callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, datasetImages, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
const COUNT = 40;
let dir: string;
let photos: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
const list = (input: object = {}) => callApi<PhotoPage>(serve!, 'photos.list', { limit: 100, ...input });
/** Cells in the grid's first row. */
const columns = () =>
  cells().evaluateAll((els) => {
    const top = els[0]?.getBoundingClientRect().top;
    return els.filter((e) => Math.abs(e.getBoundingClientRect().top - top!) < 2).length;
  });

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-grid-polish-e2e-'));
  photos = join(dir, 'Many');
  const names = copyPhotos(photos, COUNT - 1, 900);
  // A portrait photo (the dataset's are square): two real photos one above the other, 224 × 448, first in folder order.
  await sharp({ create: { width: 224, height: 448, channels: 3, background: '#000' } })
    .composite([
      { input: join(datasetImages, names[0]!), top: 0, left: 0 },
      { input: join(datasetImages, names[1]!), top: 224, left: 0 },
    ])
    .jpeg()
    .toFile(join(photos, '000-portrait.jpg'));
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
  await page.setViewportSize({ width: 800, height: 600 });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('grid polish', () => {
  it('the first-run screen has one add-folder form', async () => {
    await page.goto(serve!.url);
    await page.waitForSelector('[data-testid=first-run]');
    expect(await page.locator('[data-testid=add-folder]').count()).toBe(1);
    await expectAxeClean(page, 'first run with one form');
  });

  it('captions what is on screen first: scrolled to the bottom, the bottom rows before the middle', async () => {
    await addFirstFolder(page, photos);
    await expect.poll(() => list().then((l) => l.total), { timeout: 30_000 }).toBe(COUNT);
    // Held while the user scrolls (a batch may be under way: it finishes), so the order is not a race with the scroll.
    await expect.poll(() => callApi<Job[]>(serve!, 'jobs.list').then((j) => j.length), { timeout: 30_000 }).toBe(1);
    const [job] = await callApi<Job[]>(serve!, 'jobs.list');
    await callApi(serve!, 'jobs.pause', { id: job!.id });
    await page.locator('[role=grid]').focus();
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/jobs.captionFirst'));
    await page.keyboard.press('End'); // to the last photo
    await asked;
    await callApi(serve!, 'jobs.resume', { id: job!.id });
    const ids = (await list()).items.map((p) => p.id);
    const bottom = ids.slice(-4);
    const middle = ids.slice(18, 22); // far from the screen, and past a first batch (16)
    const status = async (which: number[]) => {
      const byId = new Map((await list()).items.map((p) => [p.id, p.status]));
      return which.map((id) => byId.get(id));
    };
    await expect
      .poll(() => status(bottom), { timeout: 90_000, interval: 100 })
      .toEqual(['captioned', 'captioned', 'captioned', 'captioned']);
    expect(await status(middle)).toContain('pending');
    await expect.poll(() => list({ status: 'pending' }).then((l) => l.total), { timeout: 90_000 }).toBe(0);
  });

  it('marks a photo that shows the user’s caption', async () => {
    const first = (await list()).items[1]!;
    await callApi(serve!, 'captions.set', { photoId: first.id, text: 'Our kitchen, before the paint' });
    await page.keyboard.press('Home');
    await expect.poll(() => page.locator('#cell-1 [data-testid=badge-yours]').count()).toBe(1);
    expect(await page.textContent('#cell-1 [data-testid=badge-yours]')).toBe('Yours');
    expect(await page.locator('[data-testid=badge-yours]').count()).toBe(1);
  });

  it('shows a portrait photo whole, not cut to a strip', async () => {
    const img = page.locator('#cell-0 img');
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
    const fit = await img.evaluate((el: HTMLImageElement) => ({
      objectFit: getComputedStyle(el).objectFit,
      portrait: el.naturalHeight > el.naturalWidth,
    }));
    expect(fit).toMatchObject({ objectFit: 'contain', portrait: true });
    await shotEverySize(page, SHOTS, 'grid-polish-portrait');
    // The toolbar wraps rather than pushing the page sideways at 800 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });

  it('the thumbnail size changes the columns, and holds after a reload', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(columns).toBeGreaterThan(3); // the grid has laid out for the wider window
    const medium = await columns();
    await page.selectOption('[data-testid=thumbnail-size]', 'large');
    await expect.poll(columns).toBeLessThan(medium);
    const large = await columns();
    await page.selectOption('[data-testid=thumbnail-size]', 'small');
    await expect.poll(columns).toBeGreaterThan(medium);
    await page.reload();
    await page.waitForSelector('[role=grid] [role=gridcell]');
    expect(await page.inputValue('[data-testid=thumbnail-size]')).toBe('small');
    expect(await columns()).toBeGreaterThan(large);
    await shotEverySize(page, SHOTS, 'grid-polish-small');
    await page.selectOption('[data-testid=thumbnail-size]', 'medium');
    expect(problems).toEqual([]);
  });
});
