/**
 * The timeline above the grid (issue 15, "a date range with a simple timeline scrubber"), in
 * Chromium against `lenscribe serve`: photos taken in three months (their files' dates: Flickr8k
 * photos carry no EXIF) show as six bars, the empty months between them too; a click keeps the grid to one month, Shift-click and a
 * drag to a range, the keyboard does the same, a search keeps to the range, and "All dates" ends it.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAxeClean } from './axe.js';
import { addFirstFolder, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
let dir: string;
let photos: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
const bar = (month: string) => page.locator(`.timeline-bar[data-month="${month}"]`);
const inRange = () => page.locator('.timeline-bar.in-range').evaluateAll((els) => els.map((e) => e.getAttribute('data-month')));
const rangeText = () => page.textContent('[data-testid=timeline-range]');

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-timeline-e2e-'));
  photos = join(dir, 'Year');
  const names = copyPhotos(photos, 6, 800);
  // Two in March 2023, one in May, three in August.
  const days = ['2023-03-02', '2023-03-20', '2023-05-11', '2023-08-01', '2023-08-15', '2023-08-30'];
  names.forEach((n, i) => {
    const t = new Date(`${days[i]}T12:00:00Z`);
    utimesSync(join(photos, n), t, t);
  });
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
  await page.setViewportSize({ width: 1280, height: 800 });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the timeline', () => {
  it('shows a bar per month from the first photo’s to the last’s, each saying how many', async () => {
    await page.goto(serve!.url);
    await addFirstFolder(page, photos, 6);
    await page.waitForSelector('[data-testid=timeline]');
    expect(await page.locator('.timeline-bar').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).toEqual([
      'Mar 2023: 2 photos',
      'Apr 2023: no photos', // a gap in time shows as one
      'May 2023: 1 photo',
      'Jun 2023: no photos',
      'Jul 2023: no photos',
      'Aug 2023: 3 photos',
    ]);
    await expectAxeClean(page, 'grid with the timeline');
  });

  it('a click keeps the grid to that month; Shift-click and a drag make a range; All dates ends it', async () => {
    await bar('2023-08').click();
    await expect.poll(() => cells().count()).toBe(3);
    expect(await inRange()).toEqual(['2023-08']);
    expect(await rangeText()).toContain('Taken Aug 2023 · 3 photos');
    await bar('2023-05').click({ modifiers: ['Shift'] });
    await expect.poll(() => cells().count()).toBe(4);
    expect(await rangeText()).toContain('Taken May 2023 – Aug 2023 · 4 photos');
    await shotEverySize(page, SHOTS, 'timeline-range');
    // A drag from March to May.
    const a = (await bar('2023-03').boundingBox())!;
    const b = (await bar('2023-05').boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height - 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height - 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(inRange).toEqual(['2023-03', '2023-04', '2023-05']);
    await expect.poll(() => cells().count()).toBe(3);
    await page.click('[data-testid=timeline-clear]');
    await expect.poll(() => cells().count()).toBe(6);
    expect(await page.locator('[data-testid=timeline-range]').count()).toBe(0);
  });

  it('works from the keyboard, and a search keeps to the range', async () => {
    await bar('2023-03').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => cells().count()).toBe(2);
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await expect.poll(inRange).toEqual(['2023-03', '2023-04', '2023-05']);
    await expect.poll(() => cells().count()).toBe(3);
    // Search within the range: only the range's photos can match; the note says the range holds.
    // Every file name ends in .jpg, so everywhere this search finds all six.
    await page.fill('[data-testid=search]', 'jpg');
    await page.waitForSelector('[data-testid=timeline-range]');
    await expect.poll(async () => cells().count()).toBe(3);
    expect(await rangeText()).toContain('Taken Mar 2023 – May 2023');
    await page.click('[data-testid=timeline-clear]');
    await page.fill('[data-testid=search]', '');
    await expect.poll(() => cells().count()).toBe(6);
    await bar('2023-08').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => cells().count()).toBe(3);
    await page.keyboard.press('Escape');
    await expect.poll(() => cells().count()).toBe(6);
    expect(problems).toEqual([]);
  });
});
