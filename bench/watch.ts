/**
 * `npm run bench -- watch [files] [files-per-folder]`: what watching a big photo tree costs. A tree
 * of `files` small photos (default 200,000, 100 per folder: photos/<year>/<year>-<event>/IMG_n.jpg)
 * is written once (the bytes of one tiny real JPEG, copied, with a few unique bytes after its end
 * marker so every file has its own hash), added to a real Library with captioning off, and then
 * watched in a fresh process each time, so each figure is that process's own:
 *
 * - `library`: Library.watch() as `serve` and the app call it (default limits);
 * - `library-rescans`: the same with the directory limit lowered below the tree (maxDirs), so the
 *   folder falls back to periodic rescans: the new photo arrives with the next rescan, and
 *   `rescan_unchanged_tree_s` is what each rescan of the (unchanged) tree costs;
 * - `chokidar` (the peer): a bare chokidar 5 watch of the same tree with its default options
 *   (ignoreInitial on, as the library ignores the files it already knows).
 *
 * Each prints one JSON line: the watch mode, time to ready, RSS after a full GC, peak RSS, the
 * inotify watches the process holds (Linux), and whether a photo dropped into the tree afterwards
 * was picked up and how fast; the library lines carry the ratio to the peer's RSS.
 * KEEP_DIR=<dir> keeps (and reuses) the tree and its library between runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { datasetPath } from '../src/shared/paths.js';

const here = resolve('bench/watch.ts');
const MB = 2 ** 20;

interface Tree {
  root: string;
  files: number;
  dirs: number;
}

/** inotify watches this process holds (one per watched inode), from /proc/self/fdinfo; null off Linux. */
function inotifyWatches(): number | null {
  if (process.platform !== 'linux') return null;
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let link = '';
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (link !== 'anon_inode:inotify') continue;
    n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('inotify wd:')).length;
  }
  return n;
}

/** One tiny real JPEG: a Flickr8k photo shrunk to 32×24 when the dataset is here, else a generated one. */
async function tinyJpeg(): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  const flickr = datasetPath('flickr8k', 'images');
  const first = existsSync(flickr) ? readdirSync(flickr).find((f) => f.endsWith('.jpg')) : undefined;
  const source = first
    ? sharp(join(flickr, first))
    : sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 120, g: 160, b: 200 } } });
  return source.resize(32, 24).jpeg({ quality: 70 }).toBuffer();
}

/** The JPEG's bytes with `n` after its end marker: still the same picture, another hash. */
function unique(jpeg: Buffer, n: number): Buffer {
  const tail = Buffer.alloc(8);
  tail.writeBigUInt64BE(BigInt(n));
  return Buffer.concat([jpeg, tail]);
}

