/** What the CLI tests of training share: the Flickr8k photos (read in place, never copied) and a run of the CLI. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetPath } from '../../src/shared/paths.js';

export const FLICKR = datasetPath('flickr8k');
export const hasFlickr = existsSync(join(FLICKR, 'captions.jsonl'));

/** `lenscribe <args>` from the sources, on one thread. */
export const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, LENSCRIBE_THREADS: '1' },
  });

/** The first n photos of Flickr8k with their captions, files as absolute paths. */
export function flickrRows(n: number): Array<{ file: string; captions: string[] }> {
  const lines = readFileSync(join(FLICKR, 'captions.jsonl'), 'utf8').trim().split('\n').slice(0, n);
  return lines.map((l) => {
    const o = JSON.parse(l) as { file: string; captions: string[] };
    return { file: join(FLICKR, o.file), captions: o.captions };
  });
}
