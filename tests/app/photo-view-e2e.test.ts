/**
 * The photo view (issue 15, "Photo view"), in Chromium against `lenscribe serve`, on real photos:
 * a counter ("2 of 3") with a clear first and last photo; zoom and pan (wheel about the pointer,
 * + and −, double-click and 1:1 for the file's own pixels, 0 to fit, dragging a zoomed photo);
 * the camera, lens, exposure and GPS position a file records (written here by ExifTool), none for a
 * file without; "Open original" serves the file itself; the caption editor holds a long caption on
 * several lines; clearing the user's caption brings the model's back, and a model's cannot be blanked.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoDetail } from '../../src/shared/api-contract.js';
import { exiftoolCli } from '../metadata/helpers.js';
import { expectAxeClean } from './axe.js';
import { addFirstFolder, callApi, findChromium, openBrowser, startServe, stopServe, type Serve, waitCaptioned } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
let dir: string;
let photos: string;
let names: string[];
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
let problems: string[];

const cells = () => page.locator('[data-testid=grid] [role=gridcell]');
const scale = async () => Number(await page.getAttribute('[data-testid=zoom-stage]', 'data-scale'));
const imageBox = () => page.locator('[data-testid=zoom-stage] img').boundingBox();
const counter = () => page.textContent('[data-testid=photo-counter]');
const shownId = async () => Number(await page.getAttribute('[data-testid=photo-view]', 'data-photo-id'));
const detail = (id: number) => callApi<PhotoDetail>(serve!, 'photos.get', { id });

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-photo-view-e2e-'));
  photos = join(dir, 'Walks');
  names = copyPhotos(photos, 3, 700);
  // What a camera writes: make, model, lens, exposure, and where.
  exiftoolCli([
    '-overwrite_original',
    '-Make=Canon',
    '-Model=Canon EOS 5D Mark III',
    '-LensModel=EF24-105mm f/4L IS USM',
    '-ExposureTime=1/250',
    '-FNumber=5.6',
    '-ISO=400',
    '-FocalLength=50',
    '-GPSLatitude=48.858370',
    '-GPSLatitudeRef=N',
    '-GPSLongitude=2.294481',
    '-GPSLongitudeRef=E',
    '-GPSAltitude=35',
    '-GPSAltitudeRef=0',
    join(photos, names[0]!),
  ]);
  serve = await startServe(join(dir, 'library'));
  ({ context, page, problems } = await openBrowser(dir));
  await page.setViewportSize({ width: 1280, height: 800 });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the photo view', () => {
  it('counts the photos and shows where the list ends', async () => {
    await page.goto(serve!.url);
    await addFirstFolder(page, photos, 3);
    await waitCaptioned(serve!, 3);
    await cells().first().dblclick();
    await page.waitForSelector('[data-testid=photo-caption]');
    expect(await counter()).toBe('1 of 3 · first photo');
    expect(await page.locator('.nav.prev').isDisabled()).toBe(true);
    await page.keyboard.press('ArrowRight');
    await expect.poll(counter).toBe('2 of 3');
    await page.keyboard.press('ArrowRight');
    await expect.poll(counter).toBe('3 of 3 · last photo');
    expect(await page.locator('.nav.next').isDisabled()).toBe(true);
    const last = await shownId();
    await page.keyboard.press('ArrowRight'); // past the end: stays on the last photo
    expect(await shownId()).toBe(last);
    await page.keyboard.press('Home'); // not a photo-view key: nothing happens
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(counter).toBe('1 of 3 · first photo');
  });

  it('zooms with the wheel, the keys, a double-click and 1:1, pans when zoomed, and fits again', async () => {
    await page.waitForFunction(() => (document.querySelector('[data-testid=zoom-stage] img') as HTMLImageElement | null)?.complete);
    const fitted = (await imageBox())!;
    expect(await scale()).toBe(1);
    await page.keyboard.press('+');
    await expect.poll(scale).toBeCloseTo(1.25, 3);
    await page.keyboard.press('-');
    await expect.poll(scale).toBe(1);
    // The wheel zooms about the pointer: the point under it stays put.
    const stage = (await page.locator('[data-testid=zoom-stage]').boundingBox())!;
    const at = { x: stage.x + stage.width * 0.3, y: stage.y + stage.height * 0.4 };
    await page.mouse.move(at.x, at.y);
    const rel = { x: (at.x - fitted.x) / fitted.width, y: (at.y - fitted.y) / fitted.height };
    for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -100);
    await expect.poll(scale).toBeCloseTo(1.953, 2);
    const zoomed = (await imageBox())!;
    expect(Math.abs(zoomed.x + rel.x * zoomed.width - at.x)).toBeLessThan(2);
    expect(Math.abs(zoomed.y + rel.y * zoomed.height - at.y)).toBeLessThan(2);
    // Dragging pans it.
    await page.mouse.down();
    await page.mouse.move(at.x + 60, at.y + 20, { steps: 4 });
    await page.mouse.up();
    const panned = (await imageBox())!;
    expect(Math.abs(panned.x - zoomed.x - 60)).toBeLessThan(2);
    await shotEverySize(page, SHOTS, 'photo-view-zoomed');
    await page.keyboard.press('0');
    await expect.poll(scale).toBe(1);
    // 1:1: one pixel of the file per pixel of the screen; this 500 px photo is smaller than the stage, so 1:1 is below the fit.
    const img = page.locator('[data-testid=zoom-stage] img');
    const natural = await img.evaluate((el: HTMLImageElement) => ({ w: el.naturalWidth, h: el.naturalHeight }));
    const fit = Math.min(fitted.width / natural.w, fitted.height / natural.h);
    expect(fit).toBeGreaterThan(1);
    await page.click('[data-testid=zoom-actual]');
    await expect.poll(scale).toBeCloseTo(1 / fit, 3);
    expect(await page.textContent('[data-testid=zoom-fit]')).toMatch(/^100 %/);
    await page.keyboard.press('0');
    await expect.poll(scale).toBe(1);
    await page.keyboard.press('1');
    await expect.poll(scale).toBeCloseTo(1 / fit, 3);
    await page.locator('[data-testid=zoom-stage]').dblclick(); // not fitted: a double-click fits
    await expect.poll(scale).toBe(1);
    await page.locator('[data-testid=zoom-stage]').dblclick(); // fitted: closer (twice the fit, the file's pixels being smaller)
    await expect.poll(scale).toBeCloseTo(2, 3);
    await page.keyboard.press('ArrowRight'); // another photo starts fitted
    await expect.poll(scale).toBe(1);
    await page.keyboard.press('ArrowLeft');
  });

  it('shows the camera, lens, exposure and place the file records, and nothing for a file without', async () => {
    await page.waitForSelector('[data-testid=camera-facts]');
    expect(await page.textContent('[data-testid=camera]')).toBe('Canon EOS 5D Mark III');
    expect(await page.textContent('[data-testid=lens]')).toBe('EF24-105mm f/4L IS USM');
    expect(await page.textContent('[data-testid=exposure]')).toBe('1/250 s · f/5.6 · ISO 400 · 50 mm');
    expect(await page.textContent('[data-testid=gps]')).toBe('48.85837° N, 2.29448° E · 35 m');
    await expectAxeClean(page, 'photo view with camera facts and zoom');
    await shotEverySize(page, SHOTS, 'photo-view-camera');
    await page.keyboard.press('ArrowRight');
    await expect.poll(counter).toBe('2 of 3');
    await page.waitForSelector('[data-testid=photo-caption]');
    await page.waitForTimeout(300);
    expect(await page.locator('[data-testid=camera-facts]').count()).toBe(0);
  });

  it('“Open original” serves the photo’s file itself', async () => {
    const href = await page.getAttribute('[data-testid=open-original]', 'href');
    expect(await page.getAttribute('[data-testid=open-original]', 'target')).toBe('_blank');
    const res = await page.request.get(new URL(href!, serve!.url).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/jpeg');
    expect((await res.body()).length).toBe((await detail(await shownId())).size);
  });

  it('edits a long caption on several lines; clearing the user’s caption brings the model’s back', async () => {
    const id = await shownId();
    const model = (await detail(id)).caption!;
    await page.keyboard.press('e');
    const input = page.locator('[data-testid=caption-input]');
    expect(await input.evaluate((el) => el.tagName)).toBe('TEXTAREA');
    const long = 'Biscuit and Pepper racing along the wet sand at low tide, the lighthouse far behind them and the gulls rising';
    await input.fill(long);
    const box = (await input.boundingBox())!;
    expect(await input.evaluate((el) => el.scrollHeight)).toBeGreaterThan(40); // wraps onto more than one line
    expect(box.height).toBeGreaterThan(50);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('[data-testid=photo-caption]')).toBe(long);
    expect((await detail(id)).captionKind).toBe('user');
    // Cleared and saved: the user's caption goes; the model's shows again.
    await page.keyboard.press('e');
    await input.fill('');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('[data-testid=photo-caption]')).toBe(model);
    expect((await detail(id)).captionKind).toBe('model');
    // A model's caption cannot be blanked: the editor stays open and says why.
    await page.keyboard.press('e');
    await input.fill('   ');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('[data-testid=toast]')).toContain('A caption cannot be empty');
    expect(await input.count()).toBe(1);
    await page.keyboard.press('Escape');
    expect((await detail(id)).caption).toBe(model);
    expect(problems).toEqual([]);
  });
});
