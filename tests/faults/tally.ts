/** One campaign's counts (its JSON line), the context every campaign runs in, and the CLI calls they share. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { inspectLibrary, type LibraryState, type UserCaptions } from './library.js';
import { leftoverTemps, runKilled, type KilledRun } from './processes.js';
import { rmSync } from 'node:fs';

export const CLI = resolve('bin/lenscribe.js');

/** Counts every campaign line has; all but runs and kills_landed must be 0. */
const COMMON = [
  'runs',
  'kills_landed',
  'integrity_failures',
  'user_captions_lost_or_changed',
  'inactive_model_captions',
  'leftover_processes',
  'leftover_temp_files',
] as const;

/** The counts of a campaign line that must be 0 (campaigns add their own, named in their line). */
export const MUST_BE_ZERO = [
  'integrity_failures',
  'user_captions_lost_or_changed',
  'inactive_model_captions',
  'leftover_processes',
  'leftover_temp_files',
  'jobs_not_resumed',
  'captions_written_twice',
  'teach_not_finished',
  'half_written_files',
  'export_incomplete',
  'bad_answers',
  'secrets_served',
  'damage_not_caught',
  'not_repaired',
] as const;

export interface CampaignContext {
  /** Kills (or damaged libraries) per campaign, or per variant where a campaign has two. */
  kills: number;
  /** The short version (tests): fewer of the slow parts. */
  quick: boolean;
  rand: () => number;
  /** A folder of this campaign's own, removed by the caller. */
  work: string;
  /** The caption model the libraries start with. */
  model: string;
  /** The children's temp folder (TMPDIR): whatever is in it after a run is left over. */
  tmp: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export type CampaignLine = Record<string, number | string | string[]>;

export class Tally {
  readonly counts: Record<string, number>;
  private readonly problems: string[] = [];
  private readonly started = performance.now();

  constructor(
    readonly campaign: string,
    own: string[],
  ) {
    this.counts = Object.fromEntries([...COMMON, ...own].map((k) => [k, 0]));
  }

  add(field: string, n: number, why?: string): void {
    if (!(field in this.counts)) throw new Error(`${this.campaign} does not count ${field}`);
    this.counts[field]! += n;
    if (n && why && this.problems.length < 20) this.problems.push(`${field}: ${why}`);
  }

  /** A kill's outcome: counted as a run, a landed kill when it landed, and its leftover processes. */
  killed(run: KilledRun, what: string): void {
    this.add('runs', 1);
    if (run.ended === 'SIGKILL') this.add('kills_landed', 1);
    this.add('leftover_processes', run.leftover.length, `${what}: pids ${run.leftover.join(' ')}`);
  }

  /** Integrity and user captions of `libDir`, and the whole state for the campaign's own checks. */
  checkLibrary(libDir: string, mine: UserCaptions, what: string): LibraryState {
    const s = inspectLibrary(libDir, mine);
    this.add('integrity_failures', s.integrity.length ? 1 : 0, `${what}: ${s.integrity.join('; ')}`);
    this.add('user_captions_lost_or_changed', s.userChanged.length, `${what}: ${s.userChanged.slice(0, 2).join('; ')}`);
    return s;
  }

  /** Temporary files left in the children's temp folder and under `dirs`, counted, then removed (so each counts once). */
  checkTemps(ctx: CampaignContext, dirs: string[], what: string): void {
    const left = leftoverTemps(ctx.tmp, dirs);
    this.add('leftover_temp_files', left.length, `${what}: ${left.slice(0, 3).join(' ')}`);
    for (const f of left) rmSync(f, { recursive: true, force: true });
  }

  line(extra: Record<string, number | string> = {}): CampaignLine {
    const line: CampaignLine = {
      campaign: this.campaign,
      ...this.counts,
      ...extra,
      seconds: +((performance.now() - this.started) / 1000).toFixed(1),
    };
    if (this.problems.length) line.problems = this.problems;
    return line;
  }
}

/** The CLI run to its end (as its own process group, so what it leaves running is seen too). */
export function cliToEnd(ctx: CampaignContext, args: string[]): Promise<KilledRun & { status: number | null }> {
  return runKilled([CLI, ...args], () => false, { env: ctx.env, timeoutMs: 300_000 }).then((r) => ({
    ...r,
    status: /^exit (\d+)$/.exec(r.ended) ? Number(r.ended.slice(5)) : null,
  }));
}

/** A quick CLI call whose children need no counting (search, status): status, stdout, stderr. */
export function cli(
  ctx: CampaignContext,
  args: string[],
  timeout = 120_000,
): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: ctx.env, timeout });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A moment drawn uniformly from [0, ms): ready() holds once it has passed since the call. */
export function randomMoment(ctx: CampaignContext, ms: number): () => boolean {
  const at = Date.now() + ctx.rand() * ms;
  return () => Date.now() >= at;
}

/** Seeded uniform [0, 1) (mulberry32), so a campaign that finds something can be run again the same way. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
