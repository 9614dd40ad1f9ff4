/**
 * electron-builder's unpacked Linux app (`--dir`), assembled here without Electron's binary:
 * `electronDist` points at a stand-in folder whose `electron` is a shell script, so every other
 * step runs for real (file rules, asar and asarUnpack, extra resources, app-update.yml). Not
 * done here: rebuilding native modules for Electron's ABI (npmRebuild needs Electron's headers
 * from the network), so the addons are Node's builds; the release workflow does both for real.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/** Build into `outDir` with the config file `config` (default: the project's); returns the app's resources folder. */
export async function buildUnpacked(outDir: string, config = join(root, 'electron-builder.yml')): Promise<string> {
  const standIn = join(outDir, 'electron-stand-in');
  mkdirSync(standIn, { recursive: true });
  writeFileSync(join(standIn, 'electron'), '#!/bin/sh\necho "stand-in for Electron: nothing to run" >&2\nexit 1\n');
  chmodSync(join(standIn, 'electron'), 0o755);
  const args = [
    join(root, 'node_modules', 'electron-builder', 'cli.js'),
    '--linux',
    'dir',
    '--x64',
    '--config',
    config,
    '--publish',
    'never',
    `-c.electronDist=${standIn}`,
    '-c.npmRebuild=false',
    `-c.directories.output=${join(outDir, 'release')}`,
    // The workflow's checkout names the repository (.git/config); a checkout without a remote does not.
    '-c.publish.owner=lenscribe-test',
    '-c.publish.repo=lenscribe',
  ];
  await new Promise<string>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`electron-builder exited ${code}:\n${out}`))));
  });
  return join(outDir, 'release', 'linux-unpacked', 'resources');
}
