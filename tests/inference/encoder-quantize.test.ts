/**
 * The int8 QDQ quantizer on the bundled float32 MobileNetV2: onnxruntime must fuse every
 * convolution into QLinearConv (otherwise int8 is slower, not faster), and on real photos
 * not used for calibration the pooled features must stay close to float32.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { measureRanges } from '../../src/convert/calibrate.js';
import { quantizeEncoder, uint8Params } from '../../src/convert/quantize.js';
import { preparePhoto } from '../../src/inference/encoder/preprocess.js';
import { datasetPath, modelsDir } from '../../src/shared/paths.js';

const { onnx } = onnxProto;
const FLICKR = datasetPath('flickr8k', 'images');
const photos = readdirSync(FLICKR)
  .filter((f) => f.endsWith('.jpg'))
  .sort();
const S = 224;
const dir = mkdtempSync(join(tmpdir(), 'lenscribe-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pixelsOf(names: string[]): Promise<Uint8Array> {
  const out = new Uint8Array(names.length * S * S * 3);
  for (const [i, n] of names.entries()) out.set((await preparePhoto(join(FLICKR, n), { size: S, thumbnail: false })).input, i * S * S * 3);
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

describe('quantizeEncoder', () => {
  it('keeps zero exact in every uint8 range, which covers min–max to within one step', () => {
    for (const [min, max] of [
      [-1.3, 4.2],
      [0, 6],
      [-7, -2],
      [0, 0],
    ]) {
      const { scale, zeroPoint } = uint8Params(min, max);
      expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= 255).toBe(true);
      expect((0 - zeroPoint) * scale).toBeLessThanOrEqual(Math.min(min, 0) + scale);
      expect((255 - zeroPoint) * scale).toBeGreaterThanOrEqual(Math.max(max, 0) - scale);
    }
  });

  it('fuses every conv into QLinearConv and stays close to float32 on unseen photos', { timeout: 300_000 }, async () => {
    const floatModel = readFileSync(join(modelsDir, 'encoders', 'mobilenet_v2', 'encoder.onnx'));
    const calibration = photos.filter((_, i) => i % 500 === 0).slice(0, 16);
    const unseen = photos.filter((_, i) => i % 500 === 250).slice(0, 8);
    const ranges = await measureRanges(floatModel, { pixels: await pixelsOf(calibration), count: calibration.length, size: S });
    const q = quantizeEncoder(floatModel, ranges);
    expect(q.convs).toBe(52);

    const optimized = join(dir, 'optimized.onnx');
    const int8 = await ort.InferenceSession.create(q.bytes, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      optimizedModelFilePath: optimized,
    });
    const ops = onnx.ModelProto.decode(readFileSync(optimized)).graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'QLinearConv')).toHaveLength(52);
    expect(ops).not.toContain('Conv');
    expect(ops).not.toContain('Clip');

    const float = await ort.InferenceSession.create(floatModel, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    const feeds = { pixels: new ort.Tensor('uint8', await pixelsOf(unseen), [unseen.length, S, S, 3]) };
    const outputs = ['block_10_expand_relu', 'out_relu'];
    const [a, b] = [await float.run(feeds, outputs), await int8.run(feeds, outputs)];
    // Measured on 200 Flickr8k val photos (7-bit weights): cosine mean / min 0.998 / 0.989
    // (block_10) and 0.980 / 0.931 (out_relu); npm run bench -- encoder-fidelity.
    const floor: Record<string, number> = { block_10_expand_relu: 0.985, out_relu: 0.92 };
    for (const name of outputs) {
      const dim = (a[name].dims as number[])[1];
      for (let k = 0; k < unseen.length; k++) {
        const at = (t: ort.Tensor) => (t.data as Float32Array).subarray(k * dim, (k + 1) * dim);
        expect(cosine(at(a[name]), at(b[name])), `${name} photo ${k}`).toBeGreaterThan(floor[name]);
      }
    }
    await Promise.all([float.release(), int8.release()]);
  });
});
