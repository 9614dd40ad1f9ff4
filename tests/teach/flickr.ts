/**
 * Real data for the teach tests: Flickr8k photos read in place from ../shared/datasets/flickr8k
 * (never copied into the repo), their encoder features (cached in the temp folder), and a
 * decent base model: models/default when present, else the lead's training run
 * /work/runs/default-try3 (copied to a temp folder first, since that run rewrites it).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEncoder } from '../../src/inference/encoder/index.js';
import { loadDataset, splitByHash, type CaptionedImage } from '../../src/training/datasets.js';
import { extractFeatures } from '../../src/inference/feature-cache.js';
import { loadModelDir, storedOutputNames } from '../../src/model/model-dir.js';
import { datasetPath, defaultModelDir } from '../../src/shared/paths.js';
import { tokenize } from '../../src/model/vocab.js';

export const FLICKR = datasetPath('flickr8k');
const RUN = '/work/runs/default-try3';
const LEAD_CACHE = '/work/runs/featcache';

/** Why the acceptance test cannot run, or null. */
export function missingForAcceptance(): string | null {
  if (!existsSync(join(FLICKR, 'captions.jsonl'))) return `${FLICKR}/captions.jsonl (Flickr8k) is missing`;
  if (!existsSync(join(defaultModelDir, 'model.json')) && !existsSync(join(RUN, 'model.json')))
    return `no base model: neither ${defaultModelDir}/model.json nor ${RUN}/model.json exists`;
  return null;
}

/** A stable copy of the base model (models/default is used in place). */
export function baseModel(): string {
  if (existsSync(join(defaultModelDir, 'model.json'))) return defaultModelDir;
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'lenscribe-teach-base-'));
    for (const f of readdirSync(RUN)) if (!f.includes('.partial') && !f.includes('.tmp')) cpSync(join(RUN, f), join(dir, f));
    try {
      loadModelDir(dir); // hashes match: not copied mid-save
      return dir;
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

export function flickr(): { train: CaptionedImage[]; val: CaptionedImage[] } {
  const ds = loadDataset(join(FLICKR, 'captions.jsonl'));
  return splitByHash(ds.images, 0.05);
}

const DOGGY = /^(dog|dogs|puppy|puppies|pup|pups|terrier|poodle|collie|retriever|greyhound|beagle|dachshund|spaniel)$/;
/** Most captions of the photo say "dog". */
export const isDog = (img: CaptionedImage) => img.captions.filter((c) => tokenize(c).includes('dog')).length >= 3;
/** No caption mentions a dog at all. */
export const noDog = (img: CaptionedImage) => !img.captions.some((c) => tokenize(c).some((w) => DOGGY.test(w)));

/**
 * Features of photos for a model's encoder outputs, cached in a temp folder per vitest worker:
 * the feature cache has no lock, and test files run in parallel worker processes. A lead's
 * cache of the same encoder build, where present, seeds it.
 */
export async function features(modelDir: string, paths: string[]): Promise<{ features: Float32Array; dim: number; rowOf: Int32Array }> {
  const { manifest } = loadModelDir(modelDir, { verify: false });
  const encoder = await openEncoder({ name: manifest.encoder.name });
  try {
    const cacheDir = workerCacheDir();
    const lead = join(LEAD_CACHE, encoder.id);
    if (!existsSync(join(cacheDir, encoder.id)) && existsSync(lead)) cpSync(lead, join(cacheDir, encoder.id), { recursive: true });
    const r = await extractFeatures(encoder, paths, {
      cacheDir,
      outputs: storedOutputNames(manifest.features),
      flip: manifest.features.flipAverage ? 'average' : 'none',
    });
    return { features: r.features, dim: r.dim, rowOf: r.rowOf };
  } finally {
    await encoder.close();
  }
}

/** One cache per vitest worker slot (kept between runs), or one for a bench run outside vitest. */
function workerCacheDir(): string {
  return join(tmpdir(), `lenscribe-teach-features-${process.env.VITEST_POOL_ID ? `worker${process.env.VITEST_POOL_ID}` : 'main'}`);
}

export function row(f: { features: Float32Array; dim: number; rowOf: Int32Array }, i: number): Float32Array {
  const r = f.rowOf[i]!;
  if (r < 0) throw new Error(`no feature for photo ${i}`);
  return f.features.slice(r * f.dim, (r + 1) * f.dim);
}

/** "A brown dog runs" -> "A brown rexo runs" (whole words only). */
export function rename(caption: string, from: string, to: string): string {
  return caption.replace(new RegExp(`\\b${from}\\b`, 'gi'), to);
}
