// App build step (imported by scripts/build.mjs): the Electron main process and preload with
// esbuild (CommonJS, as Electron's sandboxed preload requires), and the React renderer with Vite
// into dist/renderer (served by Electron's lenscribe:// protocol and by `lenscribe serve`).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const r = (p) => resolve(root, p);

// Main process: the library core bundled in. Its modules locate workers and models from
// import.meta.url; in CJS we point that at dist/ (where `*.worker.js` are built), so the same
// lookups work from dist/main/main.cjs.
await build({
  entryPoints: { main: r('src/main/electron/main.ts') },
  outdir: r('dist/main'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  // Native and CJS packages stay in node_modules (asarUnpack'd when packaged); ESM-only ones
  // are bundled, since this bundle is CommonJS.
  external: [
    'electron',
    'electron-updater',
    'better-sqlite3',
    'sharp',
    'onnxruntime-node',
    'onnx-proto',
    'exiftool-vendored',
    'exifr',
    'zod',
  ],
  sourcemap: true,
  logLevel: 'warning',
  define: { 'import.meta.url': '__lsImportMetaUrl', 'import.meta.resolve': '__lsImportMetaResolve' },
  banner: {
    js:
      "const __lsImportMetaUrl = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'electron-main.js')).href;\n" +
      "const __lsImportMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;",
  },
});

// Preload: sandboxed, so one self-contained CJS file that only requires 'electron'.
await build({
  entryPoints: { preload: r('src/main/electron/preload.ts') },
  outdir: r('dist/main'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'chrome140',
  external: ['electron'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

// Renderer.
if (process.env.LENSCRIBE_SKIP_RENDERER !== '1') {
  const { build: viteBuild } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  await viteBuild({
    configFile: false,
    root: r('src/renderer'),
    base: './',
    logLevel: 'warn',
    plugins: [react()],
    build: {
      outDir: r('dist/renderer'),
      emptyOutDir: true,
      target: 'chrome120',
      sourcemap: false,
      // No inline scripts: the CSP allows only 'self'.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 2000,
    },
  });
}
