/**
 * Preload (sandboxed, context-isolated): exposes the narrow `window.lenscribe` bridge. It passes
 * plain data through one IPC channel per purpose; the main process validates every call against
 * the contract and checks that it came from our own window.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { ApiEvent, LenscribeBridge } from '../../shared/api-contract.js';

const bridge: LenscribeBridge = {
  call: (method, input) => ipcRenderer.invoke('lenscribe:call', String(method), input),
  onEvent(listener) {
    const wrapped = (_e: unknown, event: ApiEvent) => listener(event);
    ipcRenderer.on('lenscribe:event', wrapped);
    return () => ipcRenderer.removeListener('lenscribe:event', wrapped);
  },
  pickFolder: () => ipcRenderer.invoke('lenscribe:pick-folder'),
  showInFolder: (photoId) => ipcRenderer.invoke('lenscribe:show-in-folder', Number(photoId)),
  pathForFile(file) {
    try {
      return webUtils.getPathForFile(file) || null;
    } catch {
      return null;
    }
  },
  onMenuAddFolder(listener) {
    const wrapped = (_e: unknown, path: string) => listener(String(path));
    ipcRenderer.on('lenscribe:menu-add-folder', wrapped);
    return () => ipcRenderer.removeListener('lenscribe:menu-add-folder', wrapped);
  },
};

contextBridge.exposeInMainWorld('lenscribe', bridge);
