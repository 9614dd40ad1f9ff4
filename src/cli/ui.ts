/** What the CLI commands share: opening the library, the one progress line, durations, error summaries, flag parsing. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../shared/errors.js';
import { damageSummary } from '../main/library/db-health.js';
import { defaultLibraryDir, Library, type LibraryOptions } from '../main/library/library.js';

export function addLibraryOption(cmd: Command): Command {
  return cmd.option('--library <dir>', 'Library folder: database and thumbnails (default: the per-user app-data folder)');
}

/** A command's one example, printed after its options by --help (the help style: DEVELOPERS.md). */
export function withExample(cmd: Command, example: string): Command {
  return cmd.addHelpText('after', `\nExample:\n  $ ${example}`);
}

function libraryDirFromCli(opts: { library?: string }): string {
  return opts.library ? resolve(opts.library) : defaultLibraryDir();
}

/** For commands that add to the library: opens it, creating it when there is none yet. */
export function openLibraryFromCli(opts: { library?: string }, options: LibraryOptions = {}): Library {
  return Library.open(libraryDirFromCli(opts), options);
}

/** For commands that only read the library: a missing one is an error, never a new empty library. */
export function openExistingLibraryFromCli(opts: { library?: string }, options: LibraryOptions = {}): Library {
  const dir = libraryDirFromCli(opts);
  if (!Library.existsIn(dir)) throw new UserError(`no Lenscribe library at ${dir}`);
  const lib = Library.open(dir, { mode: 'read', ...options });
  // Damage is said before any answer: one read from a damaged database may be wrong or missing.
  if (lib.health.problems.length)
    process.stderr.write(
      `lenscribe: warning: ${damageSummary(lib.dbPath, lib.health.problems)}; answers may be incomplete and nothing is written until \`lenscribe repair --library ${dir}\`\n`,
    );
  return lib;
}

/**
 * What a terminal acts on instead of showing: C0 controls (tab and newline too: they would split a
 * field or fake a line), DEL, C1 controls, and the bidirectional controls that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text the user, a file or another app wrote, safe to print: each character a terminal would act on
 * (an ESC sequence can clear the screen, retitle the window or hide text) becomes its visible
 * `\uXXXX` escape. JSON's own escape, so a JSON line passed through stays valid JSON with the same value.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value as one JSON line, safe to print (JSON.stringify leaves C1 and bidirectional controls raw). */
export function jsonLine(value: unknown): string {
  return `${printable(JSON.stringify(value))}\n`;
}

/** Minimum time between two redraws on a terminal. */
const REDRAW_MS = 100;
/** When stderr is not a terminal: a line this often (long runs), or never (`quietWhenPiped`). */
const PIPED_LINE_MS = 10_000;

/**
 * The one progress display on stderr: a line redrawn in place on a terminal. Piped, it prints a
 * line every 10 s — or nothing with `quietWhenPiped` (commands whose stdout/stderr is their result).
 */
export class StatusLine {
  private last = 0;
  private shown = false;

  constructor(
    private readonly options: { quietWhenPiped?: boolean } = {},
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(line: string, force = false): void {
    const now = Date.now();
    const text = printable(line);
    if (this.stream.isTTY) {
      if (!force && now - this.last < REDRAW_MS) return;
      const cols = this.stream.columns || 100;
      this.stream.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
      this.shown = true;
    } else {
      if (this.options.quietWhenPiped || (!force && now - this.last < PIPED_LINE_MS)) return;
      this.stream.write(`${text}\n`);
    }
    this.last = now;
  }

  /** "[#####-----] 12/40 30% <extra>" */
  progress(done: number, total: number, extra = '', force = false): void {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    this.update(`${bar(frac, 28)} ${done}/${total} ${(frac * 100).toFixed(0)}% ${extra}`, force);
  }

  /** Ends the redrawn line (the next output starts on a fresh one). */
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }

  /** A permanent line above the progress line. */
  log(text: string): void {
    this.done();
    this.stream.write(`${printable(text)}\n`);
  }
}

/** "[######------]": a fraction in [0, 1] as a bar of `width` characters. */
export function bar(frac: number, width = 24): string {
  const f = Math.max(0, Math.min(1, frac));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** "42s", "3m05s", "1h20m"; `unknown` for a missing, infinite or negative duration. */
export function formatDuration(seconds: number | null, unknown = '?'): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return unknown;
  const t = Math.round(seconds);
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${t}s`;
}

/** "3 files failed: 2 corrupt, 1 empty" */
export function errorSummary(byKind: Record<string, number>): string | null {
  const entries = Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  return `${total} file${total === 1 ? '' : 's'} failed: ${entries.map(([k, n]) => `${n} ${k}`).join(', ')}`;
}

/** A numeric flag's value, or a one-line error naming the flag, what it must be and what it got. */
export function parseNumber(value: string, flag: string, { int = false, min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    throw new UserError(
      `${flag} must be ${int ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` <= ${max}` : ''}; got "${value}"`,
    );
  }
  return n;
}

/** Caption scores as an indented table under `title` (BLEU and ROUGE-L 0–1, CIDEr-D on coco's scale). */
export function formatScores(
  s: { bleu1: number; bleu2: number; bleu3: number; bleu4: number; rouge_l: number; cider: number },
  title: string,
): string {
  return (
    `${title}:\n` +
    `  BLEU-1  ${s.bleu1.toFixed(4)}\n  BLEU-2  ${s.bleu2.toFixed(4)}\n  BLEU-3  ${s.bleu3.toFixed(4)}\n  BLEU-4  ${s.bleu4.toFixed(4)}\n` +
    `  ROUGE-L ${s.rouge_l.toFixed(4)}\n  CIDEr-D ${s.cider.toFixed(4)}  (coco scale)\n`
  );
}
