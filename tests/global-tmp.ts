/**
 * The suite's temporary files go to one directory of this run, removed when the run ends: tests
 * make hundreds of libraries, models and browser profiles, and a test that fails before its own
 * cleanup must not leave them behind in the machine's /tmp. Child processes (serve, the CLI,
 * Chromium) inherit TMPDIR, so theirs land there too.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'lenscribe-tests-'));
  // As /tmp is: tests that run a command as another user (a read-only library) reach their files through it.
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
