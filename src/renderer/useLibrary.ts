/** What the core tells every view: library info, folders, jobs, settings, the teach run, and a token bumped when photos change. */
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, Folder, Job, LibraryInfo, Settings, TeachRun } from '../shared/api-contract.js';
import { defaultSettings } from '../shared/api-values.js';

/** Captions arrive many per second; the views refresh at most this often. */
const REFRESH_MS = 500;

export type Library = ReturnType<typeof useLibrary>;

/** Where an added folder is shown: its library folder, and the subfolder there when it lay inside one. */
export type FolderAdded = (folderId: number, subfolder: string | null) => void;

/** Folders whose captioning is paused or cancelled: their waiting photos say so (grid and photo view). */
export function pausedFolderIds(folders: readonly Folder[] | null): ReadonlySet<number> {
  return new Set((folders ?? []).filter((f) => f.status === 'paused').map((f) => f.id));
}

export function useLibrary(
  client: ApiClient,
  showError: (message: string, level?: 'warning' | 'error') => void,
  onFolderAdded: FolderAdded,
) {
  const [info, setInfo] = useState<LibraryInfo | null>(null);
  const [folders, setFolders] = useState<Folder[] | null>(null);
  /**
   * Add a folder; when that reshapes the library (it holds library folders, or lies inside one)
   * the core says what will happen and the user is asked first. True once added.
   */
  const addFolder = useCallback(
    async (path: string): Promise<boolean> => {
      try {
        let res = await client.call('folders.add', { path });
        if (res.outcome === 'needs-confirmation') {
          if (!window.confirm(res.message)) return false;
          res = await client.call('folders.add', { path, confirm: true });
          if (res.outcome === 'needs-confirmation') return false;
        }
        setFolders(await client.call('folders.list'));
        onFolderAdded(res.folder.id, res.subfolder);
        return true;
      } catch (err) {
        showError((err as Error).message);
        return false;
      }
    },
    [client, showError, onFolderAdded],
  );
  const [jobs, setJobs] = useState<Map<number, Job>>(new Map());
  const [settings, setSettings] = useState<Settings>(defaultSettings);
  const [teachRun, setTeachRun] = useState<TeachRun | null>(null);
  const [refresh, setRefresh] = useState(0);

  // Initial load and live updates.
  useEffect(() => {
    client.call('library.info').then(setInfo, (e: Error) => showError(e.message));
    client.call('folders.list').then(setFolders, (e: Error) => showError(e.message));
    client.call('settings.get').then(setSettings, () => {});
    client.call('jobs.list').then(
      (list) => setJobs(new Map(list.map((j) => [j.id, j]))),
      () => {},
    );
    client.call('teach.status', { limit: 0 }).then(
      (s) => setTeachRun((r) => r ?? s.run),
      () => {},
    );
    let pending: ReturnType<typeof setTimeout> | null = null;
    const bump = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        setRefresh((r) => r + 1);
        client.call('folders.list').then(setFolders, () => {});
      }, REFRESH_MS);
    };
    const off = client.onEvent((event) => {
      if (event.kind === 'job') setJobs((m) => new Map(m).set(event.job.id, event.job));
      else if (event.kind === 'folders') setFolders(event.folders);
      else if (event.kind === 'photos') bump();
      else if (event.kind === 'settings') setSettings(event.settings);
      else if (event.kind === 'teach') setTeachRun(event.run);
      else if (event.kind === 'notice') showError(event.message, event.level);
    });
    const offMenu = window.lenscribe?.onMenuAddFolder((path) => void addFolder(path));
    return () => {
      off();
      offMenu?.();
      if (pending) clearTimeout(pending);
    };
  }, [client, showError, addFolder]);

  // Theme: an attribute the stylesheet keys on ('system' follows prefers-color-scheme).
  useEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  }, [settings.theme]);

  const updateSettings = useCallback(
    (patch: Partial<Settings>) => {
      setSettings((s) => ({ ...s, ...patch }));
      client.call('settings.set', patch).then(setSettings, (e: Error) => showError(e.message));
    },
    [client, showError],
  );
  /** After finished jobs were cleared: the jobs the core has left. */
  const setJobList = useCallback((list: Job[]) => setJobs(new Map(list.map((j) => [j.id, j]))), []);
  return { info, folders, setFolders, addFolder, jobs, setJobList, settings, updateSettings, teachRun, refresh };
}
