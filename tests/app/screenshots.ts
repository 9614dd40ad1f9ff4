/** Screenshots for a person to look at (test-output/screenshots, not committed), at issue 15's sizes and in both themes. */
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Issue 15's window sizes: a laptop, a small window, a phone through `serve`. */
export const SHOT_SIZES = [
  [1280, 800],
  [800, 600],
  [390, 844],
] as const;

/**
 * Screenshots of the page as it stands, at each of SHOT_SIZES in light and in dark (the app's
 * 'system' theme follows the emulated colour scheme), as `<dir>/<name>-<light|dark>-<w>x<h>.png`;
 * then the window size and colour scheme are put back as they were. For a person to look at.
 * `sizes`: fewer, for what a resize closes (a menu placed at the pointer); `schemes`: one, when
 * the app's theme is set to light or dark and the scheme would not change it.
 */
export async function shotEverySize(
  page: Page,
  dir: string,
  name: string,
  options: { sizes?: ReadonlyArray<readonly [number, number]>; schemes?: ReadonlyArray<'light' | 'dark'> } = {},
): Promise<void> {
  const { sizes = SHOT_SIZES, schemes = ['light', 'dark'] } = options;
  const viewport = page.viewportSize();
  let current = viewport;
  const wasDark = await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches);
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    for (const [width, height] of sizes) {
      if (current?.width !== width || current.height !== height) await page.setViewportSize((current = { width, height }));
      // Two frames: the virtualized grid lays out its rows again after a resize; transitions
      // (the sidebar sliding away when narrow) are finished by the screenshot itself.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: join(dir, `${name}-${colorScheme}-${width}x${height}.png`), animations: 'disabled' });
    }
  }
  await page.emulateMedia({ colorScheme: wasDark ? 'dark' : 'light' });
  if (viewport && (current?.width !== viewport.width || current.height !== viewport.height)) await page.setViewportSize(viewport);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
