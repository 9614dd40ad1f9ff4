/**
 * The photo view keeps faith with the user (issue 13, items 3, 5 and 6), in Chromium against a
 * watching `lenscribe serve` on real Flickr8k photos: a file arriving in the folder while a
 * caption is typed leaves the editor, the photo and the text alone; a photo deleted while open
 * says so and keeps the text; imported descriptions say where they came from; a picked
 * alternative is marked as the model's, can be undone, and history entries can be restored.
 * Captioning uses the bundled model (models/default).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoDetail, PhotoPage } from '../../src/shared/api-contract.js';
import { endExiftool } from '../../src/main/metadata/exiftool.js';
import { exiftoolCli } from '../metadata/helpers.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { copyPhotos, datasetImages, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
const TYPED = 'Grandpa feeding the ducks, still typing';
let dir: string;
let photos: string;
let names: string[];
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const list = () => callApi<PhotoPage>(serve!, 'photos.list', { limit: 100 });
const detail = (id: number) => callApi<PhotoDetail>(serve!, 'photos.get', { id });
const idOf = async (name: string) => (await list()).items.find((p) => p.name === name)!.id;
const viewerName = () => page.locator('[data-testid=photo-view] .side-head h2').textContent();
const sourceTag = () => page.locator('[data-testid=caption-source]').textContent();
const shownCaption = () => page.locator('[data-testid=photo-caption]').textContent();

async function openPhoto(name: string): Promise<void> {
  const cell = page.locator(`[role=gridcell][data-photo-id="${await idOf(name)}"]`);
  await cell.scrollIntoViewIfNeeded();
  await cell.dblclick();
  await expect.poll(viewerName).toBe(name);
}

async function closePhoto(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
}

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-viewer-e2e-'));
  photos = join(dir, 'Family');
  names = copyPhotos(photos, 4, 300);
  // What other programs left: a digiKam sidecar (digiKam's own XMP namespace) and an IPTC caption in the file.
  exiftoolCli(['-XMP-dc:Description=Grandma at the lake', '-XMP-digiKam:TagsList=Family', join(photos, `${names[0]}.xmp`)]);
  exiftoolCli(['-overwrite_original', '-IPTC:Caption-Abstract=Harbour in Porto', join(photos, names[1])]);
  serve = await startServe(join(dir, 'library'), {}, { watch: true });
  ({ context, page, problems } = await openBrowser(dir));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  await endExiftool();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the photo view, from the app', () => {
  it('adds the folder; imported descriptions say where they came from, not "by the model"', async () => {
    await page.goto(serve!.url);
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => page.locator('[data-testid=grid] [role=gridcell]').count(), { timeout: 30_000 }).toBe(names.length);
    await expect.poll(async () => (await detail(await idOf(names[0]))).captionKind, { timeout: 20_000 }).toBe('imported');
    await openPhoto(names[0]);
    await expect.poll(shownCaption).toBe('Grandma at the lake');
    expect(await sourceTag()).toBe("from digiKam's sidecar");
    await shot('viewer-imported-digikam');
    await closePhoto();
    await openPhoto(names[1]);
    await expect.poll(sourceTag).toBe("from the photo's IPTC caption");
    await closePhoto();
  }, 90_000);

  it('a file arriving while a caption is typed leaves the photo, the editor and the text alone', async () => {
    const open = names[3];
    await openPhoto(open);
    await page.click('[data-testid=edit-caption]');
    await page.fill('[data-testid=caption-input]', TYPED);
    // A new file that sorts first: every photo after it moves one place down the list.
    const arrival = readdirSync(datasetImages)
      .filter((f) => f.endsWith('.jpg'))
      .sort()[10];
    copyFileSync(join(datasetImages, arrival), join(photos, `0000-${arrival}`));
    await expect.poll(async () => (await list()).total, { timeout: 30_000 }).toBe(names.length + 1);
    await expect.poll(() => page.locator('[data-testid=grid] [role=gridcell]').count(), { timeout: 15_000 }).toBe(names.length + 1);
    await page.waitForTimeout(500); // let any late refresh land before looking
    expect(await viewerName()).toBe(open);
    expect(await page.locator('[data-testid=caption-input]').inputValue()).toBe(TYPED);
    await shot('viewer-file-arrived-while-typing');
  }, 60_000);

  it('a photo deleted while open says so and keeps the typed text (not saved anywhere)', async () => {
    const open = names[3];
    const id = await idOf(open);
    unlinkSync(join(photos, open));
    await expect.poll(async () => (await detail(id)).status, { timeout: 30_000 }).toBe('missing');
    await page.waitForSelector('[data-testid=photo-gone]', { timeout: 15_000 });
    expect(await page.locator('[data-testid=photo-gone]').textContent()).toContain('This photo is no longer in the library');
    expect(await viewerName()).toBe(open);
    const input = page.locator('[data-testid=caption-input]');
    expect(await input.inputValue()).toBe(TYPED);
    await input.press('Enter');
    await page.waitForTimeout(300);
    expect(await input.inputValue()).toBe(TYPED);
    expect((await detail(id)).history.some((c) => c.text === TYPED)).toBe(false);
    await shot('viewer-photo-gone-text-kept');
    await input.press('Escape');
    await closePhoto();
  }, 60_000);

  it('a picked alternative is "chosen from the model\'s alternatives", can be undone, history entries restore; the selection follows the photo', async () => {
    const name = names[2];
    const id = await idOf(name);
    await expect.poll(async () => (await detail(id)).status, { timeout: 60_000 }).toBe('captioned');
    await openPhoto(name);
    await page.click('[data-testid=edit-caption]');
    await page.fill('[data-testid=caption-input]', 'Our dog Biscuit');
    await page.keyboard.press('Enter');
    await expect.poll(shownCaption).toBe('Our dog Biscuit');
    expect(await sourceTag()).toBe('yours');
    const alternative = page.locator('[data-testid=alternatives] button').first();
    await alternative.waitFor({ timeout: 20_000 });
    const altText = (await alternative.textContent())!;
    await alternative.click();
    await expect.poll(shownCaption).toBe(altText);
    expect(await sourceTag()).toBe("chosen from the model's alternatives");
    expect((await detail(id)).captionKind).toBe('alternative');
    await page.waitForSelector('[data-testid=undo-toast]');
    await shot('viewer-alternative-undo-toast');
    await page.click('[data-testid=undo-toast-action]');
    await expect.poll(shownCaption).toBe('Our dog Biscuit');
    expect(await sourceTag()).toBe('yours');
    expect(await page.locator('[data-testid=undo-toast]').count()).toBe(0);
    expect((await detail(id)).history.some((c) => c.kind === 'alternative')).toBe(false);
    // Picked again, then the user's own caption restored from the history.
    await page.locator('[data-testid=alternatives] button').first().click();
    await expect.poll(sourceTag).toBe("chosen from the model's alternatives");
    const entry = page.locator('[data-testid=history-entry]', { hasText: 'Our dog Biscuit' });
    await entry.locator('[data-testid=history-restore]').click();
    await expect.poll(shownCaption).toBe('Our dog Biscuit');
    expect(await sourceTag()).toBe('yours');
    await shot('viewer-history-restored');
    await closePhoto();
    // The grid's selection is the photo that was open, and stays on it when another file sorts in before it.
    const selectedId = () => page.locator('[role=gridcell][aria-selected=true]').getAttribute('data-photo-id');
    expect(await selectedId()).toBe(String(id));
    const arrival = readdirSync(datasetImages)
      .filter((f) => f.endsWith('.jpg'))
      .sort()[11];
    copyFileSync(join(datasetImages, arrival), join(photos, `0001-${arrival}`));
    // names + the first arrival - the deleted photo + this arrival
    await expect.poll(() => page.locator('[data-testid=grid] [role=gridcell]').count(), { timeout: 30_000 }).toBe(names.length + 1);
    await page.waitForTimeout(500);
    expect(await selectedId()).toBe(String(id));
    expect(problems).toEqual([]);
  }, 120_000);
});
