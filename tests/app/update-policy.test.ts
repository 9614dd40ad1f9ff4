/**
 * Updates (issue 16): off in a new library until the user turns "Check for updates" on (a real
 * library's settings through the API), never checked by `lenscribe serve` or an unpackaged app,
 * nothing downloaded or installed without a yes. The electron-updater calls themselves run only
 * in the packaged app (src/main/electron/updates.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/shared/api-contract.js';
import { openApiHost } from '../../src/main/api/host.js';
import { afterAnswer, UPDATER_SWITCHES, updateCheck } from '../../src/main/electron/update-policy.js';

let dir = '';
let host: Awaited<ReturnType<typeof openApiHost>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-updates-'));
  host = await openApiHost({
    libraryDir: join(dir, 'library'),
    capabilities: { pickFolder: true, dropFolders: true },
    watch: false,
    libraryOptions: { registerDefaultModel: false, importMetadata: false },
  });
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the "Check for updates" setting', () => {
  it('is off in a new library, turns on and off through settings.set, and refuses a non-boolean', async () => {
    const fresh = (await host.dispatch('settings.get', {})) as Settings;
    expect(fresh.checkForUpdates).toBe(false);
    expect(updateCheck({ runtime: 'electron', packaged: true, settings: fresh })).toEqual({
      check: false,
      reason: '"Check for updates" is off in Settings',
    });
    const on = (await host.dispatch('settings.set', { checkForUpdates: true })) as Settings;
    expect(on.checkForUpdates).toBe(true);
    expect(((await host.dispatch('settings.get', {})) as Settings).checkForUpdates).toBe(true);
    expect(updateCheck({ runtime: 'electron', packaged: true, settings: on })).toEqual({ check: true });
    await expect(host.dispatch('settings.set', { checkForUpdates: 'yes' })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(((await host.dispatch('settings.set', { checkForUpdates: false })) as Settings).checkForUpdates).toBe(false);
  });
});

describe('update policy', () => {
  it('never checks from lenscribe serve or an unpackaged app, even with the setting on', () => {
    const on = { checkForUpdates: true };
    expect(updateCheck({ runtime: 'serve', packaged: true, settings: on })).toMatchObject({ check: false, reason: /serve/ });
    expect(updateCheck({ runtime: 'electron', packaged: false, settings: on })).toMatchObject({
      check: false,
      reason: /not a packaged app/,
    });
  });

  it('downloads and installs only after a yes, and never on its own', () => {
    expect(UPDATER_SWITCHES.autoDownload).toBe(false);
    expect(UPDATER_SWITCHES.autoInstallOnAppQuit).toBe(false);
    expect(afterAnswer('available', 'no')).toBe('wait');
    expect(afterAnswer('available', 'yes')).toBe('download');
    expect(afterAnswer('downloaded', 'no')).toBe('wait');
    expect(afterAnswer('downloaded', 'yes')).toBe('install');
  });

  it('is not in the CLI that runs lenscribe serve', () => {
    const cli = readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'cli.js'), 'utf8');
    expect(cli).not.toContain('electron-updater');
    expect(readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'main', 'main.cjs'), 'utf8')).toContain(
      'require("electron-updater")',
    );
  });
});
