/** Where the project's own files are, whether run from src/ (tsx, vitest) or dist/ (built). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(start, '..', '..');
    dir = up;
  }
}

/** The checkout (or, packaged, the app's resources folder holding models/). */
export const projectRoot: string = process.env.LENSCRIBE_ROOT ?? findProjectRoot(dirname(fileURLToPath(import.meta.url)));
export const modelsDir: string = process.env.LENSCRIBE_MODELS ?? join(projectRoot, 'models');
export const defaultModelDir: string = join(modelsDir, 'default');
