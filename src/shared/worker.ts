/**
 * Start a worker thread from a module next to the caller, whether the caller runs as
 * TypeScript (vitest, tsx) or as the esbuild output in dist/. Worker entry files are
 * named `*.worker.ts`; the build emits each as `*.worker.js` beside its importers' bundle.
 */
import { existsSync } from 'node:fs';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { disableOrtTelemetry } from './ort-telemetry.js';

export function startWorker(callerUrl: string, relativeTs: string, options: WorkerOptions = {}): Worker {
  disableOrtTelemetry(); // workers load onnxruntime, and cannot set the variable themselves
  const tsUrl = new URL(relativeTs, callerUrl);
  if (callerUrl.endsWith('.ts') && existsSync(fileURLToPath(tsUrl))) {
    // Running from source. Node 20 does not apply a worker's `execArgv: ['--import', 'tsx']` to a
    // .ts entry ("unknown file extension"), so a tiny ESM entry registers tsx, then imports it.
    const api = import.meta.resolve('tsx/esm/api');
    const shim = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(tsUrl.href)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(shim)}`), options);
  }
  const jsUrl = new URL(relativeTs.replace(/^.*\//, './').replace(/\.ts$/, '.js'), callerUrl);
  return new Worker(jsUrl, options);
}
