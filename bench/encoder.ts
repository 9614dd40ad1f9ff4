/**
 * `npm run bench -- encoder [photos]`: the image encoder.
 *
 * 1. Encoder only (CNN on ready 0–255 pixels): ms/image at batch 1 and 8 with 1 and 2
 *    intra-op threads, for the COCO detector (MobileNetV3 CenterNet, the default model's),
 *    the detector and the int8 ResNet-50 in one graph (centernet_resnet50, with its derived
 *    concept scores), MobileNetV2 (int8 and float32) and InceptionV3;
 *    the peer is the same Keras model in
 *    @tensorflow/tfjs's CPU backend (MobileNetV2, batch 1).
 * 2. End to end: photos/s for a folder of generated 12-megapixel JPEGs through
 *    decode + preprocess + encode (the worker-thread encoder the app uses), next to sharp's
 *    decode + resize-only rate on the same files with the same number of decodes in flight,
 *    measured in the same run; "ratio" = end-to-end / decode-only. The default model's encoder's
 *    lines say `"default":true`; centernet_resnet50's also compute the concept scores.
 * One JSON line per figure, each with the process's peak RSS so far.
 * Arguments: [photos] [all|only|e2e] [encoder names, comma-separated; default all].
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { openEncoderWorker } from '../src/inference/encoder/encoder-client.js';
import { openEncoder } from '../src/inference/encoder/encoder.js';
import { NETWORKS } from '../src/convert/networks.js';
import { loadTfjsModel, tfjsFeatures } from '../tests/inference/encoder-tfjs.js';
import { datasetPath } from '../src/shared/paths.js';

const PHOTOS = Number(process.argv[2] ?? 48);
// The default model's encoder (centernet_resnet50) and its parts are measured, the nsfwjs networks beside them.
const ENCODERS = process.argv[4]?.split(',') ?? [
  'mobilenet_v3_centernet',
  'centernet_resnet50',
  'mobilenet_v2_int8',
  'mobilenet_v2',
  'inception_v3',
];
/** The encoder of models/default (what the app captions with out of the box). */
const DEFAULT_ENCODER = (JSON.parse(readFileSync(resolve('models', 'default', 'model.json'), 'utf8')) as { encoder: { name: string } })
  .encoder.name;
/** What a run reads: every pooled output, and the concept scores where the encoder offers them (what a concept model stores). */
const outputsOf = (name: string) =>
  name === 'centernet_resnet50' ? ['objects', 'detector', 'backbone', 'resnet_pooled', 'concepts'] : undefined;
const DISTINCT = 12;
const IN_FLIGHT = 16;
const flickr = datasetPath('flickr8k', 'images');
const work = join(tmpdir(), `lenscribe-bench-encoder-${process.pid}`);

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'encoder', ...o, peak_rss_mb: peakRssMb() }));
const round = (x: number, d = 3) => Number(x.toFixed(d));

async function randomPixels(n: number, size: number): Promise<Uint8Array> {
  const names = readdirSync(flickr)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const bufs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      sharp(join(flickr, names[i * 131]))
        .resize(size, size, { fit: 'fill' })
        .raw()
        .toBuffer(),
    ),
  );
  return new Uint8Array(Buffer.concat(bufs));
}

async function encoderOnly(): Promise<void> {
  for (const name of ENCODERS) {
    for (const threads of [1, 2]) {
      const enc = await openEncoder({ name, provider: 'cpu', threads, log: () => {} });
      for (const batch of [1, 8]) {
        const pixels = await randomPixels(batch, enc.inputSize);
        for (let i = 0; i < 3; i++) await enc.encodeTensors(pixels, batch, outputsOf(name)); // warm-up
        const runs = Math.ceil((name.startsWith('mobilenet_v2') ? 160 : name === 'mobilenet_v3_centernet' ? 64 : 24) / batch);
        const t0 = performance.now();
        for (let i = 0; i < runs; i++) await enc.encodeTensors(pixels, batch, outputsOf(name));
        const ms = (performance.now() - t0) / (runs * batch);
        emit({ figure: 'encoder_only_ms_per_image', encoder: name, batch, threads, images: runs * batch, ms_per_image: round(ms) });
      }
      await enc.close();
    }
  }
  // Peer: tfjs (pure JS CPU backend) on the same Keras MobileNetV2, batch 1.
  const spec = NETWORKS.mobilenet_v2;
  const model = await loadTfjsModel(spec.nsfwjsModel);
  const pixels = await randomPixels(1, 224);
  tfjsFeatures(model, pixels, 1, [224, 224], [spec.outputs[0]]);
  const n = 3;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) tfjsFeatures(model, pixels, 1, [224, 224], [spec.outputs[0]]);
  const tfjsMs = (performance.now() - t0) / n;
  const enc = await openEncoder({ name: 'mobilenet_v2', provider: 'cpu', threads: 1, log: () => {} });
  for (let i = 0; i < 3; i++) await enc.encodeTensors(pixels, 1);
  const t1 = performance.now();
  for (let i = 0; i < 50; i++) await enc.encodeTensors(pixels, 1);
  const ortMs = (performance.now() - t1) / 50;
  await enc.close();
  emit({
    figure: 'encoder_only_vs_tfjs',
    encoder: 'mobilenet_v2',
    batch: 1,
    threads: 1,
    ms_per_image: round(ortMs),
    peer: 'tfjs-cpu',
    peer_ms_per_image: round(tfjsMs, 1),
    ratio: round(tfjsMs / ortMs, 1),
    // Said in the line so the ratio is read for what it is.
    peer_at_best: false,
    peer_note:
      "tfjs's pure-JS CPU backend, the only tfjs backend that runs here: tfjs-node downloads TensorFlow at install and tfjs-backend-wasm is not a dependency",
  });
}

