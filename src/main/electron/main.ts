/**
 * Electron main process: opens the library in a worker thread (its captioning in further
 * workers), so this thread only routes calls, serves the renderer over `lenscribe://app/`, and bridges the API
 * contract over IPC. Hardened window: context isolation, sandbox, no Node in the renderer,
 * strict CSP, navigation/new windows blocked, permissions denied, IPC sender checked.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  session,
  shell,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
} from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiEvent } from '../../shared/api-contract.js';
import { replyTo, type ApiHost } from '../api/dispatch.js';
import { openApiHostInWorker } from '../api/remote-host.js';
import { CONTENT_SECURITY_POLICY } from '../csp.js';
import { APP_ORIGIN, handleProtocol, registerSchemePrivileges } from './protocol.js';
import { isAllowedRequest, isAppUrl } from './trust.js';
import { startUpdates } from './updates.js';

registerSchemePrivileges();
app.enableSandbox();

let host: ApiHost | null = null;
let mainWindow: BrowserWindow | null = null;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : undefined;
}

/** dist/ when run from the checkout (`electron .`), or the asar's dist/ when packaged. */
const distDir = join(__dirname, '..');
const rendererDir = join(distDir, 'renderer');

/**
 * better-sqlite3 for Electron's ABI. `npm start` builds one into .cache/electron-native (see
 * scripts/electron-native.mjs) so Node's own build stays intact for the CLI and tests; packaged
 * apps get node_modules rebuilt by electron-builder and need nothing here.
 */
function electronSqliteBinding(): string | undefined {
  if (app.isPackaged) return undefined;
  const file = join(distDir, '..', '.cache', 'electron-native', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  return existsSync(file) ? file : undefined;
}

function isOurFrame(event: IpcMainInvokeEvent): boolean {
  const frameUrl = event.senderFrame?.url ?? '';
  return mainWindow !== null && event.sender === mainWindow.webContents && isAppUrl(frameUrl);
}

async function pickFolder(): Promise<string | null> {
  const options = {
    title: 'Add a folder of photos',
    properties: ['openDirectory', 'multiSelections'] as Array<'openDirectory' | 'multiSelections'>,
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled || result.filePaths.length === 0 ? null : result.filePaths[0];
}

function buildMenu(): void {
  const addFolder: MenuItemConstructorOptions = {
    label: 'Add Folder…',
    accelerator: 'CmdOrCtrl+O',
    click: async () => {
      const path = await pickFolder();
      if (path) mainWindow?.webContents.send('lenscribe:menu-add-folder', path);
    },
  };
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [addFolder, { type: 'separator' }, process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'togglefullscreen' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Lenscribe',
    backgroundColor: '#1b1d22',
    show: false,
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    },
  });
  const wc = mainWindow.webContents;
  wc.setWindowOpenHandler(({ url }) => {
    // No new windows; an external http(s) link the user clicked opens in their browser.
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  wc.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

async function start(): Promise<void> {
  await app.whenReady();
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // No remote content at all: only our own protocol (and devtools) may load.
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url) });
  });

  const libraryDir = argValue('--library') ?? process.env.LENSCRIBE_LIBRARY ?? join(app.getPath('userData'), 'library');
  // The library (SQLite, scans, captioning jobs) runs in a worker thread; this thread only routes.
  host = await openApiHostInWorker(
    { libraryDir, capabilities: { pickFolder: true, dropFolders: true } },
    {
      sqliteBinding: electronSqliteBinding(),
      // The worker died past its restart budget: a window whose every call fails helps no one.
      onGiveUp: (reason) => {
        dialog.showErrorBox('Lenscribe stopped', reason);
        app.exit(1);
      },
    },
  );
  const opened = host;
  handleProtocol(rendererDir, () => opened);

  ipcMain.handle('lenscribe:call', async (event, method: unknown, input: unknown) => {
    if (!isOurFrame(event)) return { ok: false, error: { code: 'invalid_input', message: 'Call from an unknown frame refused.' } };
    return replyTo(opened, method, input);
  });
  ipcMain.handle('lenscribe:pick-folder', async (event) => (isOurFrame(event) ? pickFolder() : null));
  // The id is looked up like any call (validated, an indexed photo only): the renderer never names a path.
  ipcMain.handle('lenscribe:show-in-folder', async (event, photoId: unknown) => {
    if (!isOurFrame(event)) return false;
    const reply = await replyTo(opened, 'photos.get', { id: photoId });
    if (!reply.ok) return false;
    shell.showItemInFolder((reply.result as { path: string }).path);
    return true;
  });
  opened.onEvent((event: ApiEvent) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send('lenscribe:event', event);
  });

  buildMenu();
  createWindow();
  // Only with the user's "Check for updates" on; a failure to reach the feed never stops the app.
  void startUpdates(opened, () => mainWindow).catch((err) => console.error(`updates: ${String((err as Error)?.message ?? err)}`));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!isAppUrl(url)) ev.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let closing = false;
app.on('before-quit', (e) => {
  if (closing || !host) return;
  e.preventDefault();
  closing = true;
  void host.close().finally(() => app.quit());
});

start().catch((err) => {
  dialog.showErrorBox('Lenscribe could not start', String((err as Error)?.message ?? err));
  app.exit(1);
});
