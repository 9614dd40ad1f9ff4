/**
 * Shared by the browser tests: start `lenscribe serve` (from the build) on a library, call its
 * API with the token, and open Chromium (Debian's here, or an installed Chrome or Edge: see
 * `findChromium`) with playwright-core on a fresh profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's `chromium` package: what this machine and `.ci/run` use, so it wins over any other install. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumLookup {
  env?: Record<string, string | undefined>;
  exists?: (path: string) => boolean;
  platform?: NodeJS.Platform;
}

/** An environment variable by name, in any case: Windows' names are case-insensitive (`ProgramFiles`, `PROGRAMFILES`). */
function envVar(env: Record<string, string | undefined>, name: string): string | undefined {
  const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : env[key] || undefined;
}

/** Where Chrome, Chromium and Edge install themselves, in the order tried after `DEBIAN_CHROMIUM`. */
export function chromiumCandidates(platform: NodeJS.Platform, env: Record<string, string | undefined>): string[] {
  if (platform === 'darwin') {
    const apps = [
      'Google Chrome.app/Contents/MacOS/Google Chrome',
      'Chromium.app/Contents/MacOS/Chromium',
      'Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
    const home = envVar(env, 'HOME');
    return [...apps.map((a) => posix.join('/Applications', a)), ...(home ? apps.map((a) => posix.join(home, 'Applications', a)) : [])];
  }
  if (platform === 'win32') {
    // Per-machine installs first, then the per-user one (Chrome installed without administrator rights).
    const roots = [
      envVar(env, 'ProgramFiles') ?? 'C:\\Program Files',
      envVar(env, 'ProgramFiles(x86)') ?? 'C:\\Program Files (x86)',
      envVar(env, 'LOCALAPPDATA'),
    ].filter((r): r is string => !!r);
    // win32.join turns the slashes into backslashes.
    const exes = ['Google/Chrome/Application/chrome.exe', 'Chromium/Application/chrome.exe', 'Microsoft/Edge/Application/msedge.exe'];
    return [...new Set(exes.flatMap((exe) => roots.map((root) => win32.join(root, exe))))];
  }
  const names = ['chromium-browser', 'google-chrome', 'google-chrome-stable'];
  return [
    ...['/usr/bin', '/usr/local/bin'].flatMap((d) => names.map((n) => posix.join(d, n))),
    '/opt/google/chrome/chrome',
    '/usr/bin/microsoft-edge',
    '/opt/microsoft/msedge/msedge',
    '/snap/bin/chromium',
  ];
}

/**
 * The Chromium-family browser the tests drive: `LENSCRIBE_CHROMIUM` if set (it must exist), else
 * Debian's `/usr/bin/chromium`, else the first of `chromiumCandidates` present. Throws, saying how
 * to fix it, when there is none. `lookup` replaces the environment, filesystem and platform (unit tests).
 */
export function findChromium(lookup: ChromiumLookup = {}): string {
  const env = lookup.env ?? process.env;
  const exists = lookup.exists ?? existsSync;
  const platform = lookup.platform ?? process.platform;
  const fromEnv = envVar(env, 'LENSCRIBE_CHROMIUM');
  if (fromEnv !== undefined) {
    if (exists(fromEnv)) return fromEnv;
    throw new Error(
      `LENSCRIBE_CHROMIUM is ${fromEnv}, which does not exist: point it at a Chromium, Chrome or Edge executable, or unset it`,
    );
  }
  const tried = [DEBIAN_CHROMIUM, ...chromiumCandidates(platform, env)];
  const found = tried.find((p) => exists(p));
  if (found) return found;
  throw new Error(
    'No Chromium, Chrome or Edge for the browser tests. Install Chromium (Debian: apt-get install -y chromium; .ci/run does this) ' +
      `or set LENSCRIBE_CHROMIUM to the browser's executable. Looked at: ${tried.join(', ')}`,
  );
}

// Chromium switches, all Chrome's and Edge's too (playwright-core adds --headless and --no-sandbox itself as well).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Serve {
  proc: ChildProcess;
  url: string;
  origin: string;
  token: string;
  stderr(): string;
}

/** `watch`: let serve watch the library's folders (off by default: most tests want a still library). */
export async function startServe(library: string, env: Record<string, string> = {}, options: { watch?: boolean } = {}): Promise<Serve> {
  const args = ['bin/lenscribe.js', 'serve', '--library', library, '--json', ...(options.watch ? [] : ['--no-watch'])];
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
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
  return { proc, url, origin: u.origin, token: u.searchParams.get('token')!, stderr: () => err };
}

export async function stopServe(serve: Serve | null, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!serve || serve.proc.exitCode !== null || serve.proc.signalCode !== null) return;
  await new Promise<void>((resolvePromise) => {
    serve.proc.once('exit', () => resolvePromise());
    serve.proc.kill(signal);
  });
}

export async function callApi<T>(serve: Serve, method: string, input: unknown = {}): Promise<T> {
  const res = await fetch(`${serve.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Lenscribe-Token': serve.token },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
  if (!body.ok) throw new Error(body.error?.message);
  return body.result;
}

export async function openBrowser(profileDir: string): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await chromium.launchPersistentContext(join(profileDir, 'chromium-profile'), {
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return { context, page, problems };
}

/** The grid's cells (only the rows on screen exist). */
export const gridCells = (page: Page) => page.locator('[data-testid=grid] [role=gridcell]');

/** Add the library's first folder from the first-run screen's form, and wait until the grid shows its `cells` photos (or any). */
export async function addFirstFolder(page: Page, folder: string, cells?: number): Promise<void> {
  await page.fill('#folder-path-large', folder);
  await page.click('.first-run [data-testid=add-folder]');
  const shown = (n: number) => (cells === undefined ? n > 0 : n === cells);
  await waitFor(() => gridCells(page).count(), shown, 30_000, `${cells ?? 'some'} photos in the grid`);
}

/** Wait until `n` photos of the library are captioned. */
export async function waitCaptioned(serve: Serve, n: number, timeout = 90_000): Promise<void> {
  const captioned = () => callApi<{ total: number }>(serve, 'photos.list', { status: 'captioned', limit: 1 }).then((p) => p.total);
  await waitFor(captioned, (c) => c === n, timeout, `${n} photos captioned`);
}

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeout: number, what: string): Promise<void> {
  let last: T | undefined;
  for (const end = Date.now() + timeout; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (done((last = await read()))) return;
  throw new Error(`waited ${timeout} ms for ${what}; last saw ${JSON.stringify(last)}`);
}
