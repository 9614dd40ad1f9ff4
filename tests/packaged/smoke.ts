/**
 * Smoke test of a packaged Lenscribe (the release workflow runs it on each OS's unpacked build;
 * it needs Electron's real binary, so it cannot run on the development machines):
 *   tsx tests/packaged/smoke.ts <app executable>        (Linux: under xvfb-run)
 * Starts the app on a fresh library with playwright-core, waits for the first-run screen, adds
 * samples/ through the window's own API bridge, waits until every photo is captioned, searches
 * for a dog, and prints the captions, the hit and which ONNX execution provider the encoder ran on.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron as electron, type Page } from 'playwright-core';
import type { Folder, PhotoPage, SearchResult } from '../../src/shared/api-contract.js';

const executable = process.argv[2];
if (!executable) {
  console.error('usage: tsx tests/packaged/smoke.ts <packaged app executable>');
  process.exit(1);
}
const samples = resolve(import.meta.dirname, '..', '..', 'samples');
const library = mkdtempSync(join(tmpdir(), 'lenscribe-smoke-'));
const CAPTION_TIMEOUT_MS = 10 * 60_000;

/** One call through `window.lenscribe`, the preload's bridge: the same IPC path the renderer uses. */
async function call<T>(page: Page, method: string, input?: unknown): Promise<T> {
  const reply = (await page.evaluate(
    ([m, i]) => (window as unknown as { lenscribe: { call(m: string, i: unknown): Promise<unknown> } }).lenscribe.call(m, i),
    [method, input] as const,
  )) as { ok: true; result: T } | { ok: false; error: { code: string; message: string } };
  if (!reply.ok) throw new Error(`${method}: ${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}

let stderr = '';
const app = await electron.launch({
  executablePath: resolve(executable),
  // Linux runners cannot use Chromium's setuid sandbox in an unpacked build; the renderer's own
  // sandbox (contextIsolation, sandboxed preload) stays on.
  args: [...(process.platform === 'linux' ? ['--no-sandbox'] : []), '--library', library],
  timeout: 120_000,
});
app.process().stderr?.on('data', (d) => (stderr += String(d)));
try {
  const page = await app.firstWindow({ timeout: 120_000 });
  await page.getByTestId('first-run').waitFor({ timeout: 120_000 });
  console.log('first-run screen shown');

  const added = await call<{ outcome: string }>(page, 'folders.add', { path: samples });
  if (added.outcome !== 'added') throw new Error(`folders.add: ${JSON.stringify(added)}`);
  const deadline = Date.now() + CAPTION_TIMEOUT_MS;
  let folder: Folder | undefined;
  for (;;) {
    [folder] = await call<Folder[]>(page, 'folders.list');
    if (folder && folder.photoCount > 0 && folder.pendingCount === 0 && folder.status !== 'scanning') break;
    if (Date.now() > deadline) throw new Error(`captioning did not finish: ${JSON.stringify(folder)}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const photos = await call<PhotoPage>(page, 'photos.list', { folderId: folder.id, limit: 100 });
  for (const p of photos.items) console.log(`${p.relPath}\t${p.caption ?? '(no caption)'}`);
  if (folder.captionedCount !== folder.photoCount) throw new Error(`${folder.captionedCount} of ${folder.photoCount} photos captioned`);

  const found = await call<SearchResult>(page, 'search', { query: 'dog' });
  if (found.total === 0) throw new Error('search for "dog" found nothing');
  console.log(`search "dog": ${found.total} photos, first ${found.hits[0].photo.relPath}`);

  const provider = /encoder: running on [^\n]*/.exec(stderr)?.[0] ?? 'encoder: no provider line in the app log';
  console.log(provider);
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(
      process.env.GITHUB_STEP_SUMMARY,
      `${process.platform}-${process.arch}: ${provider}; ${folder.captionedCount} photos captioned\n`,
    );
} catch (err) {
  console.error(`smoke test failed: ${(err as Error).message}\n--- app stderr ---\n${stderr}`);
  process.exitCode = 1;
} finally {
  await app.close().catch(() => undefined);
  rmSync(library, { recursive: true, force: true });
}
