/**
 * Accessibility (issue 15), in Chromium against `lenscribe serve`: axe-core over every view (first
 * run, the grid with its jobs panel, search results, no matches, the photo view of a photo and of a
 * failed file, Teach, Settings and the "?" overlay), in the light and the dark theme, failing on
 * serious or critical violations; contrast measured from computed styles where axe does not look
 * (input borders, focus rings: 3:1) and where it was measured failing (the "check" and Error badges,
 * status pills: 4.5:1); the skip link, the search box right after it in Tab order, one h1 per view,
 * and the "?" overlay listing the very table (shortcuts.ts) the key handlers use.
 * A few real Flickr8k photos and one empty file; no caption model (an empty models folder): the
 * captions Teach needs are typed through the API, as the user's own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLabel, SHORTCUTS, type Shortcut } from '../../src/renderer/shortcuts.js';
import type { PhotoPage, Settings } from '../../src/shared/api-contract.js';
import { expectAxeClean } from './axe.js';
import { callApi, CHROMIUM_ARGS, findChromium, startServe, stopServe, type Serve } from './browser.js';
import { copyPhotos, requireBuiltRenderer } from './helpers.js';

const SHOTS = resolve('test-output', 'screenshots');
const THEMES = ['light', 'dark'] as const;
type Theme = (typeof THEMES)[number];
/** WCAG AA: text 4.5:1 (all measured text here is small), what identifies a control 3:1. */
const TEXT = 4.5;
const NON_TEXT = 3;

let dir: string;
let photos: string;
let serve: Serve | null = null;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];
/** Contrast figures measured, printed at the end: "light grid: badge-error 5.52". */
const figures: Record<string, number> = {};

const cells = () => page.locator('[role=gridcell]');
const setTheme = async (theme: Theme) => {
  await callApi<Settings>(serve!, 'settings.set', { theme });
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
};
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `a11y-${name}.png`) });
const activeTestId = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName);

const axeCheck = (view: string) => expectAxeClean(page, view);

/** Exactly one h1 in the view (the open dialog's own, when one is open). */
async function oneH1(scope = 'body'): Promise<void> {
  expect(await page.locator(`${scope} h1`).count(), `h1 in ${scope}`).toBe(1);
  expect((await page.locator(`${scope} h1`).textContent())?.trim()).not.toBe('');
}

interface Probe {
  name: string;
  selector: string;
  /** text: colour on its background; border: a control's border on what is outside and inside it; outline: the focus ring on what is behind it. */
  kind: 'text' | 'border' | 'outline';
}

/** The lowest contrast ratio over the visible elements each probe selects (null: none found), from getComputedStyle. */
function measure(probes: Probe[]): Promise<Array<{ name: string; count: number; min: number | null }>> {
  return page.evaluate((probes) => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) throw new Error(`unparsed colour ${c}`);
      const [r, g, b, a = 1] = m[1]
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [r, g, b, a];
    };
    const over = (top: RGBA, below: RGBA): RGBA => {
      const a = top[3];
      return [top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1];
    };
    /** What shows behind (and through) `el`: its and its ancestors' backgrounds, composited. */
    const backgroundOf = (el: Element | null): RGBA => {
      const layers: RGBA[] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      return layers.reduceRight<RGBA>((below, top) => over(top, below), [255, 255, 255, 1]);
    };
    const luminance = ([r, g, b]: RGBA) => {
      const lin = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const ratio = (a: RGBA, b: RGBA) => {
      const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    return probes.map((p) => {
      const els = [...document.querySelectorAll(p.selector)].filter(
        (e) => (e as HTMLElement).offsetParent !== null || e === document.activeElement,
      );
      const ratios = els.map((e) => {
        const s = getComputedStyle(e);
        if (p.kind === 'text') {
          const bg = backgroundOf(e);
          return ratio(over(parse(s.color), bg), bg);
        }
        if (p.kind === 'border') {
          const outside = backgroundOf(e.parentElement);
          const border = over(parse(s.borderTopColor), outside);
          return Math.min(ratio(border, outside), ratio(border, backgroundOf(e)));
        }
        if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0) return 0; // no ring at all
        const behind = parseFloat(s.outlineOffset) < 0 ? backgroundOf(e) : backgroundOf(e.parentElement);
        return ratio(over(parse(s.outlineColor), behind), behind);
      });
      return { name: p.name, count: els.length, min: ratios.length ? Math.min(...ratios) : null };
    });
  }, probes);
}

