/**
 * The COCO detector encoder (a tfjs graph model converted by tfjs-graph-to-onnx.ts) against
 * tfjs running the very same committed model.json and weights, on real photos; and the
 * committed card against a fresh conversion.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadCard } from '../../src/inference/encoder/card.js';
import { generateEncoder } from '../../src/convert/build.js';
import { GRAPH_NETWORKS } from '../../src/convert/networks.js';
import { convertTfjsGraph, readTfjsGraphModel } from '../../src/convert/tfjs-graph-to-onnx.js';
import { openEncoder } from '../../src/inference/encoder/encoder.js';
import { modelsDir } from '../../src/shared/paths.js';

const NAME = 'mobilenet_v3_centernet';
const spec = GRAPH_NETWORKS[NAME]!;
const source = join(modelsDir, 'encoders', NAME, 'source');
const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');
/** COCO class indices (the detector's 80 outputs, in COCO order). */
const COCO = { person: 0, dog: 16, horse: 17, kite: 33, cup: 41 };

async function pixelsOf(files: string[], size: number): Promise<Uint8Array> {
  const bufs = await Promise.all(
    files.map((f) => sharp(join(SAMPLES, f)).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
  );
  return new Uint8Array(Buffer.concat(bufs));
}

describe(NAME, () => {
  it('regenerating from the committed source files gives the sha256 in the committed card', () => {
    const card = loadCard(NAME, modelsDir);
    const g = generateEncoder(NAME, modelsDir);
    expect(g.sha256).toBe(card.sha256);
    expect(g.bytes.length).toBe(card.bytes);
    expect(card.input.size).toBe(spec.inputSize);
    expect(card.outputs.map((o) => [o.name, o.dims])).toEqual([
      ['objects', [80]],
      ['detector', [128]],
      ['backbone', [480]],
    ]);
    expect(card.licence).toBe('MIT');
  });

  // tfjs's pure-JS CPU backend needs ~6 s per photo at the graph's own 512×512.
  it('features match tfjs on real photos at the trained resolution within 1e-4', { timeout: 300_000 }, async () => {
    const json = readFileSync(join(source, spec.files.model), 'utf8');
    const weights = readFileSync(join(source, spec.files.weights));
    const converted = convertTfjsGraph(readTfjsGraphModel(json, weights), {
      outputs: spec.outputs,
      inputSize: 512,
      scaling: spec.scaling,
      graphName: 't',
      docString: '',
      metadata: {},
    });
    const files = ['kites.jpg'];
    const pixels = await pixelsOf(files, 512);
    const session = await ort.InferenceSession.create(converted.bytes);
    const got = await session.run({ pixels: new ort.Tensor('uint8', pixels, [1, 512, 512, 3]) });
    await session.release();

    await tf.setBackend('cpu');
    const j = JSON.parse(json) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
    const model = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: j.modelTopology,
        weightSpecs: j.weightsManifest.flatMap((m) => m.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const x = tf.tensor4d(Float32Array.from(pixels), [1, 512, 512, 3]);
    const ys = model.execute(
      x,
      spec.outputs.map((o) => o.node),
    ) as tf.Tensor4D[];
    spec.outputs.forEach((o, k) => {
      const ref = (o.pool === 'max' ? ys[k]!.max([1, 2]) : ys[k]!.mean([1, 2])).dataSync() as Float32Array;
      const mine = got[o.name]!.data as Float32Array;
      expect(mine.length).toBe(ref.length);
      let diff = 0;
      for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(mine[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
      expect(diff, `${o.name} max relative diff`).toBeLessThan(1e-4);
    });
    tf.dispose([x, ...ys]);
    model.dispose();
    // And it is the detector we think it is: the kites photo scores kite and person highest.
    const objects = Array.from(got.objects!.data as Float32Array);
    const top2 = objects
      .map((v, i) => [v, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 2)
      .map(([, i]) => i);
    expect(top2.sort()).toEqual([COCO.person, COCO.kite].sort());
  });

  it('the built encoder names what is in the sample photos', { timeout: 60_000 }, async () => {
    const enc = await openEncoder({ name: NAME, provider: 'cpu', log: () => {} });
    try {
      const cases: Array<[string, number]> = [
        ['german-shepherd.jpg', COCO.dog],
        ['spaniels-window.jpg', COCO.dog],
        ['coffee.jpg', COCO.cup],
        ['kites.jpg', COCO.kite],
        ['horses.jpg', COCO.horse],
      ];
      const pixels = await pixelsOf(
        cases.map(([f]) => f),
        spec.inputSize,
      );
      const f = await enc.encodeTensors(pixels, cases.length, ['objects']);
      cases.forEach(([file, cls], k) => {
        const row = Array.from(f.objects!.subarray(k * 80, (k + 1) * 80));
        const rank = [...row].sort((a, b) => b - a).indexOf(row[cls]!);
        expect(rank, `${file}: rank of its class`).toBeLessThan(2);
      });
    } finally {
      await enc.close();
    }
  });
});
