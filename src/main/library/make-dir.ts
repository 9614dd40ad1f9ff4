/**
 * Creating a folder and its missing parents, with an error naming the folder. Not Node's
 * `mkdirSync(path, { recursive: true })`: under /proc it never returns (`--library /proc/x` hung).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../shared/errors.js';

/** Make `dir` (absolute) and any missing parents; a path that is a file, or cannot be made, is a UserError naming it. */
export function makeDir(dir: string, what = 'folder'): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw cannotMake(dir, what, err);
      missing.push(d);
      continue;
    }
    if (!isDir) throw new UserError(`cannot make the ${what} ${dir}: ${d} is not a folder`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotMake(dir, what, err);
    }
  }
}

function cannotMake(dir: string, what: string, err: unknown): UserError {
  const e = err as NodeJS.ErrnoException;
  return new UserError(`cannot make the ${what} ${dir}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '));
}
