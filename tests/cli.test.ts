import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync(process.execPath, ['bin/lenscribe.js', ...args], { encoding: 'utf8' });

describe('lenscribe CLI', () => {
  it('prints help and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: lenscribe');
  });
  it('rejects an unknown command with a one-line error and exit 1', () => {
    const r = cli(['no-such-command']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lenscribe: /);
  });
  it('is runnable through npx as installed, without an npm warning first', () => {
    // onnxruntime-node's install skip lives in package.json's allowScripts, not in an .npmrc key npm warns about on every run.
    const r = spawnSync('npx', ['--no-install', 'lenscribe', '--version'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
