import { afterEach, describe, expect, it } from 'vitest';
import { freezeMatrix, gemm, gemmFrozen, gemmReference, getGemmBackend, setGemmBackend } from '../../src/model/matmul.js';
import { Rng } from '../../src/model/rng.js';
import { normRelError } from './numeric.js';

const initial = getGemmBackend();
afterEach(() => setGemmBackend(initial));

function rand(rng: Rng, n: number): Float32Array {
  return new Float32Array(n).map(() => rng.normal());
}

describe('gemm backends', () => {
  it('the onnx backend equals the float64 reference within 1e-4 on random shapes, transposes, odd sizes, accumulation and bias', () => {
    const rng = new Rng(77);
    const shapes = [
      [1, 1, 1],
      [3, 5, 7],
      [17, 33, 65],
      [70, 130, 151],
      [1, 512, 2700],
      [129, 1, 31],
      [64, 513, 3],
    ];
    for (const [M, K, N] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const [accumulate, withBias] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true],
          ]) {
            const a = rand(rng, M * K),
              b = rand(rng, K * N),
              init = rand(rng, M * N);
            const bias = withBias ? rand(rng, N) : undefined;
            const ref = Float64Array.from(init);
            const bias64 = bias && Float64Array.from(bias);
            gemmReference(Float64Array.from(a), Float64Array.from(b), ref, M, K, N, { transA, transB, accumulate, bias: bias64 });
            setGemmBackend('onnx');
            const out = init.slice();
            gemm(a, b, out, M, K, N, { transA, transB, accumulate, bias });
            const what = `${M}×${K}×${N} tA=${transA} tB=${transB} acc=${accumulate} bias=${withBias}`;
            expect(normRelError(out, ref), what).toBeLessThan(1e-4);
          }
        }
      }
    }
  });

  it('auto keeps float64 on the reference loops (bit-identical to gemmReference)', () => {
    const rng = new Rng(78);
    const [M, K, N] = [70, 90, 110];
    const a = Float64Array.from(rand(rng, M * K)),
      b = Float64Array.from(rand(rng, K * N));
    const x = new Float64Array(M * N),
      y = new Float64Array(M * N);
    setGemmBackend('auto');
    gemm(a, b, x, M, K, N, { transB: false });
    gemmReference(a, b, y, M, K, N);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it('reads only the leading M×K / K×N elements of larger buffers (subarray views)', () => {
    const rng = new Rng(79);
    const big = rand(rng, 1000),
      b = rand(rng, 400);
    const a = big.subarray(100, 100 + 20 * 20);
    setGemmBackend('onnx');
    const out = new Float32Array(20 * 20);
    gemm(a, b, out, 20, 20, 20);
    const ref = new Float64Array(400);
    gemmReference(Float64Array.from(a), Float64Array.from(b), ref, 20, 20, 20);
    expect(normRelError(out, ref)).toBeLessThan(1e-4);
  });

  it('frozen weights give the reference product, with bias or accumulating, and keep a snapshot', () => {
    const rng = new Rng(80);
    for (const [M, K, N] of [
      [1, 512, 2700],
      [3, 256, 2048],
      [7, 33, 65],
      [2, 3, 4],
    ]) {
      const b = rand(rng, K * N),
        bias = rand(rng, N),
        a = rand(rng, M * K),
        init = rand(rng, M * N);
      const w = freezeMatrix(b, K, N, bias);
      const orig = b.slice();
      b.fill(0); // later changes to the source are not seen
      for (const accumulate of [false, true]) {
        const ref = Float64Array.from(init);
        gemmReference(Float64Array.from(a), Float64Array.from(orig), ref, M, K, N, { accumulate, bias: Float64Array.from(bias) });
        const out = init.slice();
        gemmFrozen(a, w, out, M, { accumulate });
        expect(normRelError(out, ref), `${M}×${K}×${N} acc=${accumulate}`).toBeLessThan(1e-4);
      }
    }
  });

  it('int8 frozen weights stay within 2% of float32 and the reference uses the same dequantised matrix', () => {
    const rng = new Rng(81);
    for (const [M, K, N] of [
      [3, 512, 2700],
      [1, 256, 2048],
      [5, 64, 33],
    ]) {
      const b = rand(rng, K * N),
        bias = rand(rng, N),
        a = rand(rng, M * K),
        init = rand(rng, M * N);
      const w = freezeMatrix(b, K, N, bias, { int8: true });
      for (const accumulate of [false, true]) {
        const exact = Float64Array.from(init);
        gemmReference(Float64Array.from(a), Float64Array.from(b), exact, M, K, N, { accumulate, bias: Float64Array.from(bias) });
        setGemmBackend('onnx');
        const out = init.slice();
        gemmFrozen(a, w, out, M, { accumulate });
        expect(normRelError(out, exact), `${M}×${K}×${N} acc=${accumulate}`).toBeLessThan(0.02);
        setGemmBackend('reference');
        const ref = init.slice();
        gemmFrozen(a, w, ref, M, { accumulate });
        expect(normRelError(out, ref)).toBeLessThan(0.02);
        expect(normRelError(ref, exact)).toBeLessThan(0.02);
      }
    }
  });

  it('rejects buffers too small for the stated shape', () => {
    expect(() => gemm(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 3, 2)).toThrow(/A has 5/);
  });
});
