/**
 * ExifTool dies with the process that started it: a real child node process reads a photo's
 * metadata through the pool, is SIGKILLed (no exit handler runs), and its perl ExifTool processes
 * end by themselves; the config folder the killed process left is removed when a pool next starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { endExiftool, exiftool } from '../../src/main/metadata/exiftool.js';
import { makeImage } from './helpers.js';
import { tempDir } from '../library/fixtures.js';

let child: ChildProcess | null = null;
afterAll(async () => {
  child?.kill('SIGKILL'); // a failed test must not leave its child running
  await endExiftool();
});

/** Running, and not a zombie waiting to be reaped (a container's pid 1 may never reap it). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill 0 is all there is
  }
}

const CHILD = `
import { exiftool, exiftoolPids } from './src/main/metadata/exiftool.ts';
const tags = await exiftool().read(process.argv[1]);
process.stdout.write(JSON.stringify({ pids: exiftoolPids(), mime: tags.MIMEType }) + '\\n');
setInterval(() => {}, 1000);
`;

describe.skipIf(process.platform === 'win32')('ExifTool and a killed parent', () => {
  it('ends the perl processes of a SIGKILLed parent and removes its temp folder at the next start', async () => {
    const photo = join(tempDir(), 'a.jpg');
    await makeImage(photo, 'jpeg');
    const c = (child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, photo], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      c.on('exit', (code) => reject(new Error(`child exited ${code} before reading`)));
    });
    const { pids, mime } = JSON.parse(line) as { pids: number[]; mime: string };
    expect(mime).toBe('image/jpeg');
    expect(pids.length).toBeGreaterThan(0);
    const dirs = readdirSync(tmpdir()).filter((n) => n.startsWith(`lenscribe-exiftool-${c.pid}-`));
    expect(dirs).toHaveLength(1);
    const left = join(tmpdir(), dirs[0]!);

    const exited = new Promise((resolve) => c.on('exit', resolve));
    c.kill('SIGKILL');
    await exited;
    const end = Date.now() + 20_000;
    while (pids.some(running) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(running)).toEqual([]);
    expect(existsSync(left)).toBe(true); // nothing ran in the killed process to remove it

    // The next pool to start cleans up after the dead one (and keeps its own).
    await exiftool().version();
    expect(existsSync(left)).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith(`lenscribe-exiftool-${process.pid}-`))).toHaveLength(1);
  }, 60_000);
});
