/**
 * Shared by the browser tests: start `lenscribe serve` (from the build) on a library, call its
 * API with the token, and open Debian's Chromium with playwright-core on a fresh profile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

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
    executablePath: '/usr/bin/chromium',
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
