/**
 * Updates of the packaged desktop app from its GitHub releases feed (electron-updater; the feed
 * is app-update.yml, written by electron-builder's `publish` setting). Off until the user turns
 * "Check for updates" on; a found update is only named, and downloaded and installed each after
 * the user says yes (update-policy.ts decides). `lenscribe serve` never loads this module.
 */
import { app, dialog, type BrowserWindow } from 'electron';
import { autoUpdater } from 'electron-updater';
import type { Settings } from '../../shared/api-contract.js';
import type { ApiHost } from '../api/dispatch.js';
import { afterAnswer, RECHECK_EVERY_MS, UPDATER_SWITCHES, updateCheck } from './update-policy.js';

type Ask = (message: string, detail: string, yes: string) => Promise<'yes' | 'no'>;

function asker(window: () => BrowserWindow | null): Ask {
  return async (message, detail, yes) => {
    const options = { type: 'info' as const, message, detail, buttons: [yes, 'Not now'], defaultId: 0, cancelId: 1, noLink: true };
    const w = window();
    const { response } = w ? await dialog.showMessageBox(w, options) : await dialog.showMessageBox(options);
    return response === 0 ? 'yes' : 'no';
  };
}

/** Start watching the setting; checks run while it is on (at once, then every few hours). */
export async function startUpdates(host: ApiHost, window: () => BrowserWindow | null): Promise<void> {
  Object.assign(autoUpdater, UPDATER_SWITCHES);
  autoUpdater.logger = null;
  const ask = asker(window);
  let timer: NodeJS.Timeout | null = null;

  autoUpdater.on('update-available', async (info) => {
    const answer = await ask(`Lenscribe ${info.version} is available`, `You have ${app.getVersion()}. Download it now?`, 'Download');
    if (afterAnswer('available', answer) === 'download') await autoUpdater.downloadUpdate();
  });
  autoUpdater.on('update-downloaded', async (info) => {
    const answer = await ask(`Lenscribe ${info.version} is ready`, 'Restart Lenscribe to install it?', 'Restart');
    if (afterAnswer('downloaded', answer) === 'install') autoUpdater.quitAndInstall();
  });
  autoUpdater.on('error', (err) => console.error(`updates: ${String(err?.message ?? err).split('\n')[0]}`));

  const apply = (settings: Pick<Settings, 'checkForUpdates'>) => {
    const decision = updateCheck({ runtime: 'electron', packaged: app.isPackaged, settings });
    if (timer) clearInterval(timer);
    timer = null;
    if (!decision.check) {
      console.error(`updates: not checking (${decision.reason})`);
      return;
    }
    const check = () => void autoUpdater.checkForUpdates().catch(() => undefined); // 'error' logs it
    check();
    timer = setInterval(check, RECHECK_EVERY_MS);
    timer.unref();
  };
  let enabled = ((await host.dispatch('settings.get', {})) as Settings).checkForUpdates;
  apply({ checkForUpdates: enabled });
  host.onEvent((event) => {
    if (event.kind !== 'settings' || event.settings.checkForUpdates === enabled) return;
    enabled = event.settings.checkForUpdates;
    apply({ checkForUpdates: enabled });
  });
}
