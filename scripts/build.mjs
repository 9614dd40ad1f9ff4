// Builds everything that runs outside vitest: the CLI, the Electron main and preload,
// and every `*.worker.ts`, into dist/ (ESM, native packages left external).
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';

const workers = readdirSync('src', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.worker.ts'))
  .map((f) => `src/${f}`);
const entries = { cli: 'src/cli/run.ts' };
for (const w of workers) entries[w.replace(/^.*\//, '').replace(/\.ts$/, '')] = w;

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __lsCreateRequire } from 'node:module'; const require = __lsCreateRequire(import.meta.url);" },
});

// Further build steps (Electron main/preload, renderer) register below as they appear.
const extra = ['scripts/build-encoders.mjs', 'scripts/build-app.mjs'];
for (const step of extra) if (existsSync(step)) await import(new URL(`../${step}`, import.meta.url).href);
