/**
 * When the desktop app may look for, download and install an update: only a packaged app, only
 * with the user's "Check for updates" setting on, and each download and restart only after the
 * user said yes. Pure functions (no Electron import) so they are tested under Node; updates.ts
 * applies them to electron-updater.
 */
import type { Settings } from '../../shared/api-contract.js';

/** electron-updater's switches: nothing happens behind the user's back. */
export const UPDATER_SWITCHES = {
  autoDownload: false,
  autoInstallOnAppQuit: false,
  allowPrerelease: false,
  allowDowngrade: false,
} as const;

/** How often a running app asks the feed again while the setting is on. */
export const RECHECK_EVERY_MS = 6 * 60 * 60 * 1000;

export interface UpdateCheckContext {
  /** 'electron': the desktop app; 'serve': `lenscribe serve` (never updates itself: it runs from npm or a checkout). */
  runtime: 'electron' | 'serve';
  /** Electron's app.isPackaged: `npm start` runs from the checkout, which git updates. */
  packaged: boolean;
  settings: Pick<Settings, 'checkForUpdates'>;
}

/** Whether to ask the releases feed now, and if not, why not (for the log). */
export function updateCheck(context: UpdateCheckContext): { check: true } | { check: false; reason: string } {
  if (context.runtime !== 'electron') return { check: false, reason: 'lenscribe serve does not update itself' };
  if (!context.packaged) return { check: false, reason: 'not a packaged app (npm start runs the checkout)' };
  if (!context.settings.checkForUpdates) return { check: false, reason: '"Check for updates" is off in Settings' };
  return { check: true };
}

export type UpdateStep = 'download' | 'install' | 'wait';

/**
 * What follows the user's answer: a found update is downloaded only on 'yes', a downloaded one
 * installed (the app restarts) only on 'yes'; any other answer leaves everything as it is.
 */
export function afterAnswer(stage: 'available' | 'downloaded', answer: 'yes' | 'no'): UpdateStep {
  if (answer !== 'yes') return 'wait';
  return stage === 'available' ? 'download' : 'install';
}
