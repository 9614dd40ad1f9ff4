/**
 * The fixed reduction of a grid cell before attention: ResNet-50's 7×7 grid has 2,048 channels
 * per cell, too wide for attention to read at every step of every caption, so an attending
 * decoder keeps a basis of the training grids' top principal subspace and reads
 * v = (g − grid_mean)·grid_basis (P values per cell). Like the feature statistics, the basis is
 * fitted once on training photos, saved with the weights and never trained: attention's own
 * weights (W_key, W_context) act on v, so only the subspace matters, not which vectors span it.
 * The basis is scaled so that v's coordinates have unit variance on average over the P of them.
 */
import { gemm } from './matmul.js';
import { Rng } from './rng.js';

export interface GridBasis {
  /** Dg: the mean training cell. */
  mean: Float32Array;
  /** Dg×P, row-major: orthogonal columns spanning the top-P principal subspace, times one scale. */
  basis: Float32Array;
}

/** Subspace iterations: enough for the leading subspace of image features (eigenvalues fall fast). */
const ITERATIONS = 12;

/**
 * The basis of `cells` sample cells (cells×Dg, e.g. every cell of a few hundred training photos):
 * the covariance's top-P subspace by subspace iteration from a seeded random start.
 */
export function fitGridBasis(samples: Float32Array, cells: number, Dg: number, P: number, seed = 1): GridBasis {
  if (!(Number.isInteger(P) && P >= 1 && P <= Dg)) throw new RangeError(`grid basis: P must be an integer in 1…${Dg}, got ${P}`);
  if (cells < P) throw new RangeError(`grid basis: ${cells} sample cells cannot fit a ${P}-dimensional basis`);
  const mean = new Float64Array(Dg);
  for (let r = 0; r < cells; r++) for (let j = 0; j < Dg; j++) mean[j] += samples[r * Dg + j];
  for (let j = 0; j < Dg; j++) mean[j] /= cells;
  const centred = new Float32Array(cells * Dg);
  for (let r = 0; r < cells; r++) for (let j = 0; j < Dg; j++) centred[r * Dg + j] = samples[r * Dg + j] - mean[j];
  const cov = new Float32Array(Dg * Dg);
  gemm(centred, centred, cov, Dg, cells, Dg, { transA: true });
  for (let i = 0; i < cov.length; i++) cov[i] /= cells;

  // Rows of q (P×Dg) are the basis vectors; q·C is C·qᵀ transposed, since C is symmetric.
  const rng = new Rng(seed);
  let q = new Float32Array(P * Dg);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormaliseRows(q, P, Dg);
  for (let it = 0; it < ITERATIONS; it++) {
    const z = new Float32Array(P * Dg);
    gemm(q, cov, z, P, Dg, Dg);
    orthonormaliseRows(z, P, Dg);
    q = z;
  }
  // Variance along each basis vector, q_p·C·q_p: its mean sets the scale.
  const qc = new Float32Array(P * Dg);
  gemm(q, cov, qc, P, Dg, Dg);
  let variance = 0;
  for (let i = 0; i < q.length; i++) variance += q[i] * qc[i];
  const scale = 1 / Math.sqrt(Math.max(variance / P, 1e-12));
  const basis = new Float32Array(Dg * P);
  for (let p = 0; p < P; p++) for (let j = 0; j < Dg; j++) basis[j * P + p] = q[p * Dg + j] * scale;
  return { mean: Float32Array.from(mean), basis };
}

/** Modified Gram–Schmidt, twice (once is not enough in float32), on the rows of x (rows×cols), in place. */
function orthonormaliseRows(x: Float32Array, rows: number, cols: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let r = 0; r < rows; r++) {
      const ro = r * cols;
      for (let s = 0; s < r; s++) {
        const so = s * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += x[ro + j] * x[so + j];
        for (let j = 0; j < cols; j++) x[ro + j] -= dot * x[so + j];
      }
      let norm = 0;
      for (let j = 0; j < cols; j++) norm += x[ro + j] * x[ro + j];
      norm = Math.sqrt(norm);
      if (!(norm > 1e-20)) throw new Error('grid basis: the sample cells span fewer dimensions than the basis needs');
      for (let j = 0; j < cols; j++) x[ro + j] /= norm;
    }
  }
}

/** The memory values of `cells` grid cells (cells×Dg): (g − mean)·basis, cells×P. */
export function reduceGrid(
  grid: Float32Array,
  cells: number,
  mean: Float32Array,
  basis: Float32Array,
  Dg: number,
  P: number,
): Float32Array {
  if (grid.length < cells * Dg) throw new RangeError(`grid: ${grid.length} values for ${cells} cells of ${Dg}`);
  const centred = new Float32Array(cells * Dg);
  for (let r = 0; r < cells; r++) for (let j = 0; j < Dg; j++) centred[r * Dg + j] = grid[r * Dg + j] - mean[j];
  const out = new Float32Array(cells * P);
  gemm(centred, basis, out, cells, Dg, P);
  return out;
}
