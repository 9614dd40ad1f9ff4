/**
 * End to end: `lenscribe serve` on a temp library of real Flickr8k photos plus broken files,
 * driven in Debian's Chromium through playwright-core. Screenshots of every state go to
 * test-output/screenshots/ for a person to look at.
 *
 * Captioning needs the bundled model (models/default): the steps that need captions are skipped
 * with a clear message until it exists. Everything else (adding a folder, the grid, editing a
 * caption and searching for it, restart, errors, keyboard, dark mode) runs either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir } from '../../src/shared/paths.js';
import { CHROMIUM_ARGS, findChromium } from './browser.js';
import { shotEverySize } from './screenshots.js';
import { copyPhotos, datasetImages, requireBuiltRenderer } from './helpers.js';

const hasModel = existsSync(join(defaultModelDir, 'model.json'));
const needsModel = hasModel ? '' : ' [SKIPPED: needs the default caption model in models/default — re-run when it lands]';
const SHOTS = resolve('test-output', 'screenshots');
const USER_CAPTION = 'Biscuit chasing a ball on Brighton beach';
const STOPWORDS = new Set(
  'a an the in on of is are with and to at his her its their it into from for by while near some two three four one other over under up down out as or'.split(
    ' ',
  ),
);

let dir: string;
let photos: string;
let library: string;
let names: string[];
let serve: { proc: ChildProcess; url: string; origin: string; token: string } | null = null;
let context: BrowserContext;
let page: Page;
const pageProblems: string[] = [];

async function startServe(): Promise<NonNullable<typeof serve>> {
  const proc = spawn(process.execPath, ['bin/lenscribe.js', 'serve', '--library', library, '--json', '--no-watch'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += String(d)));
  const url = await new Promise<string>((resolvePromise, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolvePromise(JSON.parse(line).url as string);
    });
    proc.on('exit', (code) => reject(new Error(`lenscribe serve exited with ${code}: ${err}`)));
  });
  const u = new URL(url);
  return { proc, url, origin: u.origin, token: u.searchParams.get('token')! };
}

async function stopServe(): Promise<void> {
  if (!serve) return;
  const { proc } = serve;
  serve = null;
  if (proc.exitCode !== null) return;
  await new Promise<void>((resolvePromise) => {
    proc.once('exit', () => resolvePromise());
    proc.kill('SIGTERM');
  });
}

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`${serve!.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lenscribe-Token': serve!.token },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
  if (!body.ok) throw new Error(body.error?.message);
  return body.result;
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const cells = () => page.locator('[data-testid=grid] [role=gridcell]');

async function openPhotoById(id: number): Promise<void> {
  const cell = page.locator(`[role=gridcell][data-photo-id="${id}"]`);
  await cell.scrollIntoViewIfNeeded();
  await cell.dblclick();
  await page.waitForSelector('[data-testid=photo-view]');
}

async function closePhoto(): Promise<void> {
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
}

async function search(q: string): Promise<void> {
  await page.fill('[data-testid=search]', q);
  await page.waitForFunction(
    (query) => {
      const s = document.querySelector('[data-testid=search-summary]')?.textContent ?? '';
      return s.includes(`“${query}”`) || !!document.querySelector('[data-testid=search-empty]');
    },
    q,
    { timeout: 10_000 },
  );
}

beforeAll(async () => {
  requireBuiltRenderer();
  findChromium(); // fails here, saying how to get a browser, rather than in the first test
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-e2e-'));
  photos = join(dir, 'My Photos');
  library = join(dir, 'library');
  names = copyPhotos(photos, 12);
  // Broken files: a JPEG cut off after its first 3 KB, and an empty one.
  const whole = readFileSync(join(datasetImages, copyPhotos(join(dir, 'spare'), 1, 40)[0]));
  writeFileSync(join(photos, 'broken.jpg'), whole.subarray(0, 3000));
  writeFileSync(join(photos, 'empty.jpg'), Buffer.alloc(0));
  serve = await startServe();
  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) pageProblems.push(`csp: ${m.text()}`);
  });
  if (!hasModel) console.warn(`e2e: ${defaultModelDir}/model.json is missing; captioning steps are skipped.`);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await stopServe();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Lenscribe in a browser, against lenscribe serve', () => {
  it('opens with the token, drops it from the address bar, and shows the first-run screen', async () => {
    await page.goto(serve!.url);
    await page.waitForSelector('[data-testid=first-run]');
    expect(new URL(serve!.url).hostname).toBe('127.0.0.1');
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    await expect.poll(() => page.locator('[data-testid=first-run]').textContent()).toMatch(/Add a folder/);
    await shot('01-first-run');
  });

  it('adds a folder: every photo appears in the grid, broken files marked', async () => {
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(names.length + 2);
    await expect.poll(() => page.locator('[data-testid=folder]').textContent()).toContain('My Photos');
    await expect.poll(() => page.locator('[role=gridcell].status-error').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await page.waitForTimeout(300);
    await shot('02-folder-added');
  });

  it(`captions every photo: the job reaches 100 %${needsModel}`, { skip: !hasModel, timeout: 600_000 }, async () => {
    await page.waitForSelector('[data-testid=job]', { timeout: 30_000 });
    await shot('03-progress');
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid=job-percent]')].some((e) => e.textContent?.trim() === '100 %'),
      null,
      { timeout: 540_000 },
    );
    const bar = page.locator('[role=progressbar]').first();
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    await shot('04-progress-done');
  });

  it(`shows captions under the thumbnails${needsModel}`, { skip: !hasModel, timeout: 60_000 }, async () => {
    await expect
      .poll(async () => (await page.locator('[role=gridcell].status-captioned [data-testid=cell-caption]').allTextContents()).length, {
        timeout: 20_000,
      })
      .toBe(names.length);
    const texts = await page.locator('[role=gridcell].status-captioned [data-testid=cell-caption]').allTextContents();
    for (const t of texts) expect(t.trim().split(/\s+/).length).toBeGreaterThanOrEqual(3);
    // The truncated JPEG fails when decoded for captioning and says why.
    await expect.poll(() => page.locator('[role=gridcell].status-error').count()).toBe(2);
    // The folder and the job that captioned it count the failures alike: the file the scan could
    // not read and the one that failed when captioned.
    await expect.poll(() => page.locator('[data-testid=folder]').first().textContent()).toMatch(/\b2 failed/);
    await expect.poll(() => page.locator('[data-testid=job-meta]').first().textContent()).toMatch(/\b2 failed/);
    await shot('05-captioned-grid');
  });

  it(
    `search finds the photos whose captions use the word, with highlights${needsModel}`,
    { skip: !hasModel, timeout: 60_000 },
    async () => {
      const list = await api<{ items: Array<{ id: number; caption: string | null }> }>('photos.list', { limit: 100 });
      const captioned = list.items.filter((p) => p.caption);
      const counts = new Map<string, number>();
      for (const p of captioned)
        for (const w of new Set(p.caption!.toLowerCase().match(/[a-z]+/g) ?? []))
          if (!STOPWORDS.has(w) && w.length > 2) counts.set(w, (counts.get(w) ?? 0) + 1);
      const [word] = [...counts.entries()]
        .filter(([, n]) => n < captioned.length)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
      const expected = new Set(captioned.filter((p) => new RegExp(`\\b${word}`, 'i').test(p.caption!)).map((p) => p.id));
      await search(word);
      const ids = new Set(
        (await page.locator('[role=gridcell]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-photo-id'))))).filter(
          Boolean,
        ),
      );
      for (const id of expected) expect(ids.has(id), `photo ${id} captioned with "${word}" is in the results`).toBe(true);
      const exactCells = page.locator('[role=gridcell] [data-testid=cell-caption]:not(:has(.via-similar))');
      const marks = await exactCells.locator('mark').allTextContents();
      expect(marks.length).toBeGreaterThanOrEqual(expected.size);
      for (const m of marks) expect(m.toLowerCase().startsWith(word.slice(0, 3))).toBe(true);
      await shot('06-search');
      // Each result shows its own caption (highlighted), not another photo's.
      const byId = new Map(captioned.map((p) => [p.id, p.caption!.toLowerCase()]));
      const shown = await page.locator('[role=gridcell]').evaluateAll((els) =>
        els.map((e) => ({
          id: Number(e.getAttribute('data-photo-id')),
          // The snippet without the reasons shown beside it ("tag: dog 0.74").
          text: [
            ...(e.querySelector('[data-testid=cell-caption]')?.querySelectorAll(':scope > span > :not([data-testid=match-reason])') ?? []),
          ]
            .map((n) => n.textContent)
            .join(''),
        })),
      );
      for (const { id, text } of shown) {
        for (const piece of text
          .split('…')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean)) {
          expect(byId.get(id), `snippet "${text}" of photo ${id}`).toContain(piece);
        }
      }
    },
  );

  it(
    `offers beam-search alternatives; picking one shows it, marked as chosen from the model's alternatives (not a label)${needsModel}`,
    { skip: !hasModel, timeout: 60_000 },
    async () => {
      await page.fill('[data-testid=search]', '');
      const list = await api<{ items: Array<{ id: number; name: string; status: string }> }>('photos.list', { limit: 100 });
      const target = list.items.find((p) => p.name === names[2] && p.status === 'captioned')!;
      await openPhotoById(target.id);
      const alts = page.locator('[data-testid=alternatives] button');
      await expect.poll(() => alts.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      const pick = (await alts.first().textContent())!.trim();
      expect(pick).not.toBe(await page.locator('[data-testid=photo-caption]').textContent());
      await shot('06b-alternatives');
      await alts.first().click();
      await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toBe(pick);
      expect(await api<{ captionKind: string }>('photos.get', { id: target.id })).toMatchObject({
        caption: pick,
        captionKind: 'alternative',
      });
      await closePhoto();
    },
  );

  it('explains an empty search', async () => {
    await search('zebraquokka');
    const text = await page.locator('[data-testid=search-empty]').textContent();
    expect(text).toMatch(/No photos match “zebraquokka”/);
    expect(text).toMatch(/Try/);
    await shot('07-search-empty');
    await page.fill('[data-testid=search]', '');
    await expect.poll(() => cells().count()).toBe(names.length + 2);
  });

  it('edits a caption in place: Esc cancels, Enter saves it as the user caption', async () => {
    const list = await api<{ items: Array<{ id: number; name: string }> }>('photos.list', { limit: 100 });
    const target = list.items.find((p) => p.name === names[0])!;
    await openPhotoById(target.id);
    const before = await page.locator('[data-testid=photo-caption]').textContent();
    await page.keyboard.press('e');
    await page.fill('[data-testid=caption-input]', 'this should not be saved');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toBe(before);
    expect(await page.locator('[data-testid=photo-view]').count()).toBe(1);
    await page.click('[data-testid=edit-caption]');
    await page.fill('[data-testid=caption-input]', `  ${USER_CAPTION}  `);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toBe(USER_CAPTION);
    await expect.poll(() => page.locator('[data-testid=history]').textContent()).toContain('you');
    await shot('08-caption-edited');
    await closePhoto();
    const detail = await api<{ caption: string; captionSource: string }>('photos.get', { id: target.id });
    expect(detail).toMatchObject({ caption: USER_CAPTION, captionSource: 'user' });
  });

  it('finds the user caption by search, highlighted', async () => {
    await search('brighton');
    await expect.poll(() => cells().count()).toBe(1);
    expect((await page.locator('[role=gridcell] mark').allTextContents()).map((t) => t.toLowerCase())).toContain('brighton');
    await shot('09-search-user-caption');
    await page.fill('[data-testid=search]', '');
  });

  it('keeps the edited caption across a server restart', async () => {
    await stopServe();
    serve = await startServe();
    await page.goto(serve.url);
    await page.waitForSelector('[data-testid=grid] [role=gridcell]');
    const list = await api<{ items: Array<{ id: number; name: string; caption: string | null }> }>('photos.list', { limit: 100 });
    const target = list.items.find((p) => p.name === names[0])!;
    expect(target.caption).toBe(USER_CAPTION);
    await openPhotoById(target.id);
    await expect.poll(() => page.locator('[data-testid=photo-caption]').textContent()).toBe(USER_CAPTION);
    await shot('10-after-restart');
    await closePhoto();
  });

  it('opens a broken file and shows why it failed, with a retry', async () => {
    const list = await api<{ items: Array<{ id: number; name: string }> }>('photos.list', { status: 'error' });
    const empty = list.items.find((p) => p.name === 'empty.jpg')!;
    expect(empty).toBeTruthy();
    await openPhotoById(empty.id);
    const box = page.locator('[data-testid=photo-error]');
    await expect.poll(() => box.textContent()).toMatch(/empty/i);
    expect(await box.locator('button', { hasText: 'Retry' }).count()).toBe(1);
    await shot('11-broken-file');
    await closePhoto();
    if (hasModel) {
      const broken = list.items.find((p) => p.name === 'broken.jpg')!;
      await openPhotoById(broken.id);
      await expect.poll(() => box.textContent()).toMatch(/could not be captioned/i);
      expect((await box.textContent())!.length).toBeGreaterThan(40);
      await shot('12-truncated-file');
      await closePhoto();
    }
  });

  it('is usable from the keyboard', async () => {
    const grid = page.locator('[data-testid=grid]');
    await grid.focus();
    await page.keyboard.press('Home');
    await expect.poll(() => grid.getAttribute('aria-activedescendant')).toBe('cell-0');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => grid.getAttribute('aria-activedescendant')).toBe('cell-1');
    await page.keyboard.press('ArrowDown');
    const perRow = await page.locator('[role=row]').first().locator('[role=gridcell]').count();
    await expect.poll(() => grid.getAttribute('aria-activedescendant')).toBe(`cell-${1 + perRow}`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=photo-view]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=photo-view]', { state: 'detached' });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search');
  });

  it('shows changes made elsewhere live, through server-sent events', async () => {
    const list = await api<{ items: Array<{ id: number; name: string }> }>('photos.list', { limit: 100 });
    const other = list.items.find((p) => p.name === names[1])!;
    await api('captions.set', { photoId: other.id, text: 'A second caption written by another client' });
    const cell = page.locator(`[role=gridcell][data-photo-id="${other.id}"] [data-testid=cell-caption]`);
    await expect.poll(() => cell.textContent(), { timeout: 5_000 }).toBe('A second caption written by another client');
    await api('settings.set', { captionsUnderThumbnails: false });
    await expect.poll(() => page.locator('[data-testid=cell-caption]').count(), { timeout: 5_000 }).toBe(0);
    await shot('12b-captions-hidden');
    await api('settings.set', { captionsUnderThumbnails: true });
    await expect.poll(() => page.locator('[data-testid=cell-caption]').count(), { timeout: 5_000 }).toBeGreaterThan(0);
  });

  it('has a dark mode', async () => {
    const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.selectOption('.sidebar-footer select', 'dark');
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe(light);
    await shot('13-dark');
    await page.selectOption('.sidebar-footer select', 'light');
  });

  it(`pauses, resumes and cancels a captioning job from the jobs panel${needsModel}`, { skip: !hasModel, timeout: 300_000 }, async () => {
    const more = join(dir, 'Zoo Trip');
    copyPhotos(more, 150, 100);
    await page.fill('#folder-path', more);
    await page.click('.sidebar [data-testid=add-folder]');
    const job = page.locator('[data-testid=job]').first(); // newest first
    const percent = async () => Number((await job.locator('[data-testid=job-percent]').textContent())!.replace(/\D/g, ''));
    await job.locator('button', { hasText: 'Pause' }).click({ timeout: 60_000 });
    await expect.poll(() => job.textContent(), { timeout: 30_000 }).toContain('paused');
    // The batch in flight may still land; after that nothing moves.
    await page.waitForTimeout(3000);
    const stalled = await percent();
    await page.waitForTimeout(2000);
    expect(await percent()).toBe(stalled);
    expect(stalled).toBeLessThan(100);
    await shotEverySize(page, SHOTS, '14-job-paused');
    await job.locator('button', { hasText: 'Resume' }).click();
    await expect.poll(percent, { timeout: 120_000 }).toBeGreaterThan(stalled);
    await job.locator('button', { hasText: 'Cancel' }).click();
    await expect.poll(() => job.textContent(), { timeout: 30_000 }).toMatch(/cancelled|done/);
    const jobs = await api<Array<{ status: string; total: number }>>('jobs.list');
    expect(['cancelled', 'done']).toContain(jobs[0].status);
    await shotEverySize(page, SHOTS, '15-job-cancelled');
  });

  it(`each job names its folder and when it started; finished jobs can be cleared${needsModel}`, { skip: !hasModel }, async () => {
    const titles = await page.locator('[data-testid=job-title]').allTextContents();
    expect(titles[0]).toBe('Captioning Zoo Trip'); // newest first
    expect(titles).toContain('Captioning My Photos');
    for (const started of await page.locator('[data-testid=job-started]').allTextContents())
      expect(started).toMatch(/^started \d{1,2}:\d{2}/);
    await page.click('[data-testid=jobs-clear]');
    await expect.poll(() => page.locator('[data-testid=job]').count()).toBe(0);
    expect(await api<unknown[]>('jobs.list')).toEqual([]);
    // The photos keep what the jobs wrote.
    expect((await api<{ total: number }>('photos.list', { status: 'captioned', limit: 1 })).total).toBeGreaterThan(0);
    await page.reload();
    await expect.poll(() => cells().count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=job]').count()).toBe(0);
  });

  it('ran without script errors or CSP violations', () => {
    expect(pageProblems).toEqual([]);
  });
});
