/**
 * The converted encoders against tfjs running the same Keras models on real photos, and the
 * committed model cards against a fresh conversion (sha256).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadCard } from '../../src/inference/encoder/card.js';
import { generateEncoder } from '../../src/convert/build.js';
import { activationTensors } from '../../src/convert/quantize.js';
import { convertNetwork, NETWORKS } from '../../src/convert/networks.js';
import { openEncoder } from '../../src/inference/encoder/encoder.js';
import { datasetPath, modelsDir } from '../../src/shared/paths.js';
import { loadTfjsModel, tfjsFeatures } from './encoder-tfjs.js';

const FLICKR = datasetPath('flickr8k', 'images');
const photos = readdirSync(FLICKR)
  .filter((f) => f.endsWith('.jpg'))
  .sort();

async function pixelsOf(files: string[], size: number): Promise<Uint8Array> {
  const bufs = await Promise.all(
    files.map((f) => sharp(join(FLICKR, f)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  return new Uint8Array(Buffer.concat(bufs));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each([
  // tfjs's pure-JS CPU backend needs ~1.5 s per MobileNetV2 image and ~18 s per InceptionV3 image.
  { name: 'mobilenet_v2', picks: [0, 1500, 4000] },
  { name: 'inception_v3', picks: [2500] },
])('$name', ({ name, picks }) => {
  it('regenerating from the installed nsfwjs gives the sha256 in the committed card', () => {
    const card = loadCard(name, modelsDir);
    const converted = convertNetwork(name);
    expect(createHash('sha256').update(converted.bytes).digest('hex')).toBe(card.sha256);
    expect(converted.bytes.length).toBe(card.bytes);
    expect(card.source).toMatchObject({ package: 'nsfwjs' });
    expect(card.licence).toBe('MIT');
    for (const o of card.outputs) expect(converted.outputDims[o.name]).toEqual(o.dims);
  });

  // tfjs is slow and the machine is shared: a generous limit, the work itself is bounded.
  it('features and the 5-class head match tfjs on real photos within 1e-4', { timeout: 600_000 }, async () => {
    const spec = NETWORKS[name];
    const files = picks.map((i) => photos[i]);
    const withHead = convertNetwork(name, { withHead: true });
    const size = withHead.inputSize[0];
    const pixels = await pixelsOf(files, size);
    const outputs = [...spec.outputs, spec.head];

    const session = await ort.InferenceSession.create(withHead.bytes);
    const got = await session.run({ pixels: new ort.Tensor('uint8', pixels, [files.length, size, size, 3]) });
    const ref = tfjsFeatures(await loadTfjsModel(spec.nsfwjsModel), pixels, files.length, [size, size], outputs);

    for (const o of outputs) {
      const diff = maxAbsDiff(got[o.name].data as Float32Array, ref[o.name]);
      expect(diff, `${o.name} max abs diff`).toBeLessThan(1e-4);
    }
    // The head is a softmax over nsfwjs's classes; these are ordinary Flickr photos, so it
    // must also agree on the winning class (index 2 = Neutral for these picks).
    const probs = got.nsfw_probs.data as Float32Array;
    for (let i = 0; i < files.length; i++) {
      const row = Array.from(probs.slice(i * 5, i * 5 + 5));
      const refRow = Array.from(ref.nsfw_probs.slice(i * 5, i * 5 + 5));
      expect(row.indexOf(Math.max(...row))).toBe(refRow.indexOf(Math.max(...refRow)));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }

    // The encoder file the app runs (built by npm ci) gives the same features as the
    // verified conversion.
    const enc = await openEncoder({ name, provider: 'cpu', log: () => {} });
    try {
      const fromFile = await enc.encodeTensors(
        pixels,
        files.length,
        spec.outputs.map((o) => o.name),
      );
      for (const o of spec.outputs) expect(maxAbsDiff(fromFile[o.name], got[o.name].data as Float32Array)).toBeLessThan(1e-5);
    } finally {
      await enc.close();
      await session.release();
    }
  });
});

describe('mobilenet_v2_int8', () => {
  it('regenerating from nsfwjs and the committed calibration.json gives the sha256 in the committed card', () => {
    const card = loadCard('mobilenet_v2_int8', modelsDir);
    const g = generateEncoder('mobilenet_v2_int8', modelsDir);
    expect(g.sha256).toBe(card.sha256);
    expect(g.bytes.length).toBe(card.bytes);
    // The ranges were measured on this very float conversion and cover every activation.
    expect(g.quantized!.calibration.from.sha256).toBe(loadCard('mobilenet_v2', modelsDir).sha256);
    expect(Object.keys(g.quantized!.calibration.ranges).sort()).toEqual(activationTensors(g.converted!.bytes).sort());
    expect(card.quantization?.fidelity).toMatch(/cosine/);
  });

  it('is a drop-in for mobilenet_v2: same input and outputs, features close to float32', { timeout: 120_000 }, async () => {
    const [int8, float] = [loadCard('mobilenet_v2_int8', modelsDir), loadCard('mobilenet_v2', modelsDir)];
    expect(int8.input).toEqual(float.input);
    expect(int8.outputs).toEqual(float.outputs);
    const files = [photos[123], photos[4567]];
    const pixels = await pixelsOf(files, 224);
    const names = float.outputs.map((o) => o.name);
    const encoders = await Promise.all([
      openEncoder({ name: 'mobilenet_v2_int8', provider: 'cpu', log: () => {} }),
      openEncoder({ name: 'mobilenet_v2', provider: 'cpu', log: () => {} }),
    ]);
    try {
      const [q, f] = await Promise.all(encoders.map((e) => e.encodeTensors(pixels, files.length, names)));
      for (const o of float.outputs) {
        const dim = o.dims.reduce((a, b) => a * b, 1);
        expect(q[o.name].length).toBe(files.length * dim);
        for (let k = 0; k < files.length; k++) {
          const [a, b] = [q[o.name].subarray(k * dim, (k + 1) * dim), f[o.name].subarray(k * dim, (k + 1) * dim)];
          let dot = 0;
          let na = 0;
          let nb = 0;
          for (let i = 0; i < dim; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
          }
          // Card (npm run bench -- encoder-fidelity): cosine min 0.9306 (out_relu) over 200 validation photos.
          expect(dot / Math.sqrt(na * nb), `${o.name} photo ${k}`).toBeGreaterThan(0.9);
        }
      }
    } finally {
      await Promise.all(encoders.map((e) => e.close()));
    }
  });
});
