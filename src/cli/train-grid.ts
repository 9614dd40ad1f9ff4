/**
 * `lenscribe train --attention` and `lenscribe eval` of a decoder with attention: each photo's
 * spatial grid (the encoder's `grid` output, e.g. ResNet-50's last block, 7×7×2048), extracted once
 * and cached like the features. Training fits the decoder's fixed grid basis on a sample of its
 * training photos (src/model/grid-basis.ts) and keeps only the reduced memory of every photo
 * (G×P floats, an eighth of the grid at P = 256), so 6,548 photos take 330 MB rather than 2.6 GB.
 */
import { openEncoder, type Encoder } from '../inference/encoder/index.js';
import { fitGridBasis, reduceGrid, type GridBasis } from '../model/grid-basis.js';
import type { CaptionedImage } from '../training/datasets.js';
import { featuresFor } from './dataset-features.js';
import { UserError } from '../shared/errors.js';
import type { StatusLine } from './ui.js';

/** What an attending decoder reads per grid cell (P) and the size of its keys and queries (A). */
export const MEMORY_DIM = 256;
export const ATTENTION_DIM = 256;
/** Training photos whose every cell the basis is fitted on (evenly spread over the training set). */
const BASIS_PHOTOS = 300;
/** Photos reduced at a time, so the raw grids of only this many are held at once. */
const CHUNK = 512;

export interface GridOutput {
  name: string;
  /** G: cells (7×7 = 49). */
  cells: number;
  /** Dg: channels per cell. */
  dim: number;
}

/** The encoder's spatial-grid output (its card's role "grid"), or a UserError naming what it offers. */
export function gridOutputOf(encoder: Encoder, name?: string): GridOutput {
  const grids = encoder.card.outputs.filter((o) => o.kind === 'grid' && o.dims.length === 3);
  const o = name ? grids.find((g) => g.name === name) : grids[0];
  if (!o) {
    throw new UserError(
      name
        ? `the encoder ${encoder.card.name} has no spatial grid output ${name}`
        : `--attention needs an encoder with a spatial grid output; ${encoder.card.name} has none`,
    );
  }
  return { name: o.name, cells: o.dims[0] * o.dims[1], dim: o.dims[2] };
}

/**
 * The grids of `images` (all of which already gave features: a photo that fails now is an error,
 * since rows must stay aligned with the features), n×G×Dg.
 */
export async function photoGrids(
  encoder: Encoder,
  images: CaptionedImage[],
  grid: GridOutput,
  cacheDir: string | undefined,
  status: StatusLine,
  label: string,
): Promise<Float32Array> {
  const f = await featuresFor(encoder, images, [grid.name], cacheDir, status, label);
  if (f.kept.length !== images.length) {
    const lost = images.find((img, i) => f.kept[i] !== img) ?? images[f.kept.length];
    throw new UserError(`${lost.path}: gave features but not its ${grid.name} grid`);
  }
  return f.features;
}

export interface TrainGrids {
  grid: GridOutput;
  basis: GridBasis;
  /** Training photos × G × P. */
  trainMemory: Float32Array;
  /** Validation photos' raw grids (× G × Dg, what captioning reads) and their memory (for the validation loss). */
  valGrid?: Float32Array;
  valMemory?: Float32Array;
  seconds: number;
}

/** Grids of both sides of the split; the basis from the training side; every photo's memory. */
export async function trainGrids(
  encoderName: string,
  split: { train: CaptionedImage[]; val: CaptionedImage[] | undefined },
  options: { cacheDir: string | undefined; threads?: number; status: StatusLine },
): Promise<TrainGrids> {
  const { cacheDir, status } = options;
  const t0 = performance.now();
  const encoder = await openEncoder({
    name: encoderName,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    log: (line) => status.log(line),
  });
  try {
    const grid = gridOutputOf(encoder);
    const { train } = split;
    const P = Math.min(MEMORY_DIM, grid.dim);
    const step = Math.max(1, Math.floor(train.length / BASIS_PHOTOS));
    const sample = train.filter((_, i) => i % step === 0).slice(0, BASIS_PHOTOS);
    const sampleGrids = await photoGrids(encoder, sample, grid, cacheDir, status, 'grids (basis)');
    const basis = fitGridBasis(sampleGrids, sample.length * grid.cells, grid.dim, P, 1);
    status.log(
      `grid: ${grid.name} (${grid.cells} cells × ${grid.dim}), basis of ${P} fitted on every cell of ${sample.length} training photos`,
    );
    const trainMemory = new Float32Array(train.length * grid.cells * P);
    for (let b = 0; b < train.length; b += CHUNK) {
      const chunk = train.slice(b, b + CHUNK);
      const raw = await photoGrids(encoder, chunk, grid, cacheDir, status, `grids (train ${b + chunk.length}/${train.length})`);
      trainMemory.set(reduceGrid(raw, chunk.length * grid.cells, basis.mean, basis.basis, grid.dim, P), b * grid.cells * P);
    }
    const val = split.val && split.val.length > 0 ? split.val : undefined;
    const valGrid = val ? await photoGrids(encoder, val, grid, cacheDir, status, 'grids (val)  ') : undefined;
    const valMemory = val && valGrid ? reduceGrid(valGrid, val.length * grid.cells, basis.mean, basis.basis, grid.dim, P) : undefined;
    return {
      grid,
      basis,
      trainMemory,
      ...(valGrid ? { valGrid, valMemory } : {}),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await encoder.close();
  }
}
