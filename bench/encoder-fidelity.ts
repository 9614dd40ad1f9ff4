/**
 * `npm run bench -- encoder-fidelity [photos]`: how closely the int8 encoder's features follow
 * the float32 network it was quantized from, on Flickr8k validation photos (hash split 0.05;
 * the calibration photos come from the training side). One JSON line per pooled output: cosine
 * (mean, min), relative L2 error (mean, max) and max abs error next to the largest value.
 * These are the figures the int8 card quotes (src/convert/build.ts). For classifiers (ResNet-50)
 * also the int8 top-1 agreement and top-5 overlap with float32, and both speeds on one thread.
 */
import { join } from 'node:path';
import { openEncoder } from '../src/inference/encoder/encoder.js';
import { loadCard } from '../src/inference/encoder/card.js';
import { QUANTIZED } from '../src/convert/networks.js';
import { preparePhoto } from '../src/inference/encoder/preprocess.js';
import { loadDataset, splitByHash } from '../src/training/datasets.js';
import { FLICKR, missingForAcceptance } from '../tests/teach/flickr.js';

const missing = missingForAcceptance();
if (missing) {
  console.log(JSON.stringify({ bench: 'encoder-fidelity', skipped: missing }));
  process.exit(0);
}
const PHOTOS = Number(process.argv[2] ?? 200);
const BATCH = 8;
const { val } = splitByHash(loadDataset(join(FLICKR, 'captions.jsonl')).images, 0.05);
const files = val.slice(0, PHOTOS).map((i) => i.path);
const r = (x: number, d: number) => Number(x.toFixed(d));

for (const spec of Object.values(QUANTIZED)) {
  const [float, int8] = await Promise.all([
    openEncoder({ name: spec.from, log: () => {} }),
    openEncoder({ name: spec.name, log: () => {} }),
  ]);
  const outputs = float.card.outputs.filter((o) => o.kind === 'pooled').map((o) => o.name);
  const stats = new Map(outputs.map((o) => [o, { cos: [] as number[], rel: [] as number[], maxAbs: 0, maxValue: 0 }]));
  const side = float.inputSize;
  for (let start = 0; start < files.length; start += BATCH) {
    const batch = await Promise.all(files.slice(start, start + BATCH).map((f) => preparePhoto(f, { size: side, thumbnail: false })));
    const pixels = new Uint8Array(batch.length * side * side * 3);
    batch.forEach((p, k) => pixels.set(p.input, k * side * side * 3));
    const [a, b] = [
      await float.encodeTensors(pixels.slice(), batch.length, outputs),
      await int8.encodeTensors(pixels.slice(), batch.length, outputs),
    ];
    for (const o of outputs) {
      const fa = a[o]!;
      const fb = b[o]!;
      const dim = fa.length / batch.length;
      const s = stats.get(o)!;
      for (let k = 0; k < batch.length; k++) {
        let dot = 0,
          na = 0,
          nb = 0,
          err = 0;
        for (let j = k * dim; j < (k + 1) * dim; j++) {
          dot += fa[j]! * fb[j]!;
          na += fa[j]! ** 2;
          nb += fb[j]! ** 2;
          err += (fa[j]! - fb[j]!) ** 2;
          s.maxAbs = Math.max(s.maxAbs, Math.abs(fa[j]! - fb[j]!));
          s.maxValue = Math.max(s.maxValue, Math.abs(fa[j]!));
        }
        s.cos.push(dot / Math.sqrt(na * nb));
        s.rel.push(Math.sqrt(err / na));
      }
    }
  }
  await Promise.all([float.close(), int8.close()]);
  const mean = (xs: number[]) => xs.reduce((p, x) => p + x, 0) / xs.length;
  for (const [o, s] of stats) {
    console.log(
      JSON.stringify({
        bench: 'encoder-fidelity',
        encoder: spec.name,
        output: o,
        photos: files.length,
        peer: `${spec.from} (float32)`,
        cosine_mean: r(mean(s.cos), 5),
        cosine_min: r(Math.min(...s.cos), 5),
        rel_l2_err_mean: r(mean(s.rel), 4),
        rel_l2_err_max: r(Math.max(...s.rel), 4),
        max_abs_err: r(s.maxAbs, 4),
        max_abs_value: r(s.maxValue, 3),
      }),
    );
  }
}

/**
 * Classifiers (an int8 encoder whose float32 network has labels): how often the int8 top-1
 * class is the float32 one and how much the top-5 sets overlap, on the same photos; and the
 * CNN's speed on one thread, int8 next to float32 measured in the same run.
 */
async function classifierFidelity(spec: { name: string; from: string }): Promise<void> {
  const [float, int8] = await Promise.all([
    openEncoder({ name: spec.from, provider: 'cpu', threads: 1, log: () => {} }),
    openEncoder({ name: spec.name, provider: 'cpu', threads: 1, log: () => {} }),
  ]);
  const probs = float.card.outputs.find((o) => o.role === 'classes')!.name;
  const classes = float.card.labels!.count;
  const side = float.inputSize;
  let agree = 0;
  let overlap = 0;
  const topK = (p: Float32Array, k: number, at: number) =>
    Array.from(p.subarray(at * classes, (at + 1) * classes).keys())
      .sort((a, b) => p[at * classes + b]! - p[at * classes + a]!)
      .slice(0, k);
  let sample: Uint8Array | undefined;
  for (let start = 0; start < files.length; start += BATCH) {
    const batch = await Promise.all(files.slice(start, start + BATCH).map((f) => preparePhoto(f, { size: side, thumbnail: false })));
    const pixels = new Uint8Array(batch.length * side * side * 3);
    batch.forEach((p, k) => pixels.set(p.input, k * side * side * 3));
    if (batch.length === BATCH) sample ??= pixels.slice();
    const [a, b] = [
      (await float.encodeTensors(pixels.slice(), batch.length, [probs]))[probs]!,
      (await int8.encodeTensors(pixels.slice(), batch.length, [probs]))[probs]!,
    ];
    for (let k = 0; k < batch.length; k++) {
      const [ta, tb] = [topK(a, 5, k), topK(b, 5, k)];
      if (ta[0] === tb[0]) agree++;
      overlap += ta.filter((c) => tb.includes(c)).length / 5;
    }
  }
  console.log(
    JSON.stringify({
      bench: 'encoder-fidelity',
      encoder: spec.name,
      output: probs,
      photos: files.length,
      peer: `${spec.from} (float32)`,
      top1_agreement: r(agree / files.length, 4),
      top5_overlap_mean: r(overlap / files.length, 4),
    }),
  );
  if (sample) {
    const msPerImage = async (enc: typeof float) => {
      for (let i = 0; i < 2; i++) await enc.encodeTensors(sample!.slice(), BATCH); // warm-up
      const runs = 6;
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) await enc.encodeTensors(sample!.slice(), BATCH);
      return (performance.now() - t0) / (runs * BATCH);
    };
    const [msFloat, msInt8] = [await msPerImage(float), await msPerImage(int8)];
    console.log(
      JSON.stringify({
        bench: 'encoder-fidelity',
        figure: 'cnn_ms_per_image',
        encoder: spec.name,
        threads: 1,
        batch: BATCH,
        ms_per_image: r(msInt8, 2),
        peer: `${spec.from} (float32, same photos, same run)`,
        peer_ms_per_image: r(msFloat, 2),
        ratio: r(msFloat / msInt8, 2),
      }),
    );
  }
  await Promise.all([float.close(), int8.close()]);
}

for (const spec of Object.values(QUANTIZED)) if (loadCard(spec.from).labels) await classifierFidelity(spec);
