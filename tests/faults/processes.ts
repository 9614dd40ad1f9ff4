/**
 * What a killed Lenscribe leaves behind, counted: the processes it started (read from /proc, by
 * process group and by parent pid) that outlive it, and the temporary files it leaves in its temp
 * folder and beside the files it writes. Also the one way the fault tests kill the CLI: started
 * as its own process group, SIGKILLed (the CLI alone, as a crash would) the moment a condition holds.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProcRow {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

/** Every process this user can see, from /proc/<pid>/stat (the command name may hold spaces and parentheses). */
function processTable(): ProcRow[] {
  const rows: ProcRow[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    rows.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp), state: state! });
  }
  return rows;
}

/** The pids below `root` (children, their children, …), `root` not included. */
export function descendants(root: number): number[] {
  const table = processTable();
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const r of table) {
      if (r.ppid !== parent || r.state === 'Z') continue;
      out.push(r.pid);
      queue.push(r.pid);
    }
  }
  return out;
}

/**
 * The processes still running (zombies are dead) among `known`, or in process group `pgid`, after
 * waiting up to `graceMs` for them to notice their parent is gone (a pipe closing takes a moment).
 */
export async function survivors(known: number[], pgid: number | null, graceMs = 3000): Promise<number[]> {
  const until = Date.now() + graceMs;
  for (;;) {
    const alive = processTable()
      .filter((r) => r.state !== 'Z' && r.pid !== process.pid && (known.includes(r.pid) || r.pgrp === pgid))
      .map((r) => r.pid);
    if (!alive.length || Date.now() >= until) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL the given processes (survivors counted already), so one run's leftovers do not reach the next. */
export function endProcesses(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export interface KilledRun {
  /** 'SIGKILL' when the kill landed, else how the process ended by itself ('exit 0', …). */
  ended: string;
  stdout: string;
  stderr: string;
  /** Processes it started that were still running after it was killed (then ended here). */
  leftover: number[];
}

/**
 * Starts `node <args>` as its own process group and SIGKILLs it the moment `ready()` holds (polled
 * every few ms) or `timeoutMs` passed; the kill goes to the CLI only, as a crash would. Its
 * children alive at the kill, or of its group, that outlive it by more than a grace period are leftovers.
 */
export async function runKilled(
  args: string[],
  ready: () => boolean,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<KilledRun> {
  const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: options.env ?? process.env };
  if (options.cwd) spawnOptions.cwd = options.cwd;
  const child = spawn(process.execPath, args, spawnOptions);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<string>((res) => child.on('exit', (code, signal) => res(signal ?? `exit ${code}`)));
  let ended = false;
  void exited.then(() => (ended = true));
  const until = Date.now() + (options.timeoutMs ?? 90_000);
  while (!ended && Date.now() < until && !ready()) await new Promise((r) => setTimeout(r, 3));
  const children = ended ? [] : descendants(child.pid!);
  if (!ended) child.kill('SIGKILL');
  const how = await exited;
  const leftover = await survivors(children, child.pid!);
  endProcesses(leftover);
  return { ended: how, stdout, stderr, leftover };
}

/** Names a killed write leaves: thumbnails' `.tmp`, sidecars' `.lenscribe-tmp-`, backups' and teach runs' `.partial`. */
const TEMP_NAME = /\.tmp$|\.lenscribe-tmp-|\.partial$/;

/** Everything in the private temp folder `tmp`, and every temporary file or folder (TEMP_NAME) under `dirs`. */
export function leftoverTemps(tmp: string, dirs: string[]): string[] {
  const found = readdirSync(tmp).map((n) => join(tmp, n));
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (TEMP_NAME.test(e.name)) found.push(path);
      else if (e.isDirectory()) walk(path);
    }
  };
  for (const d of dirs) walk(d);
  return found;
}
