/**
 * What `lenscribe train`, `eval` and `models replay` share over a captioned dataset: reporting the
 * lines the loader skipped, and the encoder features of its photos (extracted once, cached on disk).
 */
import type { Encoder } from '../inference/encoder/index.js';
import { extractFeatures } from '../inference/feature-cache.js';
import { describeProblem, type CaptionedImage, type Dataset } from '../training/datasets.js';
import { bar, formatDuration, type StatusLine } from './ui.js';

/** The first problems of a dataset (skipped lines, missing photos), then how many more. */
export function logDatasetProblems(ds: Pick<Dataset, 'source' | 'problems'>, status: StatusLine): void {
  for (const p of ds.problems.slice(0, 5)) status.log(`lenscribe: ${ds.source}: ${describeProblem(p)} (skipped)`);
  if (ds.problems.length > 5) status.log(`lenscribe: … and ${ds.problems.length - 5} more problems in ${ds.source} (skipped)`);
}

export interface PhotoFeatures {
  features: Float32Array;
  dim: number;
  /** The photos that could be read, in order (rows of `features`). */
  kept: CaptionedImage[];
  failures: number;
  seconds: number;
  computed: number;
}

/** Extract (or read from the cache) features for images; report failures; return rows aligned to `kept`. */
export async function featuresFor(
  encoder: Encoder,
  images: CaptionedImage[],
  outputs: string[],
  cacheDir: string | undefined,
  status: StatusLine,
  label: string,
  flip: 'none' | 'average' = 'none',
): Promise<PhotoFeatures> {
  const r = await extractFeatures(
    encoder,
    images.map((i) => i.path),
    {
      ...(cacheDir ? { cacheDir } : {}),
      outputs,
      flip,
      onProgress: (p) =>
        status.update(
          `${label} ${bar(p.done / Math.max(1, p.total))} ${p.done}/${p.total}` +
            `${p.cached ? ` (${p.cached} cached)` : ''}${p.rate ? ` ${p.rate.toFixed(0)} photos/s ETA ${formatDuration(p.eta)}` : ''}${p.failed ? ` ${p.failed} failed` : ''}`,
        ),
    },
  );
  status.done();
  for (const f of r.failures.slice(0, 5)) status.log(`lenscribe: skipped ${f.path}: ${f.kind}: ${f.message}`);
  if (r.failures.length > 5) status.log(`lenscribe: … and ${r.failures.length - 5} more photos skipped`);
  const kept = images.filter((_, i) => r.rowOf[i] >= 0);
  return { features: r.features, dim: r.dim, kept, failures: r.failures.length, seconds: r.seconds, computed: r.computed };
}

/** Features of a train/validation split with one encoder (closed afterwards); no validation features for an empty validation side. */
export async function splitFeatures(
  encoder: Encoder,
  split: { train: CaptionedImage[]; val: CaptionedImage[] },
  outputs: string[],
  options: { cacheDir: string | undefined; status: StatusLine; flip: 'none' | 'average' },
): Promise<{ train: PhotoFeatures; val: PhotoFeatures | undefined }> {
  const { cacheDir, status, flip } = options;
  try {
    const train = await featuresFor(encoder, split.train, outputs, cacheDir, status, 'features (train)', flip);
    const val =
      split.val.length > 0 ? await featuresFor(encoder, split.val, outputs, cacheDir, status, 'features (val)  ', flip) : undefined;
    return { train, val };
  } finally {
    await encoder.close();
  }
}
