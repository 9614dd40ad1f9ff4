// Measures the activation ranges of an int8 encoder on Flickr8k photos and writes its
// models/encoders/<name>/calibration.json (committed; `npm ci` quantizes from it without photos).
// Usage: node scripts/calibrate-encoder.mjs [name=mobilenet_v2_int8] [--dataset ../shared/datasets/flickr8k]
// Then: node scripts/build-encoders.mjs --write-cards (new sha256 in the card).
import { writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--dataset');
const dataset = resolve(
  at >= 0 ? args.splice(at, 2)[1] : join(process.env.LENSCRIBE_DATASETS ?? join(root, '..', 'shared', 'datasets'), 'flickr8k'),
);
const name = args[0] ?? 'mobilenet_v2_int8';
const PHOTOS = 100;
const VAL_FRACTION = 0.05;

const load = (p) => tsImport(join(root, p), import.meta.url);
const { QUANTIZED, convertNetwork } = await load('src/convert/networks.ts');
const { measureRanges } = await load('src/convert/calibrate.ts');
const { preparePhoto } = await load('src/inference/encoder/preprocess.ts');
const { loadDataset, splitByHash } = await load('src/training/datasets.ts');

const spec = QUANTIZED[name];
if (!spec) throw new Error(`${name} is not an int8 encoder (known: ${Object.keys(QUANTIZED).join(', ')})`);
const float = convertNetwork(spec.from);
const size = float.inputSize[0];

// Training photos only, evenly spaced: the validation split (what `lenscribe train` holds
// out by default) stays unseen, so fidelity measured on it is honest.
const { train } = splitByHash(loadDataset(join(dataset, 'captions.jsonl')).images, VAL_FRACTION);
const step = Math.floor(train.length / PHOTOS);
const picked = Array.from({ length: PHOTOS }, (_, i) => train[(i * step) % train.length].path);
const per = size * size * 3;
const pixels = new Uint8Array(PHOTOS * per);
for (const [i, p] of picked.entries()) pixels.set((await preparePhoto(p, { size, thumbnail: false })).input, i * per);

const t0 = Date.now();
const ranges = await measureRanges(float.bytes, { pixels, count: PHOTOS, size });
const file = {
  format: 'lenscribe-calibration',
  version: 1,
  encoder: name,
  from: { encoder: spec.from, sha256: createHash('sha256').update(float.bytes).digest('hex') },
  photos: {
    dataset: 'Flickr8k',
    selection: `${PHOTOS} training photos of the hash split (fraction ${VAL_FRACTION}), every ${step}th in dataset order`,
    preprocessing: "the encoder's own (preprocess.ts, no thumbnail)",
    files: picked.map((p) => basename(p)),
  },
  method: 'min–max over all values',
  ranges,
};
// One range per line: a small, reviewable diff when recalibrated.
const json = JSON.stringify(file, null, 2).replace(/\[\n\s+(-?[\d.e+-]+),\n\s+(-?[\d.e+-]+)\n\s+\]/g, '[$1, $2]');
const out = join(root, 'models', 'encoders', name, 'calibration.json');
writeFileSync(out, `${json}\n`);
console.log(`calibrate-encoder: ${name}: ${Object.keys(ranges).length} ranges from ${PHOTOS} photos in ${Date.now() - t0} ms -> ${out}`);
