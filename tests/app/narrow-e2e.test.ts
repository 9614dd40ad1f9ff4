/**
 * Any window size (issue 15), in Chromium against `lenscribe serve`: at 390×844 (a phone through
 * serve) the sidebar is a drawer behind a menu button, the search box stays on screen, choosing a
 * folder closes the drawer, and the photo view shows the photo above its caption; at 800×600 and
 * 1280×800 the sidebar is a column and the menu button is gone. Nothing is wider than the window.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/shared/api-contract.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
let dir: string;
let photos: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
/** Whether the page scrolls sideways: something wider than the window. */
const overflowsSideways = () => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
const inWindow = async (selector: string) => {
  const box = await page.locator(selector).first().boundingBox();
  const { width, height } = page.viewportSize()!;
  return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 1 && box.y + box.height <= height + 1;
};

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-narrow-e2e-'));
  photos = join(dir, 'Phone');
  copyPhotos(photos, 6, 600);
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
  await callApi(serve, 'folders.add', { path: photos });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('any window size', () => {
  it('on a phone: the sidebar waits behind the menu button, the search box and the grid fill the width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(serve!.url);
    // The grid draws the rows on screen (and a few more): 6 photos in 2 columns, at least 4 drawn.
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-testid=menu-button]').isVisible()).toBe(true);
    expect(await page.locator('nav.sidebar').isVisible()).toBe(false);
    expect(await inWindow('[data-testid=search]')).toBe(true);
    expect(await inWindow('[data-testid=list-controls]')).toBe(true);
    expect(await overflowsSideways()).toBe(false);
    // Two columns of thumbnails at least, side by side within the window.
    const [a, b] = await Promise.all([cells().nth(0).boundingBox(), cells().nth(1).boundingBox()]);
    expect(b!.x).toBeGreaterThan(a!.x);
    expect(b!.x + b!.width).toBeLessThanOrEqual(391);
    for (const theme of ['light', 'dark'] as const) {
      await callApi<Settings>(serve!, 'settings.set', { theme });
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
      await page.screenshot({ path: join(SHOTS, `40-narrow-grid-${theme}-390x844.png`) });
    }
    await callApi<Settings>(serve!, 'settings.set', { theme: 'light' });
  });

  it('the menu button opens the drawer; Escape and the backdrop close it; choosing a folder closes it', async () => {
    await page.click('[data-testid=menu-button]');
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(true);
    expect(await page.locator('[data-testid=menu-button]').getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => inWindow('nav.sidebar [data-testid=folder]')).toBe(true);
    await page.screenshot({ path: join(SHOTS, '41-narrow-drawer-390x844.png') });
    await page.locator('nav.sidebar [data-testid=folder]').focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(false);
    await page.click('[data-testid=menu-button]');
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(true);
    await page.mouse.click(385, 400); // the backdrop, right of the drawer
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(false);
    await page.click('[data-testid=menu-button]');
    await page.click('nav.sidebar [data-testid=folder]');
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(false);
    expect(await page.locator('[data-testid=photos-heading]').textContent()).toBe('Phone');
    await page.click('[data-testid=menu-button]');
    await page.click('[data-testid=nav-settings]');
    await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(false);
    await page.waitForSelector('[data-testid=settings]');
    expect(await overflowsSideways()).toBe(false);
    await page.click('[data-testid=menu-button]');
    await page.click('nav.sidebar [data-testid=folder]');
    await expect.poll(() => cells().count()).toBeGreaterThanOrEqual(4);
  });

  it('the photo view shows the photo above its caption, both within the window', async () => {
    await cells().nth(0).dblclick();
    await page.waitForSelector('[data-testid=photo-view]');
    const img = await page.locator('.photo-stage img').first().boundingBox();
    expect(img!.width).toBeGreaterThan(300);
    expect(await overflowsSideways()).toBe(false);
    const side = await page.locator('.photo-side').boundingBox();
    expect(side!.y).toBeGreaterThanOrEqual(img!.y + img!.height - 1);
    await page.screenshot({ path: join(SHOTS, '42-narrow-photo-390x844.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
  });

  it('at 800×600 and 1280×800 the sidebar is a column beside the grid and the menu button is gone', async () => {
    for (const [width, height] of [
      [800, 600],
      [1280, 800],
    ] as const) {
      await page.setViewportSize({ width, height });
      await expect.poll(() => page.locator('nav.sidebar').isVisible()).toBe(true);
      expect(await page.locator('[data-testid=menu-button]').isVisible()).toBe(false);
      const nav = await page.locator('nav.sidebar').boundingBox();
      const grid = await page.locator('[data-testid=grid]').boundingBox();
      expect(grid!.x).toBeGreaterThanOrEqual(nav!.x + nav!.width - 1);
      expect(await overflowsSideways()).toBe(false);
      await page.screenshot({ path: join(SHOTS, `43-grid-${width}x${height}.png`) });
    }
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
