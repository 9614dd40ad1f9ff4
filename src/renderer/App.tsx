/**
 * The app shell: sidebar (folders, jobs), toolbar (search, captions toggle), the grid of the
 * selected folder or of search results, the photo view, the first-run screen and the drop zone.
 * All state comes from the core through the ApiClient; core events keep it live.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  defaultSettings,
  type ApiClient,
  type Folder,
  type Job,
  type LibraryInfo,
  type PhotoSummary,
  type SearchHit,
  type SearchResult,
  type Settings,
  type TrainingRun,
} from '../shared/api-contract.js';
import { FirstRun } from './components/FirstRun.js';
import { Grid } from './components/Grid.js';
import { PhotoView } from './components/PhotoView.js';
import { SettingsView } from './components/SettingsView.js';
import { Sidebar, type View } from './components/Sidebar.js';
import { TeachView } from './components/TeachView.js';
import { plural, snippetRuns } from './format.js';
import { usePaged } from './usePaged.js';

const SEARCH_DEBOUNCE_MS = 180;
const PHOTO_PAGE = 300;
const SEARCH_PAGE = 100;
/** The library reports at most this many matches (a lower bound past it). */
const SEARCH_COUNT_CAP = 1000;

type SearchMeta = Pick<SearchResult, 'query' | 'expanded'>;

