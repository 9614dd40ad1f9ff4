/**
 * A short-held lock between processes on one machine: a file created exclusively ('wx') holding
 * the owner's pid. For critical sections of milliseconds (appending a batch to a shared cache), so
 * waiting is a synchronous sleep. A lock whose owner is dead (kill, crash) or that has been held
 * far longer than any such section is taken over.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { isProcessAlive } from './process-alive.js';

export interface FileLockOptions {
  /** Give up after waiting this long (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is stale whoever holds it (default 60 s). */
  staleMs?: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** Whether the lock at `path` was left by a dead process or is older than `staleMs`. */
function isStale(path: string, staleMs: number): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid)) return true;
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return false; // gone or unreadable right now: try again
  }
}

/** Runs `fn` holding the lock file `path`; throws if the lock cannot be had within the timeout. */
export function withFileLock<T>(path: string, fn: () => T, options: FileLockOptions = {}): T {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const start = Date.now();
  let fd: number | undefined;
  for (let wait = 2; fd === undefined; wait = Math.min(wait * 2, 100)) {
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (isStale(path, staleMs)) {
        // Moved aside rather than deleted: of two processes finding it stale, one takes it over.
        try {
          renameSync(path, `${path}.stale-${process.pid}`);
          rmSync(`${path}.stale-${process.pid}`, { force: true });
        } catch {
          /* the other one did */
        }
        continue;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`${path}: locked by another process for over ${Math.round(timeoutMs / 1000)} s`);
      sleep(wait);
    }
  }
  try {
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}
