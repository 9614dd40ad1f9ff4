/** Shared helpers for the decoder's numeric tests: centred-difference gradients and relative error. */
import type { Rng } from '../../src/model/rng.js';

export function randn(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/**
 * Numeric gradient of the scalar f() with respect to every element of x (perturbed in place
 * and restored), by centred differences.
 */
export function numericGradient(f: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    x[i] = old + h;
    const fp = f();
    x[i] = old - h;
    const fm = f();
    x[i] = old;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/**
 * Fourth-order centred differences (error O(h⁴)), for deep compositions whose gradients are
 * small next to the loss: a larger step keeps float64 rounding out of the difference.
 */
export function numericGradient4(f: () => number, x: Float64Array, h = 1e-3): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    x[i] = old + 2 * h;
    const f2 = f();
    x[i] = old + h;
    const f1 = f();
    x[i] = old - h;
    const m1 = f();
    x[i] = old - 2 * h;
    const m2 = f();
    x[i] = old;
    g[i] = (8 * (f1 - m1) - (f2 - m2)) / (12 * h); // differences first: equal values give exactly 0
  }
  return g;
}

/** cs231n's relative error: max over elements of |a − b| / max(1e-8, |a| + |b|). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1e-8, Math.abs(a[i]) + Math.abs(b[i]));
    if (e > worst) worst = e;
  }
  return worst;
}

/** ‖a − b‖ / max(‖a‖, ‖b‖): for comparing whole tensors (e.g. float32 against float64). */
export function normRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  const n = Math.sqrt(Math.max(na, nb));
  return n === 0 ? 0 : Math.sqrt(d) / n;
}

/** Σ out ⊙ w: a scalar whose gradient with respect to `out` is `w`. */
export function dot(out: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * w[i];
  return s;
}
