/**
 * How the process watching a library keeps each of its folders in step (WatchState), written to
 * `watch-state.json` in the library folder, so another process reading the same library (the CLI's
 * `folders list` beside a running app or `serve`) can tell. The file names its writer's pid: a
 * file left by a process that is gone means nothing is watching.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WatchState } from '../../shared/api-contract.js';
import { isProcessAlive } from '../../shared/process-alive.js';

export const WATCH_STATE_FILE = 'watch-state.json';

const StateFile = z.object({
  pid: z.number().int().positive(),
  folders: z.record(z.string(), WatchState),
});

/** Record this process's watch states (folder path → state); best effort (a read-only library keeps none). */
export function writeWatchStates(libraryDir: string, folders: Map<string, WatchState>): void {
  const file = join(libraryDir, WATCH_STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, folders: Object.fromEntries(folders) }));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** This process stopped watching: the file goes, unless another process wrote it since. */
export function clearWatchStates(libraryDir: string): void {
  const file = join(libraryDir, WATCH_STATE_FILE);
  if (readStateFile(file)?.pid === process.pid) rmSync(file, { force: true });
}

/** The states a running process recorded for the library's folders, or null when none is watching it. */
export function readWatchStates(libraryDir: string): Map<string, WatchState> | null {
  const state = readStateFile(join(libraryDir, WATCH_STATE_FILE));
  if (!state || !isProcessAlive(state.pid)) return null;
  return new Map(Object.entries(state.folders));
}

function readStateFile(file: string): z.infer<typeof StateFile> | null {
  try {
    const parsed = StateFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // none, or half-written by a process killed mid-write
  }
}
