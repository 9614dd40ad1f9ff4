/**
 * What the built CLI prints when things go wrong around it: one line for an `--out` it cannot
 * write, a quiet exit 0 when the reader of stdout or stderr goes away (every command, one handler),
 * and text from photos and captions files printed with its control characters escaped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyPhotos } from '../app/helpers.js';
import { tempDir } from '../library/fixtures.js';

const cli = (args: string[]) => spawnSync(process.execPath, ['bin/lenscribe.js', ...args], { encoding: 'utf8', timeout: 60_000 });
/** Raw bytes a terminal would act on: C0 (but newline and tab), DEL, C1. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Runs the CLI with the reading end of `stream` closed before it writes anything; the other stream goes nowhere. */
function runWithClosed(stream: 'stdout' | 'stderr', args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/lenscribe.js', ...args], {
      stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'ignore'],
    });
    child[stream]!.destroy();
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

let dir: string;
let photos: string;
let lib: string;
let names: string[];

beforeAll(() => {
  dir = tempDir('lenscribe-cli-output-');
  photos = join(dir, 'photos');
  lib = join(dir, 'lib');
  names = copyPhotos(photos, 2);
  const r = cli(['caption', photos, '--library', lib]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

describe('export --out it cannot write', () => {
  it('names a folder given as --out in one line, without a stack trace', () => {
    const r = cli(['export', '--format', 'csv', '--out', photos, '--library', lib]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `lenscribe: --out ${photos} is a folder: give a file name, e.g. --out ${join(photos, 'captions.csv')}`,
    ]);
  });

  it('names the missing folder of --out in one line, and writes nothing', () => {
    const out = join(dir, 'no-such-dir', 'captions.json');
    const r = cli(['export', '--format', 'json', '--out', out, '--library', lib]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`lenscribe: --out ${out}: the folder ${join(dir, 'no-such-dir')} does not exist`]);
    expect(r.stdout).toBe('');
  });

  it('says when the disk is full', () => {
    const r = cli(['export', '--format', 'csv', '--out', '/dev/full', '--library', lib]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['lenscribe: --out /dev/full: the disk is full']);
  });
});

describe('a reader that goes away', () => {
  const commands = () => [
    ['search', 'dog', '--library', lib],
    ['status', '--library', lib],
    ['folders', 'list', '--library', lib],
    ['export', '--format', 'csv', '--library', lib],
    ['tags', photos, '--library', lib],
    ['caption', photos, '--library', lib],
    ['search', '--help'],
  ];
  for (const stream of ['stdout', 'stderr'] as const) {
    it(`ends every command with 0, and no crash, when ${stream} is closed`, async () => {
      for (const args of commands()) expect(await runWithClosed(stream, args), `${args.join(' ')} (${stream} closed)`).toBe(0);
    }, 120_000);
  }

  it('goes on with the work and keeps the exit code when only stderr is closed', async () => {
    const out = join(dir, 'listing.csv');
    expect(await runWithClosed('stderr', ['export', '--format', 'csv', '--out', out, '--library', lib])).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1 + names.length);
    expect(await runWithClosed('stderr', ['export', '--format', 'csv', '--out', photos, '--library', lib])).toBe(1);
  });
});

describe('text from files, photos and captions on the terminal', () => {
  it('label shows control bytes of a captions file as escapes, and search shows them in captions', () => {
    const caption = 'a dog\u001b]0;pwned\u0007 runs \u009b2J on \u202egrass';
    const from = join(dir, 'captions.jsonl');
    writeFileSync(
      from,
      [
        JSON.stringify({ file: `photos/${names[0]}`, captions: [caption] }),
        JSON.stringify({ file: 'photos/\u001b[2J\u001b[31mgone.jpg', captions: ['x'] }),
      ].join('\n') + '\n',
    );
    const labeled = cli(['label', '--from', from, '--library', lib]);
    expect(labeled.status).toBe(2);
    expect(labeled.stdout).toMatch(/^1 captions imported/);
    expect(labeled.stderr).not.toMatch(CONTROL);
    expect(labeled.stderr).toContain(`not found: ${join(photos, '\\u001b[2J\\u001b[31mgone.jpg')}`);

    const found = cli(['search', 'runs', '--no-similar', '--library', lib]);
    expect(found.status).toBe(0);
    expect(found.stdout).not.toMatch(CONTROL);
    expect(found.stdout).not.toContain('\u202e');
    expect(found.stdout).toContain('\\u001b]0;pwned\\u0007');
    // JSON keeps the caption as written: the escapes are JSON's own.
    const asJson = cli(['search', 'runs', '--no-similar', '--json', '--library', lib]);
    expect(asJson.stdout).not.toMatch(CONTROL);
    expect(JSON.parse(asJson.stdout.split('\n')[0]!).caption).toBe(caption);
  });
});
