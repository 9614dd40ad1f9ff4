/**
 * A real caption model for the library tests: the project's own trainer (`lenscribe train`)
 * on 300 Flickr8k photos from ../shared/datasets/flickr8k (read in place, never copied into
 * the repo), small enough to train in well under a minute. Built once per machine into the
 * temp folder and reused by every test file (written to a temp name, then renamed).
 * Returns null when the dataset is not there (tests then skip, saying why).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetPath } from '../../src/shared/paths.js';

export const FLICKR = datasetPath('flickr8k');
const PHOTOS = 300;
const VERSION = 'v2';

export function flickrPhotos(n: number, skip = 0): Array<{ file: string; captions: string[] }> {
  const lines = readFileSync(join(FLICKR, 'captions.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  return lines.slice(skip, skip + n).map((l) => JSON.parse(l));
}

export function testModelDir(): string | null {
  if (!existsSync(join(FLICKR, 'captions.jsonl'))) return null;
  const dir = join(tmpdir(), `lenscribe-test-caption-model-${VERSION}`);
  if (existsSync(join(dir, 'model.json'))) return dir;
  // Test files run in parallel: one trains, the others wait for its model.
  const lock = `${dir}.lock`;
  try {
    mkdirSync(lock);
  } catch {
    const until = Date.now() + 600_000;
    while (Date.now() < until) {
      if (existsSync(join(dir, 'model.json'))) return dir;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) break; // a crashed trainer's lock
      } catch {
        break; // lock released without a model: train here
      }
      spawnSync('sleep', ['1']);
    }
  }
  try {
    return trainInto(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function trainInto(dir: string): string {
  const work = join(tmpdir(), `lenscribe-test-caption-model-build-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  const data = join(work, 'captions.jsonl');
  writeFileSync(
    data,
    flickrPhotos(PHOTOS)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const out = join(work, 'model');
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/run.ts',
      'train',
      '--data',
      data,
      '--images',
      FLICKR,
      '--out',
      out,
      '--epochs',
      '10',
      '--embed',
      '64',
      '--hidden',
      '128',
      '--dropout',
      '0.2',
      '--patience',
      '10',
      '--min-count',
      '3',
      '--batch',
      '64',
      '--encoder',
      'mobilenet_v2',
      '--feature',
      'out_relu',
      '--val-fraction',
      '0.1',
      '--cache',
      join(work, 'cache'),
      '--name',
      'library-test',
    ],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`training the test model failed (${r.status}): ${r.stderr}`);
  try {
    renameSync(out, dir);
  } catch {
    // another test file finished first: use its model
  }
  rmSync(work, { recursive: true, force: true });
  return dir;
}
