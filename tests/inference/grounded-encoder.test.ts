/**
 * The combined encoder centernet_resnet50: one ONNX graph, one 320 px uint8 input, the COCO
 * detector's and ResNet-50's outputs. Its file is what the build makes (sha256 of its card), its
 * detector outputs are the detector's own on real photos, bit for bit, and its ResNet outputs are
 * the int8 ResNet-50's on the input resized to its own 224 px inside the graph (7×7 grid), close to
 * ResNet-50 on sharp's own 224 px resize of the photo.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEncoder, readCard, sha256File } from '../../src/convert/build.js';
import { mergeEncoderGraphs } from '../../src/convert/merge-graphs.js';
import { COMBINED_NETWORKS } from '../../src/convert/networks.js';
import { encoderDir, loadCard } from '../../src/inference/encoder/card.js';
import { openEncoder, type Encoder } from '../../src/inference/encoder/encoder.js';
import { DataType, OnnxGraph } from '../../src/model/onnx-graph.js';
import { datasetPath, modelsDir } from '../../src/shared/paths.js';

const COCO = datasetPath('coco-dev', 'images');
/** coco-dev photos: people, animals, vehicles, food, a room. */
const PHOTOS = ['000000288685', '000000001584', '000000014473', '000000160012', '000000128051', '000000000139'].map((p) =>
  join(COCO, `${p}.jpg`),
);
const { onnx } = onnxProto;
const NAME = 'centernet_resnet50';
const work = mkdtempSync(join(tmpdir(), 'lenscribe-grounded-'));
const S = 320;
const PER = S * S * 3;

let combined: Encoder;
let detector: Encoder;
let pixels: Uint8Array;
beforeAll(async () => {
  combined = await openEncoder({ name: NAME, provider: 'cpu', threads: 1, log: () => {} });
  detector = await openEncoder({ name: 'mobilenet_v3_centernet', provider: 'cpu', threads: 1, log: () => {} });
  pixels = new Uint8Array(PHOTOS.length * PER);
  for (const [i, p] of PHOTOS.entries()) pixels.set((await combined.preparePhoto(p, { thumbnail: false })).input, i * PER);
});
afterAll(async () => {
  await combined?.close();
  await detector?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('centernet_resnet50', () => {
  it('is what the build generates from its parts (its card pins the sha256 and describes the outputs)', () => {
    const dir = encoderDir(NAME);
    const card = readCard(dir)!;
    const g = generateEncoder(NAME, modelsDir);
    expect(g.sha256).toBe(card.sha256);
    expect(sha256File(join(dir, 'encoder.onnx'))).toBe(card.sha256);
    expect(g.combined?.sharedNodes).toBe(0); // ResNet reads its own 224 px resize, so no preprocessing node is shared
    expect(card.input.shape).toEqual(['N', S, S, 3]);
    expect(Object.fromEntries(card.outputs.map((o) => [o.name, o.dims]))).toEqual({
      objects: [80],
      detector: [128],
      backbone: [480],
      resnet_pooled: [2048],
      resnet_grid: [7, 7, 2048],
      probs: [1000],
    });
    expect(card.labels).toEqual({ file: 'labels.json', count: 1000, output: 'probs' });
    expect(readFileSync(join(dir, 'labels.json'), 'utf8')).toBe(readFileSync(join(encoderDir('resnet50_int8'), 'labels.json'), 'utf8'));
    for (const p of COMBINED_NETWORKS[NAME].parts) expect(card.source.files).toContain(loadCard(p.encoder).sha256);
  });

  it('keeps the ResNet part fused into int8 kernels after the merge (onnxruntime optimizes the one graph as it did the part)', async () => {
    const optimized = join(work, 'optimized.onnx');
    const session = await ort.InferenceSession.create(join(encoderDir(NAME), 'encoder.onnx'), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      optimizedModelFilePath: optimized,
    });
    await session.release();
    const nodes = onnx.ModelProto.decode(readFileSync(optimized)).graph!.node!;
    const resnetOps = nodes.filter((n) => n.name!.startsWith('resnet/')).map((n) => n.opType!);
    expect(resnetOps.filter((o) => o === 'QLinearConv')).toHaveLength(53);
    expect(resnetOps.filter((o) => o === 'QLinearAdd')).toHaveLength(16);
    for (const op of ['Conv', 'Relu', 'Add']) expect(resnetOps).not.toContain(op);
  });

  it("gives the detector's own outputs on real photos, exactly", async () => {
    const names = ['objects', 'detector', 'backbone'];
    const a = await combined.encodeTensors(pixels, PHOTOS.length, names);
    const b = await detector.encodeTensors(pixels, PHOTOS.length, names);
    for (const n of names) expect(a[n]).toEqual(b[n]);
  });

  it("gives the int8 ResNet-50's outputs on its in-graph 224 px resize (a 7×7 grid whose mean is the pooled output)", async () => {
    // The reference: resnet50_int8's own graph behind the same resize, alone in its own session.
    const resnet = readFileSync(join(encoderDir('resnet50_int8'), 'encoder.onnx'));
    const alone = mergeEncoderGraphs(
      [
        {
          bytes: resnet,
          prefix: 'r/',
          inputSize: 224,
          outputs: {
            pooled: { name: 'pooled', dims: [2048] },
            probs: { name: 'probs', dims: [1000] },
            grid: { name: 'grid', dims: [7, 7, 2048] },
          },
        },
      ],
      { input: { name: 'pixels', size: S }, graphName: 'resnet50_int8_resized', docString: '', metadata: {} },
    );
    const session = await ort.InferenceSession.create(alone.bytes, { intraOpNumThreads: 1 });
    const ref = await session.run({ pixels: new ort.Tensor('uint8', pixels, [PHOTOS.length, S, S, 3]) });
    await session.release();
    const ours = await combined.encodeTensors(pixels, PHOTOS.length, ['resnet_pooled', 'probs', 'resnet_grid']);
    expect(ours.resnet_pooled).toEqual(ref.pooled.data);
    expect(ours.probs).toEqual(ref.probs.data);
    expect(ours.resnet_grid).toEqual(ref.grid.data);
    expect(ours.resnet_grid.length).toBe(PHOTOS.length * 7 * 7 * 2048);
    // The grid is the block the pooled output averages.
    for (let i = 0; i < PHOTOS.length; i++) {
      for (const c of [0, 777, 2047]) {
        let sum = 0;
        for (let cell = 0; cell < 49; cell++) sum += ours.resnet_grid[(i * 49 + cell) * 2048 + c];
        expect(sum / 49).toBeCloseTo(ours.resnet_pooled[i * 2048 + c], 4);
      }
    }
  });

  it("sees what ResNet-50 sees on sharp's own 224 px resize of the photo (same top class, pooled cosine > 0.9)", async () => {
    const own = await openEncoder({ name: 'resnet50_int8', provider: 'cpu', threads: 1, log: () => {} });
    try {
      const ours = await combined.encodeTensors(pixels, PHOTOS.length, ['resnet_pooled', 'probs']);
      let sameTop = 0;
      for (const [i, p] of PHOTOS.entries()) {
        const r = await own.encodeTensors((await own.preparePhoto(p, { thumbnail: false })).input, 1, ['pooled', 'probs']);
        const a = ours.resnet_pooled.subarray(i * 2048, (i + 1) * 2048);
        let dot = 0,
          na = 0,
          nb = 0;
        for (let k = 0; k < 2048; k++) {
          dot += a[k] * r.pooled[k];
          na += a[k] * a[k];
          nb += r.pooled[k] * r.pooled[k];
        }
        expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.9);
        const top = (v: Float32Array) => v.indexOf(Math.max(...v));
        if (top(ours.probs.subarray(i * 1000, (i + 1) * 1000)) === top(r.probs)) sameTop++;
      }
      expect(sameTop).toBeGreaterThanOrEqual(PHOTOS.length - 1);
    } finally {
      await own.close();
    }
  });
});

