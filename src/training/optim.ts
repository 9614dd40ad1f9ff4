/**
 * Optimisation: Adam, gradient clipping by global L2 norm, and the learning-rate schedule.
 * Works on named parameter tensors (`Params`) and their gradients of the same names.
 */
import type { FloatArray } from '../model/matmul.js';
import type { Params } from '../model/types.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (AdamW); 0 disables. */
  weightDecay?: number;
}

/** Adam's moment estimates for every parameter it has updated, and its step count. */
export interface AdamState {
  t: number;
  m: Record<string, Float32Array | Float64Array>;
  v: Record<string, Float32Array | Float64Array>;
}

export function createAdamState(): AdamState {
  return { t: 0, m: {}, v: {} };
}

/**
 * One Adam step, in place: for every name in `grads`, updates `params[name]`.
 * Names absent from `grads` (e.g. the stored feature statistics) are left alone.
 */
export function adamStep(
  params: Params,
  grads: Params,
  state: AdamState,
  learningRate: number,
  { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 }: AdamOptions = {},
): void {
  state.t += 1;
  const bc1 = 1 - beta1 ** state.t;
  const bc2 = 1 - beta2 ** state.t;
  const stepSize = learningRate / bc1;
  const invSqrtBc2 = 1 / Math.sqrt(bc2);
  for (const [name, g] of Object.entries(grads)) {
    const w = params[name];
    if (!w) throw new Error(`adam: gradient for unknown parameter ${name}`);
    if (w.length !== g.length) throw new RangeError(`adam: ${name} has ${w.length} values, gradient ${g.length}`);
    let m = state.m[name];
    let v = state.v[name];
    if (!m || m.length !== w.length) {
      // Moments in the parameters' own precision: float32 training streams half the memory.
      m = state.m[name] = w instanceof Float64Array ? new Float64Array(w.length) : new Float32Array(w.length);
      v = state.v[name] = w instanceof Float64Array ? new Float64Array(w.length) : new Float32Array(w.length);
    }
    const decay = weightDecay * learningRate;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const mi = (m[i] = beta1 * m[i] + (1 - beta1) * gi);
      const vi = (v[i] = beta2 * v[i] + (1 - beta2) * gi * gi);
      w[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + epsilon) + decay * w[i];
    }
  }
}

/** Global L2 norm over every gradient tensor. */
export function globalNorm(grads: Params): number {
  let s = 0;
  for (const g of Object.values(grads)) s += sumSquares(g);
  return Math.sqrt(s);
}

function sumSquares(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/**
 * Rescales all gradients together, in place, so their global L2 norm is at most `maxNorm`
 * (default 5). Returns the norm before clipping (NaN/Inf pass through untouched, so the
 * caller can detect them) and whether it clipped.
 */
export function clipGradNorm(grads: Params, maxNorm = 5): { norm: number; clipped: boolean } {
  const norm = globalNorm(grads);
  if (!Number.isFinite(norm) || norm <= maxNorm) return { norm, clipped: false };
  const scale = maxNorm / norm;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] *= scale;
  return { norm, clipped: true };
}

/**
 * Learning rate over training. `progress` is measured in optimizer steps.
 *  - constant: `base` throughout
 *  - step: multiplied by `factor` after every `everyEpochs` epochs
 *  - cosine: from `base` down to `base·minFactor` over `totalSteps`
 * Every kind may warm up linearly from 0 over `warmupSteps`.
 */
export type LrSchedule =
  | { kind: 'constant'; base: number; warmupSteps?: number }
  | { kind: 'step'; base: number; factor: number; everyEpochs: number; warmupSteps?: number }
  | { kind: 'cosine'; base: number; totalSteps: number; minFactor?: number; warmupSteps?: number };

export function learningRate(schedule: LrSchedule, step: number, epoch: number): number {
  let lr: number;
  switch (schedule.kind) {
    case 'constant':
      lr = schedule.base;
      break;
    case 'step':
      lr = schedule.base * schedule.factor ** Math.floor(epoch / Math.max(1, schedule.everyEpochs));
      break;
    case 'cosine': {
      const min = schedule.base * (schedule.minFactor ?? 0);
      const x = Math.min(1, step / Math.max(1, schedule.totalSteps));
      lr = min + (schedule.base - min) * 0.5 * (1 + Math.cos(Math.PI * x));
      break;
    }
  }
  const warm = schedule.warmupSteps ?? 0;
  if (warm > 0 && step < warm) lr *= (step + 1) / warm;
  return lr;
}