/** Measures the probes, records the figures, and fails any below its threshold (or selecting nothing). */
async function expectContrast(view: string, probes: Probe[]): Promise<void> {
  for (const r of await measure(probes)) {
    const kind = probes.find((p) => p.name === r.name)!.kind;
    expect(r.min, `${view}: ${r.name} (${r.count} found)`).not.toBeNull();
    figures[`${view}: ${r.name}`] = Math.round(r.min! * 100) / 100;
    expect(r.min!, `${view}: ${r.name}`).toBeGreaterThanOrEqual(kind === 'text' ? TEXT : NON_TEXT);
  }
}

/** Keyboard focus on `selector` (after a key press, so :focus-visible applies as it does for Tab), then its ring measured. */
async function expectFocusRing(view: string, name: string, selector: string): Promise<void> {
  await page.keyboard.press('Shift');
  await page.locator(selector).first().focus();
  await expectContrast(view, [{ name: `focus ring: ${name}`, selector: `${selector}:focus-visible`, kind: 'outline' }]);
}

/** The status pill of every folder state, shown in the sidebar's first folder one after another. */
async function expectStatusPills(view: string): Promise<void> {
  for (const status of ['scanning', 'captioning', 'paused', 'ready', 'missing', 'error']) {
    await page.evaluate((status) => {
      const pill = document.createElement('span');
      pill.className = `status status-${status}`;
      pill.id = 'probe-pill';
      pill.textContent = status;
      document.querySelector('[data-testid=folder] .folder-name')!.append(pill);
    }, status);
    await expectContrast(view, [{ name: `status pill ${status}`, selector: '#probe-pill', kind: 'text' }]);
    await page.evaluate(() => document.getElementById('probe-pill')!.remove());
  }
}

