/**
 * State in the URL (issue 15), in Chromium against `lenscribe serve`: the view, folder, search and
 * open photo live in the hash, so a reload keeps the search, Back closes the photo (and Forward opens
 * it again), typing a search does not fill the history, and a link opens the same photo.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Folder, PhotoPage } from '../../src/shared/api-contract.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

let dir: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];
let folderId: number;

const SHOTS = resolve('test-output', 'screenshots');
const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
const hash = () => page.evaluate(() => window.location.hash);
const historyLength = () => page.evaluate(() => window.history.length);
const viewerOpen = () => page.locator('[data-testid=photo-view]').count();

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-url-e2e-'));
  const photos = join(dir, 'Beach');
  copyPhotos(photos, 6, 700);
  serve = await startServe(join(dir, 'library'));
  await callApi(serve, 'folders.add', { path: photos });
  folderId = (await callApi<Folder[]>(serve, 'folders.list'))[0]!.id;
  // Captioned before the browser looks (outside a test: no expect.poll here).
  for (let t = Date.now(); (await callApi<PhotoPage>(serve, 'photos.list', { status: 'captioned' })).total < 6;) {
    if (Date.now() - t > 90_000) throw new Error('the photos were not captioned within 90 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  ({ context, page, problems } = await openBrowser(dir));
}, 180_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('state in the URL', () => {
  it('a search goes into the address without a history entry per key, and a reload keeps it', async () => {
    await page.goto(serve!.url);
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(6);
    expect(await hash()).toBe('#/photos');
    const before = await historyLength();
    await page.locator('[data-testid=search]').pressSequentially('dog', { delay: 30 });
    await expect.poll(hash).toBe('#/photos?q=dog');
    expect(await historyLength()).toBe(before);
    await page.reload();
    await expect.poll(() => page.locator('[data-testid=search]').inputValue()).toBe('dog');
    await expect.poll(() => page.locator('[data-testid=photos-heading]').textContent()).toMatch(/^Search results for “dog”/);
    await page.locator('[data-testid=search]').fill('');
    await expect.poll(hash).toBe('#/photos');
  });

  it('Back closes the photo and Forward opens it again; the folder is in the address too', async () => {
    await page.click('[data-testid=folder]');
    await expect.poll(hash).toBe(`#/photos?folder=${folderId}`);
    const id = Number(await cells().nth(1).getAttribute('data-photo-id'));
    await cells().nth(1).dblclick();
    await page.waitForSelector('[data-testid=photo-view]');
    await expect.poll(hash).toBe(`#/photos?folder=${folderId}&photo=${id}`);
    await page.goBack();
    await expect.poll(viewerOpen).toBe(0);
    expect(await hash()).toBe(`#/photos?folder=${folderId}`);
    await page.goForward();
    await expect.poll(viewerOpen).toBe(1);
    await expect
      .poll(() => page.locator('[data-testid=photo-view] h2').first().textContent())
      .toBe((await callApi<{ name: string }>(serve!, 'photos.get', { id })).name);
    await shotEverySize(page, SHOTS, 'url-state-photo-linked');
    await page.keyboard.press('Escape');
    await expect.poll(viewerOpen).toBe(0);
    await expect.poll(hash).toBe(`#/photos?folder=${folderId}`);
  });

  it('views are steps of the history: Teach, then Back to the folder', async () => {
    await page.click('[data-testid=nav-teach]');
    await expect.poll(hash).toBe('#/teach');
    await page.goBack();
    await expect.poll(hash).toBe(`#/photos?folder=${folderId}`);
    await expect.poll(() => page.locator('[data-testid=photos-heading]').textContent()).toBe('Beach');
  });

  it('a link to a photo opens it, in a new tab too; a link that makes no sense opens the photos', async () => {
    const { items } = await callApi<PhotoPage>(serve!, 'photos.list', { limit: 10 });
    const target = items[4]!;
    const tab = await context.newPage();
    await tab.goto(`${serve!.origin}/#/photos?folder=${folderId}&photo=${target.id}`);
    await tab.waitForSelector('[data-testid=photo-view]');
    await expect.poll(() => tab.locator('[data-testid=photo-view] h2').first().textContent()).toBe(target.name);
    await tab.goto(`${serve!.origin}/#/nonsense?folder=abc&photo=-1`);
    await expect.poll(() => tab.locator('[data-testid=grid] [role=gridcell]').count(), { timeout: 15_000 }).toBe(6);
    expect(await tab.locator('[data-testid=photo-view]').count()).toBe(0);
    await tab.close();
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
