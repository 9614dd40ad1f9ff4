/**
 * Folders in Chromium against `lenscribe serve` (issue 13, items 4, 7 and 8), on real Flickr8k
 * photos: a refused path stays typed and its error toast goes by itself; adding a parent of
 * library folders asks first, then shows them as a subfolder tree whose entries filter the grid;
 * a duplicate says "already in the library"; a cancelled folder says it is paused, its photos say
 * "Caption paused", and Resume captions them. Screenshots go to test-output/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Folder, Job } from '../../src/shared/api-contract.js';
import { defaultModelDir } from '../../src/shared/paths.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const hasModel = existsSync(join(defaultModelDir, 'model.json'));
const SHOTS = resolve('test-output', 'screenshots');

let dir: string;
let ux: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const cells = () => page.locator('[role=gridcell]');
const folders = () => callApi<Folder[]>(serve!, 'folders.list');

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-folders-e2e-'));
  ux = join(dir, 'ux-photos');
  copyPhotos(join(ux, 'Holiday'), 3, 0);
  copyPhotos(join(ux, 'Pets'), 2, 3);
  copyPhotos(join(dir, 'Zoo'), 40, 100);
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('folders in the browser', () => {
  it('keeps a refused path typed, says what to type instead, and the error goes by itself', { timeout: 30_000 }, async () => {
    await page.goto(serve!.url);
    await page.waitForSelector('[data-testid=first-run]');
    await page.fill('#folder-path-large', 'Pictures/2024');
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => page.locator('[data-testid=toast]').textContent()).toContain('Use a full path, e.g. /home/you/Pictures');
    expect(await page.inputValue('#folder-path-large')).toBe('Pictures/2024');
    await shot('folders-01-relative-refused');
    await expect.poll(() => page.locator('[data-testid=toast]').count(), { timeout: 10_000, interval: 250 }).toBe(0);
  });

  it(
    'asks before adding a parent of library folders, then shows them as a subfolder tree that filters the grid',
    { timeout: 30_000 },
    async () => {
      await page.fill('#folder-path-large', join(ux, 'Holiday'));
      await page.click('.first-run [data-testid=add-folder]');
      await expect.poll(() => cells().count(), { timeout: 15_000 }).toBe(3);
      expect(await page.inputValue('#folder-path')).toBe('');
      await callApi(serve!, 'folders.add', { path: join(ux, 'Pets') });

      const asked: string[] = [];
      page.once('dialog', (d) => {
        asked.push(d.message());
        void d.accept();
      });
      await page.fill('#folder-path', ux);
      await page.click('.sidebar [data-testid=add-folder]');
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toBe(
        'ux-photos contains Holiday and Pets, already in the library; they will be shown as subfolders of ux-photos, and their captions are kept.',
      );
      await expect.poll(() => page.locator('[data-testid=folder]').count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => page.locator('[data-testid=subfolder]').allTextContents()).toEqual(['Holiday 3', 'Pets 2']);
      await expect.poll(() => cells().count()).toBe(5);
      await page.locator('[data-testid=subfolder]', { hasText: 'Pets' }).click();
      await expect.poll(() => cells().count()).toBe(2);
      await shotEverySize(page, SHOTS, 'folders-02-subfolder-tree');
      await page.getByRole('button', { name: 'Collapse ux-photos' }).click();
      expect(await page.locator('[data-testid=subfolder]').count()).toBe(0);
      await page.getByRole('button', { name: 'Expand ux-photos' }).click();
      expect(await page.locator('[data-testid=subfolder]').count()).toBe(2);
    },
  );

  it('says a folder is already in the library, keeping the typed path', async () => {
    await page.fill('#folder-path', ux);
    await page.click('.sidebar [data-testid=add-folder]');
    await expect.poll(() => page.locator('[data-testid=toast]').textContent()).toBe(`${ux} is already in the library.✕`);
    expect(await page.inputValue('#folder-path')).toBe(ux);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.locator('[data-testid=toast]').count()).toBe(0);
  });

  it(
    'after Cancel, the folder says it is paused, its photos say "Caption paused", and Resume captions them',
    { skip: !hasModel, timeout: 180_000 },
    async () => {
      const added = await callApi<{ jobId: number | null }>(serve!, 'folders.add', { path: join(dir, 'Zoo') });
      const jobs = added.jobId ? [{ id: added.jobId, status: 'queued' }] : await callApi<Job[]>(serve!, 'jobs.list');
      for (const j of jobs) if (j.status === 'queued' || j.status === 'running') await callApi(serve!, 'jobs.cancel', { id: j.id });
      const zoo = page.locator('.folder-item', { hasText: 'Zoo' });
      await expect.poll(() => zoo.locator('.status').textContent(), { timeout: 30_000 }).toBe('Paused');
      await expect.poll(async () => (await zoo.locator('[data-testid=folder-waiting]').textContent()) ?? '').toMatch(/^ — \d+ waiting$/);
      await zoo.locator('[data-testid=folder]').click();
      await expect.poll(() => page.locator('[data-testid=cell-caption]', { hasText: 'Caption paused' }).count()).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=cell-caption]', { hasText: 'Waiting for a caption' }).count()).toBe(0);
      // The photo view says so too.
      await page.locator('[data-testid=cell-caption]', { hasText: 'Caption paused' }).first().dblclick();
      await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toMatch(/^Caption paused/);
      await shot('folders-03-paused');
      await page.keyboard.press('Escape');
      await zoo.locator('[data-testid=folder-resume]').click();
      await expect.poll(() => zoo.locator('.status').textContent(), { timeout: 30_000 }).toMatch(/Captioning|Ready/);
      const pending = async () => (await folders()).find((f) => f.path.endsWith('Zoo'))!.pendingCount;
      await expect.poll(pending, { timeout: 150_000, interval: 1000 }).toBe(0);
      await expect.poll(() => zoo.locator('.status').textContent(), { timeout: 10_000 }).toBe('Ready');
      await shot('folders-04-resumed');
    },
  );

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