beforeAll(async () => {
  requireBuiltRenderer();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-a11y-e2e-'));
  photos = join(dir, 'Garden');
  copyPhotos(photos, 7, 300);
  writeFileSync(join(photos, 'empty.jpg'), Buffer.alloc(0)); // fails at scan time: the grid's Error badge
  mkdirSync(join(dir, 'no-models'));
  serve = await startServe(join(dir, 'library'), { LENSCRIBE_MODELS: join(dir, 'no-models') });
  context = await chromium.launchPersistentContext(join(dir, 'chromium-profile'), {
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
}, 60_000);

afterAll(async () => {
  if (Object.keys(figures).length) console.log(JSON.stringify({ contrast: figures }));
  await context?.close();
  await stopServe(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('accessibility, in the browser', () => {
  it('first run: skip link first, search second, one h1, no serious axe violations in either theme', { timeout: 60_000 }, async () => {
    await page.goto(serve!.url);
    await page.waitForSelector('[data-testid=first-run]');
    await page.keyboard.press('Tab');
    expect(await activeTestId()).toBe('skip-link');
    // Shown when focused: inside the window and not clipped.
    const box = (await page.locator('[data-testid=skip-link]').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.width * box.height).toBeGreaterThan(200);
    await page.keyboard.press('Tab');
    expect(await activeTestId()).toBe('search');
    for (const theme of THEMES) {
      await setTheme(theme);
      await oneH1();
      await axeCheck(`${theme} first run`);
      await expectContrast(`${theme} first run`, [{ name: 'input border: folder path', selector: '#folder-path-large', kind: 'border' }]);
      await shot(`01-first-run-${theme}`);
    }
  });

  it('grid: skip link to the grid, badges, pills, borders and focus rings measured, axe clean', { timeout: 60_000 }, async () => {
    await setTheme('light');
    await page.fill('#folder-path-large', photos);
    await page.click('.first-run [data-testid=add-folder]');
    await expect.poll(() => cells().count(), { timeout: 30_000 }).toBe(8);
    await expect.poll(() => page.locator('[role=gridcell].status-error .badge-error').count(), { timeout: 10_000 }).toBe(1);
    // Six captions of the user's own (Teach holds three of them back to check).
    const list = await callApi<PhotoPage>(serve!, 'photos.list', { limit: 20 });
    const good = list.items.filter((p) => p.status !== 'error');
    for (const [i, p] of good.slice(0, 6).entries())
      await callApi(serve!, 'captions.set', { photoId: p.id, text: `Biscuit in the garden, picture ${i + 1}` });

    await page.reload();
    await page.waitForSelector('[role=grid]');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await activeTestId()).toBe('search'); // second, with folders listed before the photos
    await page.keyboard.press('Shift+Tab');
    expect(await activeTestId()).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await activeTestId()).toBe('grid');

    for (const theme of THEMES) {
      await setTheme(theme);
      const view = `${theme} grid`;
      await oneH1();
      // Adding the folder opened it, and the reload kept it (it is in the URL).
      expect(await page.locator('main h1').textContent()).toBe('Garden');
      await expectContrast(view, [
        { name: 'Error badge', selector: '.badge-error', kind: 'text' },
        { name: 'input border: search', selector: '[data-testid=search]', kind: 'border' },
        { name: 'input border: add folder', selector: '#folder-path', kind: 'border' },
        { name: 'input border: theme', selector: '.sidebar-footer select', kind: 'border' },
        { name: 'folder counts', selector: '.folder-counts', kind: 'text' },
      ]);
      await expectStatusPills(view);
      await expectFocusRing(view, 'skip link', '[data-testid=skip-link]');
      await expectFocusRing(view, 'search', '[data-testid=search]');
      await expectFocusRing(view, 'folder', '[data-testid=folder]');
      await expectFocusRing(view, 'grid', '[role=grid]');
      await axeCheck(view);
      await shot(`02-grid-${theme}`);
    }
  });

  it('search results and no matches: one h1 that names the search, axe clean', { timeout: 60_000 }, async () => {
    await page.fill('[data-testid=search]', 'biscuit');
    await expect.poll(() => cells().count(), { timeout: 10_000 }).toBe(6);
    await expect.poll(() => page.locator('[role=gridcell] mark').count()).toBeGreaterThan(0);
    for (const theme of THEMES) {
      await setTheme(theme);
      await oneH1();
      expect(await page.locator('main h1').textContent()).toBe('Search results for “biscuit” in Garden');
      await expectContrast(`${theme} search`, [{ name: 'highlighted word', selector: '[role=gridcell] mark', kind: 'text' }]);
      await axeCheck(`${theme} search results`);
      await shot(`03-search-${theme}`);
    }
    await page.fill('[data-testid=search]', 'zebra');
    await page.waitForSelector('[data-testid=search-empty]');
    for (const theme of THEMES) {
      await setTheme(theme);
      await oneH1();
      await axeCheck(`${theme} no matches`);
      await shot(`04-no-matches-${theme}`);
    }
    await page.fill('[data-testid=search]', '');
    await expect.poll(() => cells().count()).toBe(8);
  });

  it('the photo view of a photo and of a failed file: a dialog with its own h1, axe clean', { timeout: 60_000 }, async () => {
    for (const theme of THEMES) {
      await setTheme(theme);
      await page.locator('[role=gridcell]:not(.status-error)').first().dblclick();
      await page.waitForSelector('[data-testid=photo-caption]');
      await oneH1('[data-testid=photo-view]');
      await expectContrast(`${theme} photo view`, [
        { name: 'input border: tag', selector: '.tag-input', kind: 'border' },
        { name: 'caption source', selector: '[data-testid=caption-source]', kind: 'text' },
      ]);
      await expectFocusRing(`${theme} photo view`, 'edit caption', '[data-testid=edit-caption]');
      await axeCheck(`${theme} photo view`);
      await shot(`05-photo-${theme}`);
      await page.keyboard.press('Escape');
      await page.locator('[role=gridcell].status-error').dblclick();
      await page.waitForSelector('[data-testid=photo-error]');
      await oneH1('[data-testid=photo-view]');
      await axeCheck(`${theme} failed photo`);
      await shot(`06-failed-photo-${theme}`);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.locator('[data-testid=photo-view]').count()).toBe(0);
    }
  });

  it('Teach: the "check" badge measured, one h1, axe clean', { timeout: 60_000 }, async () => {
    await page.click('[data-testid=nav-teach]');
    await expect.poll(() => page.locator('.badge-check').count(), { timeout: 10_000 }).toBe(3);
    for (const theme of THEMES) {
      await setTheme(theme);
      await oneH1();
      await expectContrast(`${theme} teach`, [
        { name: '"check" badge', selector: '.badge-check', kind: 'text' },
        { name: 'input border: epochs', selector: '[aria-label="Maximum epochs"]', kind: 'border' },
      ]);
      await axeCheck(`${theme} teach`);
      await shot(`07-teach-${theme}`);
    }
    // The skip link lands on the view itself where there is no grid.
    await page.keyboard.press('Shift');
    await page.locator('[data-testid=skip-link]').focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('Settings: one h1, borders measured, axe clean', { timeout: 60_000 }, async () => {
    await page.click('[data-testid=nav-settings]');
    await page.waitForSelector('.settings-view');
    for (const theme of THEMES) {
      await setTheme(theme);
      await oneH1();
      await expectContrast(`${theme} settings`, [
        { name: 'input border: number', selector: '.settings-view input[type=number]', kind: 'border' },
        { name: 'hint', selector: '.settings-view .hint', kind: 'text' },
      ]);
      await axeCheck(`${theme} settings`);
      await shot(`08-settings-${theme}`);
    }
  });

  it('"?" lists every shortcut of the table the handlers use, and the keys do what it says', { timeout: 60_000 }, async () => {
    await page.click('[data-testid=folder]');
    await page.waitForSelector('[role=grid]');
    await page.locator('[role=grid]').focus();
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=shortcuts-help]');
    expect(await activeTestId()).toBe('shortcuts-help');
    const listed = await page.locator('[data-testid=shortcut-group]').evaluateAll((groups) =>
      groups.map((g) => ({
        title: g.querySelector('h3')!.textContent,
        rows: [...g.querySelectorAll('[data-testid=shortcut]')].map((r) => ({
          keys: [...r.querySelectorAll('kbd')].map((k) => (k.querySelector('[aria-hidden]') ?? k).textContent),
          does: r.querySelector('dd')!.textContent,
        })),
      })),
    );
    expect(listed).toEqual(
      Object.values(SHORTCUTS).map((g) => ({
        title: g.title,
        rows: (g.shortcuts as readonly Shortcut[]).map((s) => ({ keys: s.keys.map(keyLabel), does: s.does })),
      })),
    );
    for (const theme of THEMES) {
      await setTheme(theme);
      await axeCheck(`${theme} shortcuts overlay`);
      await shot(`09-shortcuts-${theme}`);
    }
    // Tab stays in the dialog; Esc closes it and gives focus back to the grid.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=shortcuts-help]'))).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.locator('[data-testid=shortcuts-help]').count()).toBe(0);
    expect(await activeTestId()).toBe('grid');

    // What the overlay lists, done from the keyboard: each group at least once.
    const selectedCell = () => page.locator('[role=grid]').getAttribute('aria-activedescendant');
    await page.keyboard.press('Home');
    expect(await selectedCell()).toBe('cell-0');
    await page.keyboard.press('ArrowRight');
    expect(await selectedCell()).toBe('cell-1');
    await page.keyboard.press('End');
    expect(await selectedCell()).toBe('cell-7');
    await page.keyboard.press('/');
    expect(await activeTestId()).toBe('search');
    await page.keyboard.type('biscuit?'); // "?" typed into the search box is text, not the overlay
    expect(await page.locator('[data-testid=shortcuts-help]').count()).toBe(0);
    await page.keyboard.press('Escape');
    expect(await page.inputValue('[data-testid=search]')).toBe('');
    await page.keyboard.press('ArrowDown');
    expect(await activeTestId()).toBe('grid');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=photo-caption]');
    const shown = () => page.locator('[data-testid=photo-view]').getAttribute('data-photo-id');
    const first = await shown();
    await page.keyboard.press('ArrowRight');
    await expect.poll(shown).not.toBe(first);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(shown).toBe(first);
    await page.keyboard.press('e');
    await page.waitForSelector('[data-testid=caption-input]');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid=caption-input]').count()).toBe(0);
    // "?" over the photo view, and back to it.
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid=shortcuts-help]');
    await page.keyboard.press('?');
    expect(await activeTestId()).toBe('photo-view');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid=photo-view]').count()).toBe(0);
    await page.keyboard.press('Control+f');
    expect(await activeTestId()).toBe('search');
    // The sidebar's button opens it too.
    await page.click('[data-testid=show-shortcuts]');
    await page.waitForSelector('[data-testid=shortcuts-help]');
    await page.keyboard.press('Escape');
    expect(await activeTestId()).toBe('show-shortcuts');
    expect(problems).toEqual([]);
  });
});
