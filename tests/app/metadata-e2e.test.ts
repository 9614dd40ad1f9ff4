/**
 * Captions that travel (issue 8), from the app: in Chromium against `lenscribe serve`, a caption
 * the user saves is written to an XMP sidecar only once the setting says so (default: nothing is
 * written), "Write all captions now" exports the rest, and "Import descriptions" picks up a
 * .txt sidecar another tool wrote. The default model captions and tags the photos first, so its
 * confident tags go out as keywords too, with or without a caption.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoPage, Settings } from '../../src/shared/api-contract.js';
import { callApi, findChromium, openBrowser, startServe, stopServe, type Serve } from './browser.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
let dir: string;
let photos: string;
let names: string[];
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const sidecarsOf = (name: string) =>
  readdirSync(photos).filter(
    (f) => f.toLowerCase().endsWith('.xmp') && (f === `${name}.xmp` || f === `${name.replace(/\.[^.]+$/, '')}.xmp`),
  );

/** The model's tags of a photo that go to keywords (the setting's default: at least 50 % sure). */
async function confidentTags(name: string): Promise<string[]> {
  const tags = await callApi<Array<{ tag: string; score: number | null }>>(serve!, 'tags.forPhoto', { photoId: await photoId(name) });
  return tags.filter((t) => (t.score ?? 0) >= 0.5).map((t) => t.tag);
}

async function photoId(name: string): Promise<number> {
  const list = await callApi<PhotoPage>(serve!, 'photos.list', { limit: 100 });
  return list.items.find((p) => p.name === name)!.id;
}