/**
 * Generated 12 MP JPEGs (4032×3024, quality 92, ~4 MB like a phone camera's): mosaics of
 * 18×14 real Flickr8k photos at native resolution, so the files carry real photo detail
 * (an enlarged photo would be smooth and decode far faster than a camera file).
 */
async function makeFolder(): Promise<string[]> {
  mkdirSync(work, { recursive: true });
  const names = readdirSync(flickr)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const W = 4032;
  const H = 3024;
  const T = 224;
  const base: Buffer[] = [];
  for (let d = 0; d < DISTINCT; d++) {
    const cols = Math.ceil(W / T);
    const rows = Math.ceil(H / T);
    const tiles = await Promise.all(
      Array.from({ length: cols * rows }, (_, i) =>
        sharp(join(flickr, names[(d * 977 + i * 7) % names.length]))
          .resize(T, T, { fit: 'fill' })
          .raw()
          .toBuffer(),
      ),
    );
    const img = Buffer.alloc(W * H * 3);
    for (let ty = 0; ty < rows; ty++)
      for (let tx = 0; tx < cols; tx++)
        for (let y = 0; y < T && ty * T + y < H; y++) {
          const width = Math.min(T, W - tx * T);
          tiles[ty * cols + tx].copy(img, ((ty * T + y) * W + tx * T) * 3, y * T * 3, (y * T + width) * 3);
        }
    base.push(
      await sharp(img, { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 92 })
        .toBuffer(),
    );
  }
  const files: string[] = [];
  for (let i = 0; i < PHOTOS; i++) {
    const f = join(work, `photo-${String(i).padStart(3, '0')}.jpg`);
    writeFileSync(f, base[i % DISTINCT]);
    files.push(f);
  }
  return files;
}

interface Rate {
  photosPerS: number;
  cpuMsPerPhoto: number;
}

async function measure(n: number, run: () => Promise<unknown>): Promise<Rate> {
  const c = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const u = process.cpuUsage(c);
  return { photosPerS: n / ((performance.now() - t0) / 1000), cpuMsPerPhoto: (u.user + u.system) / 1000 / n };
}

/** sharp alone: decode + auto-orient + squash to the input size, raw, IN_FLIGHT at a time. */
function decodeOnly(files: string[], size: number): Promise<Rate> {
  let next = 0;
  return measure(files.length, () =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < files.length) {
          const f = files[next++];
          await sharp(f).rotate().resize(size, size, { fit: 'fill' }).raw().toBuffer();
        }
      }),
    ),
  );
}

const ROUNDS = 3;

async function endToEnd(): Promise<void> {
  const files = await makeFolder();
  const fileMb = (await import('node:fs')).statSync(files[0]).size / 1e6;
  for (const name of ENCODERS) {
    for (const thumbnail of [false, 320] as const) {
      // The worker-thread encoder the app uses, with its defaults.
      const enc = await openEncoderWorker({ name, decodeConcurrency: IN_FLIGHT, log: () => {} });
      await enc.encodeFiles(files.slice(0, 8), { thumbnail }); // warm-up: session, caches
      // Interleaved rounds, best of each: the machine is shared, so a single run mostly
      // measures the neighbours. CPU ms per photo (all threads) is reported beside wall rates.
      const peer: Rate[] = [];
      const e2e: Rate[] = [];
      let failed = 0;
      for (let r = 0; r < ROUNDS; r++) {
        peer.push(await decodeOnly(files, enc.inputSize));
        e2e.push(
          await measure(files.length, async () => {
            // Every pooled output (what a model trained with the defaults reads; one pass through the network).
            const items = await enc.encodeFiles(files, { thumbnail, outputs: outputsOf(name) });
            failed += items.filter((i) => !i.ok).length;
          }),
        );
      }
      await enc.close();
      const best = (xs: Rate[]) => xs.reduce((a, b) => (b.photosPerS > a.photosPerS ? b : a));
      const cpu = (xs: Rate[]) => Math.min(...xs.map((x) => x.cpuMsPerPhoto));
      const [p, e] = [best(peer), best(e2e)];
      emit({
        figure: 'end_to_end_photos_per_s',
        encoder: name,
        default: name === DEFAULT_ENCODER,
        photos: files.length,
        rounds: ROUNDS,
        megapixels: 12.2,
        file_mb: round(fileMb, 1),
        thumbnail: thumbnail || 'none',
        failed,
        photos_per_s: round(e.photosPerS, 2),
        peer: 'sharp decode+resize only',
        peer_photos_per_s: round(p.photosPerS, 2),
        ratio: round(e.photosPerS / p.photosPerS, 3),
        cpu_ms_per_photo: round(cpu(e2e), 1),
        peer_cpu_ms_per_photo: round(cpu(peer), 1),
        cpu_ratio: round(cpu(peer) / cpu(e2e), 3),
        load_avg_1m: round((await import('node:os')).loadavg()[0], 1),
      });
    }
  }
}

try {
  const which = process.argv[3] ?? 'all';
  if (which === 'all' || which === 'only') await encoderOnly();
  if (which === 'all' || which === 'e2e') await endToEnd();
} finally {
  rmSync(work, { recursive: true, force: true });
}
