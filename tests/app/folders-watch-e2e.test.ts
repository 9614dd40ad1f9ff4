/**
 * How a folder is watched, in Chromium against `lenscribe serve` (issue 17): with the watch budget
 * lowered (LENSCRIBE_WATCH_MAX_DIRS=2 for the serve process), a flat folder of real Flickr8k photos
 * is watched (one directory) and shows nothing; a folder of two subfolders does not fit and is
 * rescanned instead, which its sidebar entry says ("Rescanned every 5 min") with the reason in its
 * tooltip and its accessible description. No caption model (an empty models folder): only the
 * folder list matters here, and captioning would only slow the test down.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchNote } from '../../src/renderer/components/FolderWatchNote.js';
import type { Folder } from '../../src/shared/api-contract.js';
import { callApi, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
const REASON = 'it holds more folders than the limit of 2 watched folders allows';

let dir: string;
let flat: string;
let trips: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const entry = (name: string) => page.locator('.folder-item', { has: page.locator('[data-testid=folder]', { hasText: name }) });
const watchOf = async (path: string) => (await callApi<Folder[]>(serve!, 'folders.list')).find((f) => f.path === path)?.watch;

/** The folder's name typed into the sidebar's add box, added, and listed. */
async function addFolder(path: string, name: string, first: boolean): Promise<void> {
  await page.fill(first ? '#folder-path-large' : '#folder-path', path);
  await page.click(`${first ? '.first-run' : '.sidebar'} [data-testid=add-folder]`);
  await expect.poll(() => entry(name).count(), { timeout: 20_000 }).toBe(1);
  await expect.poll(() => entry(name).locator('.status').textContent(), { timeout: 20_000 }).toBe('Ready');
}

beforeAll(async () => {
  requireBuiltRenderer();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-watch-e2e-'));
  flat = join(dir, 'Garden');
  copyPhotos(flat, 2, 200);
  trips = join(dir, 'Trips');
  copyPhotos(join(trips, 'Lake'), 1, 202);
  copyPhotos(join(trips, 'Hills'), 1, 203);
  mkdirSync(join(dir, 'no-models'));
  serve = await startServe(
    join(dir, 'library'),
    { LENSCRIBE_WATCH_MAX_DIRS: '2', LENSCRIBE_MODELS: join(dir, 'no-models') },
    { watch: true },
  );
  ({ context, page, problems } = await openBrowser(dir));
}, 60_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('how folders are watched, in the browser', () => {
  it('shows nothing for a watched folder', { timeout: 40_000 }, async () => {
    await page.goto(serve!.url);
    await addFolder(flat, 'Garden', true);
    expect(await watchOf(flat)).toEqual({ mode: 'events', reason: null, rescanEveryMs: null });
    expect(await entry('Garden').locator('[data-testid=folder-watch]').count()).toBe(0);
    expect(await entry('Garden').locator('[data-testid=folder]').getAttribute('aria-describedby')).toBeNull();
  });

  it(
    'says a folder over the watch limit is rescanned every 5 min, with the reason in its tooltip and description',
    { timeout: 40_000 },
    async () => {
      await addFolder(trips, 'Trips', false);
      // The fallback's notice reads as a warning (a status, bordered as notices are), not as an error.
      const toast = page.locator('[data-testid=toast]', { hasText: 'rescanned every 5 min instead' });
      await expect.poll(() => toast.count(), { timeout: 5_000 }).toBe(1);
      expect(await toast.getAttribute('class')).toContain('toast-warning');
      expect(await toast.getAttribute('role')).toBe('status');
      expect(await watchOf(trips)).toEqual({ mode: 'rescans', reason: REASON, rescanEveryMs: 300_000 });
      const note = entry('Trips').locator('[data-testid=folder-watch]');
      await expect.poll(() => note.isVisible(), { timeout: 10_000 }).toBe(true);
      // What is shown is short; the reason is in the tooltip and in the text screen readers get.
      const full = `Rescanned every 5 min, not watched for changes: ${REASON}. Changes on disk show up at the next rescan.`;
      expect(await note.textContent()).toBe(full);
      const hidden = (await note.locator('.visually-hidden').boundingBox())!;
      expect(hidden.width * hidden.height).toBeLessThanOrEqual(1);
      expect(await note.evaluate((e) => e.firstChild?.textContent)).toBe('Rescanned every 5 min');
      expect(await note.getAttribute('title')).toBe(full);
      const button = entry('Trips').locator('[data-testid=folder]');
      const description = await button.evaluate((b) =>
        (b.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
      expect(description).toBe(full);
      // The note is one quiet line inside the sidebar, in the muted colour of the counts.
      const [noteColour, countsColour] = await Promise.all([
        note.evaluate((e) => getComputedStyle(e).color),
        entry('Trips')
          .locator('.folder-counts')
          .evaluate((e) => getComputedStyle(e).color),
      ]);
      expect(noteColour).toBe(countsColour);
      const box = (await note.boundingBox())!;
      const sidebar = (await page.locator('.sidebar').boundingBox())!;
      expect(box.height).toBeLessThan(30); // one line (two would be ~40 px)
      expect(box.x + box.width).toBeLessThanOrEqual(sidebar.x + sidebar.width);
      // The watched folder still shows nothing.
      expect(await entry('Garden').locator('[data-testid=folder-watch]').count()).toBe(0);

      await page.screenshot({ path: join(SHOTS, 'folders-watch-01-rescanned.png') });
    },
  );

  it('has a note only for rescans, their interval as the CLI writes it', () => {
    expect(watchNote({ mode: 'events', reason: null, rescanEveryMs: null })).toBeNull();
    expect(watchNote({ mode: 'off', reason: 'nothing is watching the library now', rescanEveryMs: null })).toBeNull();
    expect(watchNote(undefined)).toBeNull();
    expect(watchNote({ mode: 'rescans', reason: 'the system ran out of file watches', rescanEveryMs: 1500 })).toEqual({
      short: 'Rescanned every 1.5 s',
      why: 'not watched for changes: the system ran out of file watches. Changes on disk show up at the next rescan.',
    });
    expect(watchNote({ mode: 'rescans', reason: null, rescanEveryMs: 3_600_000 })?.short).toBe('Rescanned every 60 min');
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
