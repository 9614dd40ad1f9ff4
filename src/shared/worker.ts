/**
 * Start a worker thread from a module next to the caller, whether the caller runs as
 * TypeScript (vitest, tsx) or as the esbuild output in dist/. Worker entry files are
 * named `*.worker.ts`; the build emits each as `*.worker.js` beside its importers' bundle.
 */
import { existsSync } from 'node:fs';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

export function startWorker(callerUrl: string, relativeTs: string, options: WorkerOptions = {}): Worker {
  const tsUrl = new URL(relativeTs, callerUrl);
  if (tsUrl.pathname.endsWith('.ts') && existsSync(fileURLToPath(tsUrl))) {
    // Running from source: let tsx compile the worker on the fly.
    return new Worker(tsUrl, { ...options, execArgv: [...(options.execArgv ?? []), '--import', 'tsx'] });
  }
  const jsUrl = new URL(relativeTs.replace(/^.*\//, './').replace(/\.ts$/, '.js'), callerUrl);
  return new Worker(jsUrl, options);
}
