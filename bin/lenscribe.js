#!/usr/bin/env node
// Runs the built CLI; `npm ci` builds it (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  process.stderr.write('lenscribe: not built yet; run `npm run build` in the project folder\n');
  process.exit(1);
}
await import(built.href);
