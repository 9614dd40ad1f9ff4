/** Where the project's own files are, whether run from src/ (tsx, vitest) or dist/ (built). */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
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

/**
 * The research datasets (flickr8k, coco-dev, coco-unlabeled, captions-text): ../shared/datasets
 * beside the checkout, or LENSCRIBE_DATASETS for a checkout elsewhere. Training, evaluation,
 * benches and tests read them; the app never does.
 */
export const datasetsDir: string = resolve(process.env.LENSCRIBE_DATASETS ?? join(projectRoot, '..', 'shared', 'datasets'));

/** A file or folder in datasetsDir: datasetPath('flickr8k', 'images'). */
export function datasetPath(...parts: string[]): string {
  return join(datasetsDir, ...parts);
}

/**
 * Lenscribe's per-user folder of a kind, where each OS wants it: `data` (libraries: the user's
 * own work, roaming) or `cache` (files that can be made again: local, not backed up).
 *   data   Windows %APPDATA%\Lenscribe, macOS ~/Library/Application Support/Lenscribe, else $XDG_DATA_HOME/lenscribe
 *   cache  Windows %LOCALAPPDATA%\Lenscribe\cache, macOS ~/Library/Caches/Lenscribe, else $XDG_CACHE_HOME/lenscribe
 * The small differences between the two (home from the environment or from the OS, an empty
 * variable counting as set or not) are kept so existing folders stay where they are.
 */
export function userFolder(kind: 'data' | 'cache'): string {
  const env = process.env;
  const windows = process.platform === 'win32';
  const mac = process.platform === 'darwin';
  if (kind === 'data') {
    const home = env.HOME ?? env.USERPROFILE ?? '.';
    if (windows) return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Lenscribe');
    if (mac) return join(home, 'Library', 'Application Support', 'Lenscribe');
    return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'lenscribe');
  }
  if (windows && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'Lenscribe', 'cache');
  if (mac) return join(homedir(), 'Library', 'Caches', 'Lenscribe');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lenscribe');
}