export function App({ client }: { client: ApiClient }) {
  const [info, setInfo] = useState<LibraryInfo | null>(null);
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const [jobs, setJobs] = useState<Map<number, Job>>(new Map());
  const [settings, setSettings] = useState<Settings>(defaultSettings);
  const [folderId, setFolderId] = useState<number | null>(null);
  const [query, setQuery] = useState('');
  const [debounced, setDebounced] = useState('');
  const [selected, setSelected] = useState(0);
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [toast, setToast] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [view, setView] = useState<View>('photos');
  const [trainingRun, setTrainingRun] = useState<TrainingRun | null>(null);
  /** A photo opened from outside the grid (the Teach view's labeled photos). */
  const [openById, setOpenById] = useState<number | null>(null);
  const gridWrap = useRef<HTMLDivElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);

  const showError = useCallback((message: string) => setToast(message), []);

  // Initial load and live updates.
  useEffect(() => {
    client.call('library.info').then(setInfo, (e: Error) => showError(e.message));
    client.call('folders.list').then(setFolders, (e: Error) => showError(e.message));
    client.call('settings.get').then(setSettings, () => {});
    client.call('jobs.list').then(
      (list) => setJobs(new Map(list.map((j) => [j.id, j]))),
      () => {},
    );
    client.call('training.status', { limit: 0 }).then(
      (s) => setTrainingRun((r) => r ?? s.run),
      () => {},
    );
    let pending: ReturnType<typeof setTimeout> | null = null;
    const bump = () => {
      // Captions arrive many per second; refresh the views at most twice a second.
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        setRefresh((r) => r + 1);
        client.call('folders.list').then(setFolders, () => {});
      }, 500);
    };
    const off = client.onEvent((event) => {
      if (event.kind === 'job') setJobs((m) => new Map(m).set(event.job.id, event.job));
      else if (event.kind === 'folders') setFolders(event.folders);
      else if (event.kind === 'photos') bump();
      else if (event.kind === 'settings') setSettings(event.settings);
      else if (event.kind === 'training') setTrainingRun(event.run);
      else if (event.kind === 'notice') showError(event.message);
    });
    const offMenu = window.lenscribe?.onMenuAddFolder((path) => void addFolder(path));
    return () => {
      off();
      offMenu?.();
      if (pending) clearTimeout(pending);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client]);

  // Theme: an attribute the stylesheet keys on ('system' follows prefers-color-scheme).
  useEffect(() => {
    document.documentElement.dataset.theme = settings.theme;
  }, [settings.theme]);

  // Search as the user types, once typing pauses.
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setDebounced('');
      return;
    }
    const t = setTimeout(() => setDebounced(q), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [query]);

  const photos = usePaged<PhotoSummary>(
    `folder:${folderId ?? 'all'}`,
    (offset, limit) => client.call('photos.list', { folderId: folderId ?? undefined, offset, limit }),
    PHOTO_PAGE,
    refresh,
  );
  const search = usePaged<SearchHit, SearchMeta>(
    debounced ? JSON.stringify([debounced, folderId, settings.searchSimilarWords]) : null,
    async (offset, limit) => {
      const r = await client.call('search', {
        query: debounced,
        folderId: folderId ?? undefined,
        similarWords: settings.searchSimilarWords,
        offset,
        limit,
      });
      return { total: Math.max(r.total, offset + r.hits.length), items: r.hits, meta: { query: r.query, expanded: r.expanded } };
    },
    SEARCH_PAGE,
    refresh,
  );
  useEffect(() => {
    if (search.error) showError(search.error);
  }, [search.error, showError]);

  useEffect(() => {
    setSelected(0);
  }, [folderId, search.key]);

  const inSearch = query.trim() !== '';
  const searching = inSearch && (debounced !== query.trim() || search.total === null);
  const count = inSearch ? (search.total ?? 0) : (photos.total ?? 0);
  const getPhoto = useCallback(
    (i: number): PhotoSummary | undefined => (inSearch ? search.get(i)?.photo : photos.get(i)),
    [inSearch, search, photos],
  );
  const ensure = useCallback((s: number, e: number) => (inSearch ? search.ensure(s, e) : photos.ensure(s, e)), [inSearch, search, photos]);

  const renderSnippet = useMemo(() => {
    if (!inSearch) return undefined;
    return (i: number) => {
      const hit = search.get(i);
      if (!hit) return null;
      return (
        <span className={hit.viaSimilar ? 'via-similar' : undefined}>
          {snippetRuns(hit.snippet).map((r, k) => (r.match ? <mark key={k}>{r.text}</mark> : <span key={k}>{r.text}</span>))}
        </span>
      );
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [inSearch, search, search.total]);

  const addFolder = useCallback(
    async (path: string) => {
      try {
        const res = await client.call('folders.add', { path });
        setFolders(await client.call('folders.list'));
        setFolderId(res.folder.id);
        setQuery('');
      } catch (err) {
        showError((err as Error).message);
      }
    },
    [client, showError],
  );

  const updateSettings = useCallback(
    (patch: Partial<Settings>) => {
      setSettings((s) => ({ ...s, ...patch }));
      client.call('settings.set', patch).then(setSettings, (e: Error) => showError(e.message));
    },
    [client, showError],
  );

  // Global shortcuts: "/" or Ctrl/Cmd+F focuses search.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = (e.target as HTMLElement)?.closest?.('input, textarea, select');
      if ((e.key === '/' && !typing) || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'f')) {
        e.preventDefault();
        searchInput.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Drop zone: folders dropped on the window are added (desktop app; a browser cannot see paths).
  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    setDragging(true);
  };
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (!client.pathForFile) {
      showError('A browser cannot tell Lenscribe where a dropped folder is. Type its path on the server instead.');
      return;
    }
    for (const f of files) {
      const p = client.pathForFile(f);
      if (p) await addFolder(p);
    }
  };

  const openedPhoto = openIndex !== null ? getPhoto(openIndex) : undefined;
  const jobList = [...jobs.values()].sort((a, b) => b.id - a.id).slice(0, 5);
  const empty = folders !== null && folders.length === 0;
  const modelMissing = info !== null && info.activeModel === null;

  return (
    <div
      className={`app${dragging ? ' dragging' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => e.currentTarget === e.target && setDragging(false)}
      onDrop={onDrop}
    >
      <Sidebar
        client={client}
        folders={folders ?? []}
        jobs={jobList}
        selected={folderId}
        settings={settings}
        view={view}
        onView={setView}
        trainingRun={trainingRun}
        onSelect={(id) => {
          setView('photos');
          setFolderId(id);
          gridWrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();
        }}
        onAdd={addFolder}
        onRescan={(id) => client.call('folders.rescan', { id }).catch((e: Error) => showError(e.message))}
        onRemove={(f) => {
          if (window.confirm(`Remove ${f.path} from the library? The photos stay on disk; their captions are forgotten.`)) {
            client
              .call('folders.remove', { id: f.id })
              .then(() => client.call('folders.list').then(setFolders))
              .then(() => setFolderId(null))
              .catch((e: Error) => showError(e.message));
          }
        }}
        onSettings={updateSettings}
        onError={showError}
      />
      {view === 'teach' ? (
        <main className="main main-scroll" aria-label="Teach">
          <TeachView
            client={client}
            run={trainingRun}
            refreshToken={refresh}
            theme={settings.theme}
            onError={showError}
            onOpenPhoto={setOpenById}
          />
        </main>
      ) : view === 'settings' ? (
        <main className="main main-scroll" aria-label="Settings">
          <SettingsView client={client} settings={settings} onSettings={updateSettings} onError={showError} />
        </main>
      ) : (
        <main className="main">
          <header className="toolbar">
            <div className="search" role="search">
              <input
                ref={searchInput}
                type="search"
                placeholder="Search captions and file names  ( / )"
                aria-label="Search photos by caption"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') setQuery('');
                  if (e.key === 'ArrowDown' || e.key === 'Enter') {
                    e.preventDefault();
                    gridWrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();
                  }
                }}
                data-testid="search"
              />
            </div>
            <label className="toggle" title="Also find photos captioned with words of similar meaning (puppy → dog)">
              <input
                type="checkbox"
                checked={settings.searchSimilarWords}
                onChange={(e) => updateSettings({ searchSimilarWords: e.target.checked })}
              />{' '}
              Similar words
            </label>
            <label className="toggle">
              <input
                type="checkbox"
                checked={settings.captionsUnderThumbnails}
                onChange={(e) => updateSettings({ captionsUnderThumbnails: e.target.checked })}
              />{' '}
              Captions
            </label>
          </header>
          {modelMissing && (
            <div className="notice" role="status">
              No caption model is installed, so photos are listed but not captioned yet.
            </div>
          )}
          {inSearch && search.meta && !searching && (
            <div className="search-summary" role="status" data-testid="search-summary">
              {(search.total ?? 0) > 0 ? (
                <>
                  {search.total! >= SEARCH_COUNT_CAP ? `${SEARCH_COUNT_CAP.toLocaleString()}+ photos` : plural(search.total!, 'photo')} for
                  “{search.meta.query}”
                  {search.meta.expanded.some((x) => x.similar.length > 0) && (
                    <span className="muted" data-testid="similar-words">
                      {' '}
                      · also matched similar words:{' '}
                      {search.meta.expanded
                        .filter((x) => x.similar.length > 0)
                        .map((x) => `${x.term} → ${x.similar.join(', ')}`)
                        .join('; ')}
                    </span>
                  )}
                </>
              ) : null}
            </div>
          )}
          <div className="grid-wrap" ref={gridWrap}>
            {empty ? (
              <FirstRun client={client} onAdd={addFolder} />
            ) : inSearch && search.meta && search.total === 0 && !searching ? (
              <div className="empty" data-testid="search-empty">
                <h2>No photos match “{search.meta.query}”</h2>
                <p>
                  Search looks for these words in captions and file names
                  {settings.searchSimilarWords ? ', and for words with a similar meaning' : ''}. Try fewer or more general words (
                  <em>dog</em> rather than <em>terrier</em>), or check the spelling.
                </p>
                {photos.total === 0 || folders?.every((f) => f.captionedCount === 0) ? (
                  <p className="muted">No photo has a caption yet — captions appear as the model works through your folders.</p>
                ) : null}
              </div>
            ) : !inSearch && photos.total === 0 ? (
              <div className="empty">
                <h2>No photos here yet</h2>
                <p className="muted">Photos appear as the folder is scanned.</p>
              </div>
            ) : (
              <Grid
                count={count}
                get={getPhoto}
                ensure={ensure}
                thumbUrl={client.thumbUrl}
                photoUrl={client.photoUrl}
                showCaptions={settings.captionsUnderThumbnails}
                selected={selected}
                onSelect={setSelected}
                onOpen={setOpenIndex}
                renderCaption={renderSnippet}
                label={inSearch ? 'Search results' : 'Photos'}
              />
            )}
          </div>
        </main>
      )}
      {openById !== null && (
        <PhotoView
          client={client}
          photoId={openById}
          refreshToken={refresh}
          onClose={() => setOpenById(null)}
          onPrev={() => {}}
          onNext={() => {}}
          onError={showError}
        />
      )}
      {view === 'photos' && openIndex !== null && openedPhoto && (
        <PhotoView
          client={client}
          photoId={openedPhoto.id}
          refreshToken={refresh}
          onClose={() => {
            setOpenIndex(null);
            setSelected(openIndex);
            gridWrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();
          }}
          onPrev={() => setOpenIndex((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => setOpenIndex((i) => (i === null ? i : Math.min(count - 1, i + 1)))}
          onError={showError}
        />
      )}
      {dragging && (
        <div className="drop-zone" aria-hidden="true">
          <div>Drop folders to add them to the library</div>
        </div>
      )}
      {toast && (
        <div className="toast" role="alert" data-testid="toast">
          <span>{toast}</span>
          <button className="icon-button" onClick={() => setToast(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
    </div>
  );
}