/** Open the photo from the grid, press E, type, Enter: the way a person saves a caption. */
async function editCaption(name: string, text: string): Promise<void> {
  await page.click('[data-testid=nav-teach]'); // leave and come back: the grid is a fresh view
  await page.click('[data-testid=folder]');
  const id = await photoId(name);
  const cell = page.locator(`[role=gridcell][data-photo-id="${id}"]`);
  await cell.scrollIntoViewIfNeeded();
  await cell.dblclick();
  await page.waitForSelector('[data-testid=photo-view]');
  await page.click('[data-testid=edit-caption]');
  await page.fill('[data-testid=caption-input]', text);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toBe(text);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
}

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-metadata-e2e-'));
  photos = join(dir, 'Holiday');
  names = copyPhotos(photos, 4, 200);
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('captions that travel, from the app', () => {
  it('adds a folder; writing to photo folders is off by default', async () => {
    await page.goto(serve!.url);
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => page.locator('[data-testid=grid] [role=gridcell]').count(), { timeout: 30_000 }).toBe(names.length);
    // The model's captions and tags first: what goes out as keywords is then settled for the tests below.
    await expect
      .poll(async () => (await callApi<PhotoPage>(serve!, 'photos.list', { limit: 100 })).items.filter((p) => p.caption).length, {
        timeout: 90_000,
      })
      .toBe(names.length);
    for (const name of names) expect((await confidentTags(name)).length).toBeGreaterThan(0);
    expect((await callApi<Settings>(serve!, 'settings.get')).metadataWrite).toBe('off');
    await page.click('[data-testid=nav-settings]');
    await page.waitForSelector('[data-testid=settings]');
    expect(await page.locator('input[name=metadataWrite][value=off]').isChecked()).toBe(true);
    expect(await page.locator('[data-testid=metadata-export]').isDisabled()).toBe(true);
    await shot('20-settings-metadata-off');
  });

  it('a caption saved while the setting is off writes nothing next to the photo', async () => {
    await editCaption(names[0], 'Our tent by the lake at dawn');
    expect(sidecarsOf(names[0])).toEqual([]);
  });

  it('with "XMP sidecar" chosen, the next saved caption lands in photo.jpg.xmp (and the earlier one still not)', async () => {
    await page.click('[data-testid=nav-settings]');
    await page.locator('input[name=metadataWrite][value=xmp]').check();
    await expect.poll(async () => (await callApi<Settings>(serve!, 'settings.get')).metadataWrite).toBe('xmp');
    await shot('21-settings-metadata-xmp');
    const text = 'Grandpa’s red canoe — “Biscuit” on board';
    await editCaption(names[1], text);
    await expect.poll(() => sidecarsOf(names[1]), { timeout: 20_000 }).toEqual([`${names[1]}.xmp`]);
    const xmp = readFileSync(join(photos, `${names[1]}.xmp`), 'utf8');
    expect(xmp).toContain('dc:description');
    expect(xmp).toContain('Grandpa’s red canoe');
    expect(xmp).toContain('Biscuit');
    // Writes are made in the order captions were saved: had the first one been queued, it would be there by now.
    expect(sidecarsOf(names[0])).toEqual([]);
  });

  it('"Write all captions now" exports the user captions not written yet, and the model\'s confident tags as keywords', async () => {
    await page.click('[data-testid=nav-settings]');
    await page.click('[data-testid=metadata-export]');
    // names[1]'s keywords went out with its caption; the other three get theirs now.
    await expect
      .poll(() => page.locator('[data-testid=metadata-report]').textContent(), { timeout: 30_000 })
      .toMatch(/4 photos: 1 written, 1 already up to date, 2 without a caption to write, keywords written for 3 photos/);
    expect(readFileSync(join(photos, `${names[0]}.xmp`), 'utf8')).toContain('Our tent by the lake at dawn');
    // A photo with no caption of the user's: its keywords alone, no description.
    const keywordsOnly = readFileSync(join(photos, `${names[2]}.xmp`), 'utf8');
    expect(keywordsOnly).not.toContain('dc:description');
    for (const tag of await confidentTags(names[2])) expect(keywordsOnly).toContain(`<rdf:li>${tag}</rdf:li>`);
    await shot('22-settings-export-report');
  });

  it('"Import descriptions" takes a .txt caption another tool wrote as the user caption', async () => {
    writeFileSync(join(photos, names[2].replace(/\.jpg$/, '.txt')), 'Two kayaks pulled up on the shingle\n');
    await page.click('[data-testid=metadata-import]');
    await expect
      .poll(() => page.locator('[data-testid=metadata-report]').textContent(), { timeout: 30_000 })
      .toMatch(/1 descriptions? imported/);
    const p = await callApi<{ caption: string; captionSource: string }>(serve!, 'photos.get', { id: await photoId(names[2]) });
    expect(p.caption).toBe('Two kayaks pulled up on the shingle');
    expect(p.captionSource).toMatch(/^import:txt/);
  });

  it('turning it off again stops the writes', async () => {
    await page.click('[data-testid=nav-settings]');
    await page.locator('input[name=metadataWrite][value=off]').check();
    await expect.poll(async () => (await callApi<Settings>(serve!, 'settings.get')).metadataWrite).toBe('off');
    await editCaption(names[3], 'A heron on the jetty');
    await page.click('[data-testid=nav-settings]');
    await page.locator('input[name=metadataWrite][value=txt]').check();
    await expect.poll(async () => (await callApi<Settings>(serve!, 'settings.get')).metadataWrite).toBe('txt');
    await editCaption(names[2], 'Two kayaks on the shingle, tide out');
    const txt = join(photos, names[2].replace(/\.jpg$/, '.txt'));
    await expect.poll(() => readFileSync(txt, 'utf8').trim(), { timeout: 20_000 }).toBe('Two kayaks on the shingle, tide out');
    // names[3]'s sidecar holds the keywords the export wrote, not the caption saved while writing was off.
    expect(sidecarsOf(names[3])).toEqual([`${names[3]}.xmp`]);
    const xmp = readFileSync(join(photos, `${names[3]}.xmp`), 'utf8');
    expect(xmp).not.toContain('heron');
    expect(xmp).not.toContain('dc:description');
    expect(existsSync(join(photos, names[3].replace(/\.jpg$/, '.txt')))).toBe(false);
  });

  it('ran without script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
