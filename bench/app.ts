/**
 * `npm run bench -- app [photos]`: the renderer's grid in Debian's Chromium against
 * `lenscribe serve`'s server on a synthetic library of 100k captioned photos (real schema,
 * real thumbnails made from Flickr8k photos), with the same figures on a 1k-photo library as
 * the peer (the grid should not care how big the library is). Figures: first paint (navigation
 * start -> first captioned cell on screen), time until a far-away scroll position is filled,
 * frame intervals while scrolling, and the API's first and deepest page. One JSON line each.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { openApiHost } from '../src/main/api/host.js';
import { Library } from '../src/main/library/library.js';
import { CHROMIUM_ARGS } from '../tests/app/browser.js';
import { startServer } from '../src/main/server/http-server.js';

const N = Number(process.argv[2] ?? 100_000);
const PEER_N = 1_000;
const work = join(tmpdir(), `lenscribe-bench-app-${process.pid}`);
const images = resolve('..', 'shared', 'datasets', 'flickr8k', 'images');
const rendererDir = resolve('dist', 'renderer');
const THUMBS = 24;

function captions(): string[] {
  const out: string[] = [];
  for (const line of readFileSync(resolve('..', 'shared', 'datasets', 'flickr8k', 'captions.jsonl'), 'utf8').split('\n')) {
    if (line.trim()) out.push(...(JSON.parse(line) as { captions: string[] }).captions);
    if (out.length > 20_000) break;
  }
  return out;
}

async function generate(dir: string, n: number, texts: string[]): Promise<void> {
  const lib = Library.open(dir, { registerDefaultModel: false });
  const names = readdirSync(images)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, THUMBS);
  for (let i = 0; i < THUMBS; i++) {
    await sharp(join(images, names[i]))
      .resize(320, 240, { fit: 'cover' })
      .webp({ quality: 70 })
      .toFile(join(lib.thumbsDir(), `bench-${i}.webp`));
  }
  const db = lib.db;
  db.transaction(() => {
    db.prepare(`INSERT INTO folders (id, path, added_at) VALUES (1, ?, 0)`).run(join(dir, 'photos'));
    const p = db.prepare(
      `INSERT INTO photos (id, folder_id, path, name, size, mtime_ms, hash, width, height, status, thumb, caption_id, caption, caption_source, added_at, updated_at)
       VALUES (?, 1, ?, ?, 100000, 0, ?, 640, 480, 'captioned', ?, ?, ?, 'bench', 0, 0)`,
    );
    const c = db.prepare(`INSERT INTO captions (id, photo_id, text, source, created_at) VALUES (?, ?, ?, 'bench', 0)`);
    for (let i = 1; i <= n; i++) {
      const name = `IMG_${String(i).padStart(7, '0')}.jpg`;
      const text = texts[i % texts.length];
      p.run(i, join(dir, 'photos', name), name, i.toString(16).padStart(64, '0'), `bench-${i % THUMBS}.webp`, i, text);
      c.run(i, i, text);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  await lib.close();
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Figures {
  firstPaintMs: number;
  jumpFillP50: number;
  jumpFillP95: number;
  frameP50: number;
  frameP95: number;
  apiFirstPageMs: number;
  apiDeepPageMs: number;
  searchPaintMs: number;
}

async function measure(n: number, texts: string[]): Promise<Figures> {
  const dir = join(work, `lib-${n}`);
  mkdirSync(dir, { recursive: true });
  await generate(dir, n, texts);
  const host = await openApiHost({
    libraryDir: dir,
    capabilities: { pickFolder: false, dropFolders: false },
    watch: false,
    libraryOptions: { registerDefaultModel: false },
  });
  const srv = await startServer({ host, rendererDir });
  const ctx = await chromium.launchPersistentContext(join(work, `profile-${n}`), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    // API pages, timed from Node (the server's own cost, no browser).
    const call = async (input: unknown) => {
      const t = performance.now();
      await fetch(`${srv.origin}/api/photos.list`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Lenscribe-Token': srv.token },
        body: JSON.stringify(input),
      }).then((r) => r.json());
      return performance.now() - t;
    };
    await call({ limit: 300 });
    const first: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < 15; i++) {
      first.push(await call({ limit: 300 }));
      deep.push(await call({ offset: Math.max(0, n - 300), limit: 300 }));
    }

    // tsx keeps function names with a __name helper that the page does not have.
    await ctx.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    // Warm the HTTP cache for the bundle once, as a returning user would have it.
    await page.goto(srv.url);
    await page.waitForSelector('[role=gridcell][data-photo-id]');
    const paints: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.reload();
      await page.waitForFunction(
        () => (document.querySelector('[role=gridcell][data-photo-id] [data-testid=cell-caption]')?.textContent ?? '').length > 3,
      );
      paints.push(await page.evaluate(() => performance.now()));
    }

    // Jumps to far positions: time until the cells there show their photos.
    const jumps: number[] = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid=grid]') as HTMLElement;
      const out: number[] = [];
      let seed = 7;
      const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      for (let k = 0; k < 20; k++) {
        const t = performance.now();
        el.scrollTop = Math.floor(rand() * (el.scrollHeight - el.clientHeight));
        await new Promise<void>((res) => {
          const check = () => {
            const top = el.getBoundingClientRect().top;
            const visible = [...el.querySelectorAll('[role=gridcell]')].filter((c) => {
              const r = c.getBoundingClientRect();
              return r.bottom > top && r.top < top + el.clientHeight;
            });
            if (visible.length > 0 && visible.every((c) => c.hasAttribute('data-photo-id'))) res();
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        });
        out.push(performance.now() - t);
      }
      return out;
    });

    // Continuous scrolling: 240 frames at 120 px per frame; frame-to-frame intervals.
    const frames: number[] = await page.evaluate(async () => {
      const el = document.querySelector('[data-testid=grid]') as HTMLElement;
      el.scrollTop = 0;
      const out: number[] = [];
      let last = performance.now();
      for (let f = 0; f < 240; f++) {
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        out.push(now - last);
        last = now;
        el.scrollTop += 120;
      }
      return out;
    });
    // Search: from the last keystroke to the first highlighted result on screen (includes the
    // 180 ms typing debounce), for common words.
    const searches: number[] = [];
    for (const word of ['dog', 'water', 'man', 'grass', 'ball']) {
      await page.fill('[data-testid=search]', '');
      await page.waitForSelector('[role=gridcell][data-photo-id]');
      const t = await page.evaluate(() => performance.now());
      await page.fill('[data-testid=search]', word);
      await page.waitForFunction(
        (w) => [...document.querySelectorAll('[role=gridcell] mark')].some((m) => m.textContent?.toLowerCase().startsWith(w)),
        word,
      );
      searches.push((await page.evaluate(() => performance.now())) - t);
    }
    await page.fill('[data-testid=search]', '');
    return {
      searchPaintMs: pct(searches, 50),
      firstPaintMs: pct(paints, 50),
      jumpFillP50: pct(jumps, 50),
      jumpFillP95: pct(jumps, 95),
      frameP50: pct(frames, 50),
      frameP95: pct(frames, 95),
      apiFirstPageMs: pct(first, 50),
      apiDeepPageMs: pct(deep, 50),
    };
  } finally {
    await ctx.close();
    await srv.close();
    await host.close();
  }
}

try {
  const texts = captions();
  const big = await measure(N, texts);
  const peer = await measure(PEER_N, texts);
  const line = (figure: string, unit: string, value: number, peerValue: number, extra: Record<string, unknown> = {}) =>
    console.log(
      JSON.stringify({
        bench: 'app',
        figure,
        unit,
        photos: N,
        value: Number(value.toFixed(2)),
        peer: `same measurement, ${PEER_N} photos`,
        peer_value: Number(peerValue.toFixed(2)),
        ratio: Number((value / peerValue).toFixed(3)),
        ...extra,
      }),
    );
  line('grid_first_paint', 'ms', big.firstPaintMs, peer.firstPaintMs, {
    target: '<= 1000 ms',
    note: 'navigation start to first captioned cell, warm HTTP cache, median of 5',
  });
  line('grid_jump_fill_p50', 'ms', big.jumpFillP50, peer.jumpFillP50, {
    note: 'scrollTop to a random position until every visible cell shows its photo',
  });
  line('grid_jump_fill_p95', 'ms', big.jumpFillP95, peer.jumpFillP95);
  line('grid_scroll_frame_p50', 'ms', big.frameP50, peer.frameP50, {
    note: '120 px per frame for 240 frames, headless software rendering',
  });
  line('grid_scroll_frame_p95', 'ms', big.frameP95, peer.frameP95);
  line('search_results_paint', 'ms', big.searchPaintMs, peer.searchPaintMs, {
    note: 'last keystroke to first highlighted result, includes the 180 ms debounce, median of 5 words',
  });
  line('api_photos_list_first_page', 'ms', big.apiFirstPageMs, peer.apiFirstPageMs, { note: '300 photos over HTTP' });
  line('api_photos_list_last_page', 'ms', big.apiDeepPageMs, peer.apiDeepPageMs, { note: '300 photos at the end (OFFSET n-300)' });
} finally {
  rmSync(work, { recursive: true, force: true });
}