async function makeTree(work: string, files: number, perDir: number): Promise<Tree> {
  const root = join(work, 'photos');
  const leaves = Math.ceil(files / perDir);
  const years = Math.ceil(leaves / 100);
  const marker = join(work, `tree-${files}-${perDir}.done`);
  if (!existsSync(marker)) {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(work, 'lib'), { recursive: true, force: true });
    const jpeg = await tinyJpeg();
    let written = 0;
    for (let leaf = 0; leaf < leaves; leaf++) {
      const year = 2000 + Math.floor(leaf / 100);
      const dir = join(root, String(year), `${year}-${String(leaf % 100).padStart(2, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (let j = 0; j < perDir && written < files; j++, written++)
        writeFileSync(join(dir, `IMG_${String(j).padStart(4, '0')}.jpg`), unique(jpeg, written));
    }
    writeFileSync(marker, '');
  }
  return { root, files, dirs: 1 + years + leaves };
}

function child(phase: string, work: string, tree: Tree): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', here, '--phase', phase, work, tree.root], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * MB,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`bench watch: phase ${phase} failed (exit ${r.status}): ${r.stdout.slice(-2000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

// --- the phases, each in its own process ---------------------------------------------------------

const gc = (): void => {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
};
const rssMb = () => Math.round(process.memoryUsage().rss / MB);
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** A photo dropped into a folder deep in the tree, and how long until `seen` says it arrived (ms, or null). */
async function dropPhoto(root: string, seen: (path: string) => boolean, withinMs: number): Promise<number | null> {
  const leaves = readdirSync(root).sort();
  const year = join(root, leaves[Math.floor(leaves.length / 2)]);
  const events = readdirSync(year).sort();
  const path = join(year, events[Math.floor(events.length / 2)], `NEW_${process.pid}.jpg`);
  const jpeg = await tinyJpeg();
  const t0 = performance.now();
  writeFileSync(path, unique(jpeg, 1e9 + process.pid));
  try {
    while (performance.now() - t0 < withinMs) {
      if (seen(path)) return Math.round(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  } finally {
    rmSync(path, { force: true });
  }
}

async function phaseIngest(work: string, root: string): Promise<Record<string, unknown>> {
  const { Library } = await import('../src/main/library/library.js');
  const lib = Library.open(join(work, 'lib'), { registerDefaultModel: false, autoCaption: false, importMetadata: false });
  const t0 = performance.now();
  const { scan } = await lib.addFolder(root, { caption: false });
  await lib.close();
  return { phase: 'ingest', photos: scan.scanned, added: scan.added, seconds: +((performance.now() - t0) / 1000).toFixed(1) };
}

async function phaseLibrary(work: string, root: string, rescans: boolean): Promise<Record<string, unknown>> {
  const { Library } = await import('../src/main/library/library.js');
  const lib = Library.open(join(work, 'lib'), { registerDefaultModel: false, autoCaption: false, importMetadata: false });
  const warnings: string[] = [];
  lib.on('warning', (w) => warnings.push(w));
  gc();
  const rssOpen = rssMb();
  // Rescans: a limit of 10 folders puts the tree over it; a rescan every 2 s shows a rescan's cost.
  const options = rescans ? ({ maxDirs: 10, rescanEveryMs: 2000 } as Record<string, unknown>) : {};
  const t0 = performance.now();
  await lib.watch(options);
  const readyMs = Math.round(performance.now() - t0);
  gc();
  const rssReady = rssMb();
  const watches = inotifyWatches();
  const folder = lib.listFolders()[0] as unknown as Record<string, unknown>;
  const pickedUpMs = await dropPhoto(root, (p) => lib.photoIdByPath(p) !== null, rescans ? 600_000 : 60_000);
  // What each periodic rescan costs: the same walk (FolderSync.rescan) over the unchanged tree.
  let rescanS: number | null = null;
  if (rescans) {
    const t1 = performance.now();
    await lib.rescan(Number(folder.id), { caption: false });
    rescanS = +((performance.now() - t1) / 1000).toFixed(1);
  }
  gc();
  const rssAfter = rssMb();
  await lib.close();
  return {
    phase: rescans ? 'library-rescans' : 'library',
    watch: folder.watch ?? 'events (chokidar)',
    ready_ms: readyMs,
    rss_mb_open_before_watch: rssOpen,
    rss_mb_after_gc_watching: rssReady,
    rss_mb_after_gc_at_end: rssAfter,
    peak_rss_mb: peakMb(),
    inotify_watches: watches,
    new_photo_picked_up: pickedUpMs !== null,
    pickup_ms: pickedUpMs,
    rescan_unchanged_tree_s: rescanS,
    warnings: warnings.length,
    first_warning: warnings[0]?.slice(0, 200) ?? null,
  };
}

async function phaseChokidar(root: string): Promise<Record<string, unknown>> {
  const { watch } = await import('chokidar');
  gc();
  const rssOpen = rssMb();
  const errors: string[] = [];
  const added = new Set<string>();
  const t0 = performance.now();
  const w = watch(root, { ignoreInitial: true });
  w.on('error', (e) => errors.push((e as Error).message));
  w.on('add', (p) => added.add(p));
  await new Promise<void>((r) => w.once('ready', () => r()));
  const readyMs = Math.round(performance.now() - t0);
  gc();
  const rssReady = rssMb();
  const watches = inotifyWatches();
  const pickedUpMs = await dropPhoto(root, (p) => added.has(p), 60_000);
  await w.close();
  return {
    phase: 'chokidar',
    watch: 'events (bare chokidar 5, default options, ignoreInitial)',
    ready_ms: readyMs,
    rss_mb_open_before_watch: rssOpen,
    rss_mb_after_gc_watching: rssReady,
    peak_rss_mb: peakMb(),
    inotify_watches: watches,
    new_photo_picked_up: pickedUpMs !== null,
    pickup_ms: pickedUpMs,
    warnings: errors.length,
    first_warning: errors[0]?.slice(0, 200) ?? null,
  };
}

// --- main -----------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--phase') {
  const [, phase, work, root] = argv;
  const out =
    phase === 'ingest'
      ? await phaseIngest(work, root)
      : phase === 'chokidar'
        ? await phaseChokidar(root)
        : await phaseLibrary(work, root, phase === 'library-rescans');
  console.log(JSON.stringify(out));
  process.exit(0); // a watcher closed late must not keep the phase alive
} else {
  const [files = 200_000, perDir = 100] = argv.map(Number).filter((n) => n > 0);
  const work = process.env.KEEP_DIR ?? join(tmpdir(), `lenscribe-bench-watch-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const maxWatches = process.platform === 'linux' ? Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')) : null;
  try {
    const t0 = performance.now();
    const tree = await makeTree(work, files, perDir);
    const generateS = +((performance.now() - t0) / 1000).toFixed(1);
    const ingest = existsSync(join(work, 'lib', 'library.db')) ? { phase: 'ingest', reused: true } : child('ingest', work, tree);
    const base = { bench: 'watch', files: tree.files, dirs: tree.dirs, max_user_watches: maxWatches };
    const peer = child('chokidar', work, tree);
    const phases = (process.env.BENCH_WATCH_PHASES ?? 'library,library-rescans').split(',');
    for (const phase of phases) {
      const r = child(phase, work, tree);
      const ratio = +(Number(r.rss_mb_after_gc_watching) / Number(peer.rss_mb_after_gc_watching)).toFixed(3);
      console.log(JSON.stringify({ ...base, ...r, rss_ratio_to_chokidar: ratio, generate_tree_s: generateS, ingest }));
    }
    console.log(JSON.stringify({ ...base, ...peer }));
  } finally {
    if (!process.env.KEEP_DIR) rmSync(work, { recursive: true, force: true });
  }
}
