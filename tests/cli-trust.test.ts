/** The built CLI keeps its word: a closed pipe is a quiet exit, read-only commands never create a library, errors point to --help. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../src/main/library/library.js';
import { tempDir } from './library/fixtures.js';

const cli = (args: string[]) => spawnSync(process.execPath, ['bin/lenscribe.js', ...args], { encoding: 'utf8', timeout: 60_000 });

/** Runs the CLI with a reader that closes its end of stdout after the first line. */
function runClosingAfterFirstLine(args: string[]): Promise<{ code: number | null; stderr: string; firstLine: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/lenscribe.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('\n')) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, firstLine: stdout.split('\n')[0]! }));
  });
}

describe('lenscribe export into a reader that stops early', () => {
  let lib: string;
  beforeAll(async () => {
    const d = tempDir('lenscribe-cli-trust-');
    lib = join(d, 'lib');
    const photos = join(d, 'photos');
    mkdirSync(photos);
    // Empty files are rows too (status error), cheap to ingest; long names make the CSV far larger than a pipe's buffer.
    for (let i = 0; i < 600; i++) writeFileSync(join(photos, `${String(i).padStart(4, '0')}-${'x'.repeat(180)}.jpg`), '');
    const library = Library.open(lib, { autoCaption: false, registerDefaultModel: false });
    try {
      await library.addFolder(photos, { caption: false });
    } finally {
      await library.close();
    }
  }, 60_000);

  it('exits 0 without a stack trace when the reader closes after one line', async () => {
    const r = await runClosingAfterFirstLine(['export', '--format', 'csv', '--library', lib]);
    expect(r.firstLine).toMatch(/^path,caption,/);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('read-only commands on a missing library', () => {
  for (const args of [['status'], ['search', 'kayak'], ['export', '--format', 'csv'], ['models', 'list']]) {
    it(`${args[0]} exits 1 with one line naming the folder, and creates nothing`, () => {
      const missing = join(tempDir('lenscribe-cli-trust-'), 'no-library-here');
      const r = cli([...args, '--library', missing]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([`lenscribe: no Lenscribe library at ${missing}`]);
      expect(r.stdout).toBe('');
      expect(existsSync(missing)).toBe(false);
    }, 60_000);
  }
});

describe('an unknown command', () => {
  it('points to --help in its one-line error', () => {
    const r = cli(['foo']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lenscribe: .*--help/);
  });
});