/** A tiny encoder graph: pixels -> NCHW float -> one Conv (weights `w`) -> global average, output `out`. */
function tinyEncoder(w: number, out: string, size: number): Uint8Array {
  const g = new OnnxGraph();
  g.reserve([out]);
  const x = g.input('pixels', DataType.UINT8, ['N', size, size, 3]);
  const nchw = g.node('Transpose', [x], 'input_nchw', { perm: [0, 3, 1, 2] });
  const f = g.node('Cast', [nchw], 'input_float', { to: DataType.FLOAT });
  const conv = g.node(
    'Conv',
    [
      f,
      g.constant(
        'w',
        Float32Array.from({ length: 3 }, () => w),
        [1, 3, 1, 1],
      ),
    ],
    'conv',
  );
  g.output(g.node('Flatten', [g.node('GlobalAveragePool', [conv], 'gap')], 'flat', { axis: 1 }), out, ['N', 1]);
  return g.encode({ producer: 'test', graphName: out });
}

describe('mergeEncoderGraphs', () => {
  it('prefixes each part, shares their common preprocessing and runs them at the merged input size', async () => {
    const merged = mergeEncoderGraphs(
      [
        { bytes: tinyEncoder(1, 'sum', 8), prefix: 'a/', outputs: { sum: { name: 'a_sum', dims: [1] } } },
        { bytes: tinyEncoder(2, 'sum', 4), prefix: 'b/', outputs: { sum: { name: 'b_sum', dims: [1] } } },
      ],
      { input: { name: 'pixels', size: 6 }, graphName: 'both', docString: '', metadata: {} },
    );
    expect(merged.sharedNodes).toBe(2);
    const session = await ort.InferenceSession.create(merged.bytes);
    const px = Uint8Array.from({ length: 6 * 6 * 3 }, (_, i) => i % 7);
    const r = await session.run({ pixels: new ort.Tensor('uint8', px, [1, 6, 6, 3]) });
    await session.release();
    const mean = px.reduce((a, b) => a + b, 0) / 36;
    expect((r.a_sum.data as Float32Array)[0]).toBeCloseTo(mean, 3);
    expect((r.b_sum.data as Float32Array)[0]).toBeCloseTo(2 * mean, 3);
  });

  it('refuses a part without the shared input, or an output it does not have', () => {
    const opts = { input: { name: 'image', size: 8 }, graphName: 'x', docString: '', metadata: {} };
    expect(() => mergeEncoderGraphs([{ bytes: tinyEncoder(1, 'sum', 8), prefix: 'a/', outputs: {} }], opts)).toThrow(
      /a\/: the graph must have the one input image, it has pixels/,
    );
    const part = { bytes: tinyEncoder(1, 'sum', 8), prefix: 'a/', outputs: { nope: { name: 'n', dims: [1] } } };
    expect(() => mergeEncoderGraphs([part], { ...opts, input: { name: 'pixels', size: 8 } })).toThrow(/a\/: the graph has no output nope/);
  });
});
