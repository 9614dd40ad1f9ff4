/**
 * The fine-tune worker thread: encoder features for the labeled photos the library has not
 * cached, then src/training/teach.ts, posting progress; a 'cancel' message stops it after the
 * batch in flight. The main thread's handle is teach-job.ts (the Teacher).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import { openEncoder } from '../../inference/encoder/index.js';
import { extractFeatures } from '../../inference/feature-cache.js';
import { progressAt, teachModel, TeachError, type LabeledExample } from '../../training/teach.js';
import { loadModelDir, storedOutputNames } from '../../model/model-dir.js';
import type { TeachWorkerInput, TeachWorkerMessage } from './teach-job.js';

const port = parentPort!;
const input = workerData as TeachWorkerInput;
const controller = new AbortController();
port.on('message', (m: { type: string }) => {
  if (m.type === 'cancel') controller.abort();
});
const post = (m: TeachWorkerMessage) => port.postMessage(m);

async function main(): Promise<void> {
  const base = loadModelDir(input.baseDir, { verify: false });
  const missing = input.items.filter((i) => !i.feature);
  const skipped: Array<{ id: number; path: string; reason: string }> = [];
  const features = new Map<number, Float32Array>();
  for (const i of input.items) if (i.feature) features.set(i.id, i.feature);
  if (missing.length > 0) {
    post({
      type: 'progress',
      progress: progressAt({ phase: 'features', epochs: input.options.epochs ?? 8, message: `reading ${missing.length} photos` }),
    });
    const encDir = dirname(base.encoderPath);
    const encoder = await openEncoder({ name: base.manifest.encoder.name, modelsDir: resolve(encDir, '..', '..'), threads: 1 });
    try {
      const r = await extractFeatures(
        encoder,
        missing.map((i) => i.path),
        {
          cacheDir: input.featureCacheDir,
          outputs: storedOutputNames(base.manifest.features),
          flip: base.manifest.features.flipAverage ? 'average' : 'none',
          signal: controller.signal,
        },
      );
      missing.forEach((it, k) => {
        const row = r.rowOf[k];
        if (row >= 0) {
          const f = r.features.slice(row * r.dim, (row + 1) * r.dim);
          features.set(it.id, f);
          post({ type: 'feature', id: it.id, feature: f });
        }
      });
      for (const f of r.failures) {
        const it = missing.find((m) => m.path === f.path);
        if (it) skipped.push({ id: it.id, path: it.path, reason: `${f.kind}: ${f.message}` });
      }
    } finally {
      await encoder.close();
    }
  }
  const labeled: LabeledExample[] = input.items
    .filter((i) => features.has(i.id))
    .map((i) => ({ id: i.id, path: i.path, caption: i.caption, feature: features.get(i.id)! }));
  const result = await teachModel({
    baseDir: input.baseDir,
    labeled,
    outDir: input.outDir,
    name: input.name,
    epochs: input.options.epochs,
    learningRate: input.options.learningRate,
    seed: input.options.seed,
    resume: input.resume,
    provenance: input.provenance,
    signal: controller.signal,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'done', result: { ...result, skipped: [...skipped, ...result.skipped] } });
}

main().catch((e: unknown) => {
  const err = e as Error;
  post({
    type: 'error',
    message: err.message,
    kind: err instanceof TeachError ? err.kind : controller.signal.aborted ? 'cancelled' : 'model',
  });
});
