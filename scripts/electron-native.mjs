// Builds better-sqlite3 for Electron's ABI into .cache/electron-native/better-sqlite3, leaving
// node_modules' copy (Node's ABI: CLI and tests) untouched. The Electron main process loads it
// through better-sqlite3's `nativeBinding` option. sharp and onnxruntime-node are N-API and
// load in both runtimes as they are. Run by `npm start`; skipped when already built for this
// Electron version. No compiler needed where better-sqlite3 publishes a prebuilt binary for this
// Electron's ABI (@electron/rebuild fetches it through prebuild-install); only without one does it
// compile from source, which needs Electron's headers (downloaded once) and a C++ toolchain.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const electronVersion = require('electron/package.json').version;
const sqliteVersion = require('better-sqlite3/package.json').version;
const outRoot = join(root, '.cache', 'electron-native');
const target = join(outRoot, 'better-sqlite3');
const stamp = join(outRoot, 'stamp.json');
const want = JSON.stringify({ electronVersion, sqliteVersion, platform: process.platform, arch: process.arch });

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(target, 'build', 'Release', 'better_sqlite3.node'))) {
  process.exit(0);
}
rmSync(outRoot, { recursive: true, force: true });
mkdirSync(join(outRoot, 'node_modules'), { recursive: true });
// A private package folder so @electron/rebuild compiles this copy only.
cpSync(join(root, 'node_modules', 'better-sqlite3'), join(outRoot, 'node_modules', 'better-sqlite3'), {
  recursive: true,
  filter: (src) => !src.includes(`${join('better-sqlite3', 'build')}`),
});
writeFileSync(
  join(outRoot, 'package.json'),
  JSON.stringify({ name: 'lenscribe-electron-native', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }),
);
const { rebuild } = await import('@electron/rebuild');
console.log(
  `better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}: a prebuilt binary if one is published, else a build from source…`,
);
try {
  // buildFromSource false: prebuilt first (prebuild-install), node-gyp only when none exists.
  await rebuild({
    buildPath: outRoot,
    electronVersion,
    onlyModules: ['better-sqlite3'],
    force: true,
    mode: 'sequential',
    buildFromSource: false,
  });
} catch (err) {
  console.error(
    `electron-native: no prebuilt better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.platform}-${process.arch}) could be fetched, ` +
      `and building it from source failed (${err.message.split('\n')[0]}).\n` +
      "A build from source needs Electron's headers, downloaded once from electronjs.org, and a C++ toolchain " +
      '(Windows: Visual Studio Build Tools with "Desktop development with C++"; macOS: xcode-select --install; Linux: build-essential and python3). ' +
      'The CLI, `lenscribe serve` and the tests do not need this step.',
  );
  process.exit(1);
}
cpSync(join(outRoot, 'node_modules', 'better-sqlite3'), target, { recursive: true });
writeFileSync(stamp, want);
console.log(`better-sqlite3 for Electron: ${join(target, 'build', 'Release', 'better_sqlite3.node')}`);
