/**
 * `npm run bench -- encoder-fidelity [photos]`: how closely the int8 encoder's features follow
 * the float32 network it was quantized from, on Flickr8k validation photos (hash split 0.05;
 * the calibration photos come from the training side). One JSON line per pooled output: cosine
 * (mean, min), relative L2 error (mean, max) and max abs error next to the largest value.
 * These are the figures the int8 card quotes (src/convert/build.ts).
 */
import { join } from 'node:path';
import { openEncoder } from '../src/inference/encoder/encoder.js';
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
