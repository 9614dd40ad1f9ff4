/** What the library's CLI commands share: opening the library, a TTY progress bar, error summaries. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultLibraryDir, Library, type LibraryOptions } from '../main/library/library.js';

export function addLibraryOption(cmd: Command): Command {
  return cmd.option('--library <dir>', 'library folder (database and thumbnails)', undefined);
}

export function openLibraryFromCli(opts: { library?: string }, options: LibraryOptions = {}): Library {
  return Library.open(opts.library ? resolve(opts.library) : defaultLibraryDir(), options);
}

/** One line, redrawn in place on a TTY (nothing when stderr is not a terminal). */
export class ProgressBar {
  private last = 0;
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return !!this.stream.isTTY;
  }

  update(done: number, total: number, extra = '', force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = 28;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${(frac * 100).toFixed(0)}% ${extra}`;
    const cols = this.stream.columns || 100;
    this.stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 2))}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
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

export function parsePositiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
