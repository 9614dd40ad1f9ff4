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
import { convertNetwork, NETWORKS } from '../../src/inference/encoder/convert/networks.js';
import { openEncoder } from '../../src/inference/encoder/encoder.js';
import { modelsDir } from '../../src/shared/paths.js';
import { loadTfjsModel, tfjsFeatures } from './encoder-tfjs.js';

const FLICKR = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'flickr8k', 'images');
const photos = readdirSync(FLICKR).filter((f) => f.endsWith('.jpg')).sort();

async function pixelsOf(files: string[], size: number): Promise<Uint8Array> {
  const bufs = await Promise.all(files.map((f) => sharp(join(FLICKR, f)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()));
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
      const fromFile = await enc.encodeTensors(pixels, files.length, spec.outputs.map((o) => o.name));
      for (const o of spec.outputs) expect(maxAbsDiff(fromFile[o.name], got[o.name].data as Float32Array)).toBeLessThan(1e-5);
    } finally {
      await enc.close();
      await session.release();
    }
  });
});
