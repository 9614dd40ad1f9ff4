/**
 * Tags in the app (issue 19), in Chromium against `lenscribe serve` on real photos (Flickr8k dogs,
 * a coco-dev bus) captioned by the bundled model (models/default, a COCO detector's encoder): the
 * photo view shows the model's tags, the user adds one and removes one, the sidebar filters the
 * grid by a tag, and after a restart of the server the tags are as the user left them.
 * Searching for a tag is the search's side (tests of `tag:` queries live with the search).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoDetail, PhotoPage } from '../../src/shared/api-contract.js';
import { datasetPath, defaultModelDir } from '../../src/shared/paths.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { datasetImages, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
const COCO = datasetPath('coco-dev', 'images');
const DOGS = ['1001773457_577c3a7d70.jpg', '1012212859_01547e3f17.jpg'];
const BUS = '000000001584.jpg';
const ready = existsSync(join(defaultModelDir, 'model.json')) && existsSync(join(COCO, BUS)) && existsSync(join(datasetImages, DOGS[0]));

let dir: string;
let photos: string;
let library: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const list = () => callApi<PhotoPage>(serve!, 'photos.list', { limit: 100 });
const idOf = async (name: string) => (await list()).items.find((p) => p.name === name)!.id;
const detail = async (name: string) => callApi<PhotoDetail>(serve!, 'photos.get', { id: await idOf(name) });
const chips = () =>
  page.locator('[data-testid=photo-tags] [data-testid=tag-chip]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));
const cells = () => page.locator('[data-testid=grid] [role=gridcell]').count();

async function openPhoto(name: string): Promise<void> {
  const cell = page.locator(`[role=gridcell][data-photo-id="${await idOf(name)}"]`);
  await cell.scrollIntoViewIfNeeded();
  await cell.dblclick();
  await expect.poll(() => page.locator('[data-testid=photo-view] .side-head h2').textContent()).toBe(name);
}

async function closePhoto(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
}

beforeAll(async () => {
  if (!ready) return;
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-tags-e2e-'));
  photos = join(dir, 'Pets and streets');
  mkdirSync(photos);
  for (const f of DOGS) copyFileSync(join(datasetImages, f), join(photos, f));
  copyFileSync(join(COCO, BUS), join(photos, BUS));
  library = join(dir, 'library');
  serve = await startServe(library);
  ({ context, page, problems } = await openBrowser(dir));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('tags, from the app', () => {
  it('shows the model’s tags in the photo view; the user adds one and removes one', async () => {
    await page.goto(serve!.url);
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(cells, { timeout: 30_000 }).toBe(3);
    await expect.poll(async () => (await detail(BUS)).tags.map((t) => t.tag), { timeout: 60_000 }).toContain('bus');
    await openPhoto(BUS);
    await expect.poll(chips).toEqual(expect.arrayContaining(['bus', 'vehicle']));
    // The detector's score and its count of buses (one in front, two behind).
    expect(await page.locator('[data-testid=photo-tags] [data-tag=bus]').getAttribute('title')).toMatch(
      /^the model's \(score 0\.\d\d, 3 seen\)$/,
    );
    expect(await page.locator('[data-testid=photo-tags] [data-tag=bus]').textContent()).toMatch(/^bus ×3/);

    await page.fill('[data-testid=tag-input]', '  red  bus ');
    await page.keyboard.press('Enter');
    await expect.poll(chips).toContain('red bus');
    expect((await chips())[0]).toBe('red bus'); // the user's first
    expect(await page.locator('[data-testid=tag-input]').inputValue()).toBe('');
    expect(await page.locator('[data-testid=photo-tags] [data-tag="red bus"]').getAttribute('title')).toBe('yours');
    // Typing "e" in the tag box is a letter, not the photo view's edit-caption shortcut.
    expect(await page.locator('[data-testid=caption-input]').count()).toBe(0);

    await page.click('[aria-label="Remove tag vehicle"]');
    await expect.poll(chips).not.toContain('vehicle');
    await shot('tags-photo-view');
    const tags = (await detail(BUS)).tags;
    expect(tags.find((t) => t.tag === 'red bus')).toMatchObject({ kind: 'user', source: 'user' });
    expect(tags.some((t) => t.tag === 'vehicle')).toBe(false);

    await closePhoto();
  }, 120_000);

  it('filters the grid by a tag from the sidebar', async () => {
    await expect.poll(() => page.locator('[data-testid=tag-filter-item][data-tag=dog]').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.locator('[data-testid=tag-filter-item][data-tag=dog] .tag-filter-count').textContent()).toBe('2');
    await page.click('[data-testid=tag-filter-item][data-tag=dog]');
    await expect.poll(cells).toBe(2);
    const shown = await page
      .locator('[data-testid=grid] [role=gridcell]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-photo-id')));
    const dogIds = await Promise.all(DOGS.map(async (d) => String(await idOf(d))));
    expect(shown.sort()).toEqual(dogIds.sort());
    await shot('tags-filter');
    await page.click('[data-testid=tag-filter-item][data-tag="red bus"]');
    await expect.poll(cells).toBe(1);
    await page.click('[data-testid=tag-filter-clear]');
    await expect.poll(cells).toBe(3);
  }, 60_000);

  it('keeps the tags as the user left them after a restart', async () => {
    await stopServe(serve);
    serve = await startServe(library);
    await page.goto(serve.url);
    await expect.poll(cells, { timeout: 30_000 }).toBe(3);
    await openPhoto(BUS);
    await expect.poll(chips).toContain('red bus');
    expect(await chips()).toContain('bus');
    expect(await chips()).not.toContain('vehicle');
    await closePhoto();
    expect(problems).toEqual([]);
  }, 90_000);
});
