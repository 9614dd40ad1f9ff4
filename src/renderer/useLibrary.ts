/** What the core tells every view: library info, folders, jobs, settings, the teach run, and a token bumped when photos change. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient, Folder, Job, LibraryInfo, Settings, TeachRun } from '../shared/api-contract.js';
import { defaultSettings } from '../shared/api-values.js';
import { EMPTY_JOB_BOOK, missedProgress, newerOf, withJobEvent, withJobList, type JobBook, type Stamped } from './jobState.js';

/** Captions arrive many per second; the views refresh at most this often. */
const REFRESH_MS = 500;
/**
 * While a job runs, how often its list is asked for again. Events sent before the stream was
 * open (it opens with the first snapshots, and again after a dropped connection) are not
 * replayed; a job finished meanwhile would otherwise stay "running" for good.
 */
const RESYNC_MS = 5_000;

export type Library = ReturnType<typeof useLibrary>;

/** Where an added folder is shown: its library folder, and the subfolder there when it lay inside one. */
export type FolderAdded = (folderId: number, subfolder: string | null) => void;

/** Folders whose captioning is paused or cancelled: their waiting photos say so (grid and photo view). */
export function pausedFolderIds(folders: readonly Folder[] | null): ReadonlySet<number> {
  return new Set((folders ?? []).filter((f) => f.status === 'paused').map((f) => f.id));
}

/**
 * Folders and jobs as events and fetched lists tell them, in whatever order those arrive: one
 * clock stamps each (jobState.ts), so an answer to an older request never replaces newer news.
 */
function useLiveState(client: ApiClient) {
  const clock = useRef(0);
  const tick = useCallback(() => ++clock.current, []);
  const [folders, setFolderState] = useState<Stamped<Folder[] | null>>({ value: null, stamp: 0 });
  const [book, setBook] = useState<JobBook>(EMPTY_JOB_BOOK);
  const putFolders = useCallback((list: Folder[], stamp: number) => setFolderState((s) => newerOf(s, list, stamp)), []);
  const refetchFolders = useCallback(() => {
    const stamp = tick();
    return client.call('folders.list').then((list) => putFolders(list, stamp));
  }, [client, tick, putFolders]);
  const refetchJobs = useCallback(() => {
    const stamp = tick();
    return client.call('jobs.list').then((list) => {
      setBook((b) => withJobList(b, list, stamp));
      return list;
    });
  }, [client, tick]);
  const onJobEvent = useCallback(
    (job: Job) => {
      const stamp = tick();
      setBook((b) => withJobEvent(b, job, stamp));
    },
    [tick],
  );
  const onFoldersEvent = useCallback((list: Folder[]) => putFolders(list, tick()), [putFolders, tick]);
  /** A list the caller fetched itself (after removing a folder): newer than what came before it. */
  const setFolders = useCallback((list: Folder[]) => putFolders(list, tick()), [putFolders, tick]);
  /** After finished jobs were cleared: the jobs the core has left. */
  const setJobList = useCallback(
    (list: Job[]) => {
      const stamp = tick();
      setBook((b) => withJobList(b, list, stamp));
    },
    [tick],
  );
  return { folders: folders.value, setFolders, refetchFolders, onFoldersEvent, book, refetchJobs, onJobEvent, setJobList };
}

/** The token the photo lists refresh on, bumped at most every REFRESH_MS; the folder counts are fetched again with it. */
function useRefreshToken(refetchFolders: () => Promise<void>) {
  const [refresh, setRefresh] = useState(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const bump = useCallback(() => {
    if (pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = null;
      setRefresh((r) => r + 1);
      refetchFolders().catch(() => {});
    }, REFRESH_MS);
  }, [refetchFolders]);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
    },
    [],
  );
  return { refresh, bump };
}

/** While a job runs or waits to, its list again every RESYNC_MS; progress the events did not bring means they were missed, so the photos are fetched again too. */
function useJobResync(book: JobBook, refetchJobs: () => Promise<Job[]>, bump: () => void) {
  // Not for a paused job: it moves only when someone resumes it, and that comes as an event.
  const live = [...book.jobs.values()].some((j) => j.status === 'running' || j.status === 'queued');
  const latest = useRef(book);
  useEffect(() => {
    latest.current = book;
  }, [book]);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => {
      refetchJobs().then(
        (list) => missedProgress(latest.current, list) && bump(),
        () => {},
      );
    }, RESYNC_MS);
    return () => clearInterval(timer);
  }, [live, refetchJobs, bump]);
}

export function useLibrary(
  client: ApiClient,
  showError: (message: string, level?: 'warning' | 'error') => void,
  onFolderAdded: FolderAdded,
) {
  const [info, setInfo] = useState<LibraryInfo | null>(null);
  const { folders, setFolders, refetchFolders, onFoldersEvent, book, refetchJobs, onJobEvent, setJobList } = useLiveState(client);
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
        await refetchFolders();
        onFolderAdded(res.folder.id, res.subfolder);
        return true;
      } catch (err) {
        showError((err as Error).message);
        return false;
      }
    },
    [client, showError, onFolderAdded, refetchFolders],
  );
  const [settings, setSettings] = useState<Settings>(defaultSettings);
  const [teachRun, setTeachRun] = useState<TeachRun | null>(null);
  const { refresh, bump } = useRefreshToken(refetchFolders);
  useJobResync(book, refetchJobs, bump);

  // Live updates, then the initial load: the event stream is asked for before the snapshots.
  useEffect(() => {
    const off = client.onEvent((event) => {
      if (event.kind === 'job') onJobEvent(event.job);
      else if (event.kind === 'folders') onFoldersEvent(event.folders);
      else if (event.kind === 'photos') bump();
      else if (event.kind === 'settings') setSettings(event.settings);
      else if (event.kind === 'teach') setTeachRun(event.run);
      else if (event.kind === 'notice') showError(event.message, event.level);
    });
    client.call('library.info').then(setInfo, (e: Error) => showError(e.message));
    refetchFolders().catch((e: Error) => showError(e.message));
    client.call('settings.get').then(setSettings, () => {});
    refetchJobs().catch(() => {});
    client.call('teach.status', { limit: 0 }).then(
      (s) => setTeachRun((r) => r ?? s.run),
      () => {},
    );
    const offMenu = window.lenscribe?.onMenuAddFolder((path) => void addFolder(path));
    return () => {
      off();
      offMenu?.();
    };
  }, [client, showError, addFolder, onJobEvent, onFoldersEvent, bump, refetchFolders, refetchJobs]);

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
  const jobs = book.jobs;
  return { info, folders, setFolders, addFolder, jobs, setJobList, settings, updateSettings, teachRun, refresh };
}
