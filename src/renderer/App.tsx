/**
 * The app shell: sidebar (folders, jobs), toolbar (search, captions toggle), the grid of the
 * selected folder or of search results, the photo view, the first-run screen and the drop zone.
 * All state comes from the core through the ApiClient; core events keep it live.
 */
import { useCallback, useEffect, useRef, useState, type DragEvent, type ReactNode, type RefObject } from 'react';
import type {
  ApiClient,
  Folder,
  Job,
  LibraryInfo,
  PhotoSummary,
  SearchHit,
  SearchResult,
  Settings,
  TeachRun,
} from '../shared/api-contract.js';
import { defaultSettings } from '../shared/api-values.js';
import { FirstRun } from './components/FirstRun.js';
import { Grid } from './components/Grid.js';
import { PhotoView } from './components/PhotoView.js';
import { SettingsView } from './components/SettingsView.js';
import { Sidebar, type View } from './components/Sidebar.js';
import { TeachView } from './components/TeachView.js';
import { plural, snippetRuns } from './format.js';
import { usePaged, type Paged } from './usePaged.js';

const SEARCH_DEBOUNCE_MS = 180;
const PHOTO_PAGE = 300;
const SEARCH_PAGE = 100;
/** The library reports at most this many matches (a lower bound past it). */
const SEARCH_COUNT_CAP = 1000;
/** Captions arrive many per second; the views refresh at most this often. */
const REFRESH_MS = 500;

type SearchMeta = Pick<SearchResult, 'query' | 'expanded'>;

const focusGrid = (wrap: RefObject<HTMLDivElement | null>) => wrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();

/** What the core tells every view: library info, folders, jobs, settings, the teach run, and a token bumped when photos change. */
function useLibrary(client: ApiClient, showError: (message: string) => void, onFolderAdded: (folderId: number) => void) {
  const [info, setInfo] = useState<LibraryInfo | null>(null);
  const [folders, setFolders] = useState<Folder[] | null>(null);
  const addFolder = useCallback(
    async (path: string) => {
      try {
        const res = await client.call('folders.add', { path });
        setFolders(await client.call('folders.list'));
        onFolderAdded(res.folder.id);
      } catch (err) {
        showError((err as Error).message);
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
      else if (event.kind === 'notice') showError(event.message);
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
  return { info, folders, setFolders, addFolder, jobs, settings, updateSettings, teachRun, refresh };
}

/** The query once typing pauses ('' at once when the box is cleared). */
function useDebouncedQuery(query: string): string {
  const q = query.trim();
  const [debounced, setDebounced] = useState('');
  if (!q && debounced !== '') setDebounced('');
  useEffect(() => {
    if (!q) return;
    const t = setTimeout(() => setDebounced(q), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [q]);
  return debounced;
}

/** The photos of the selected folder (or all), and the search results, each paged in as the grid scrolls. */
function usePhotoLists(client: ApiClient, folderId: number | null, debounced: string, similarWords: boolean, refresh: number) {
  const photos = usePaged<PhotoSummary>(
    `folder:${folderId ?? 'all'}`,
    (offset, limit) => client.call('photos.list', { folderId: folderId ?? undefined, offset, limit }),
    PHOTO_PAGE,
    refresh,
  );
  const search = usePaged<SearchHit, SearchMeta>(
    debounced ? JSON.stringify([debounced, folderId, similarWords]) : null,
    async (offset, limit) => {
      const r = await client.call('search', { query: debounced, folderId: folderId ?? undefined, similarWords, offset, limit });
      return { total: Math.max(r.total, offset + r.hits.length), items: r.hits, meta: { query: r.query, expanded: r.expanded } };
    },
    SEARCH_PAGE,
    refresh,
  );
  return { photos, search };
}

/** "/" or Ctrl/Cmd+F focuses search. */
function useSearchShortcut(searchInput: RefObject<HTMLInputElement | null>): void {
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
  }, [searchInput]);
}

/** Drop zone: folders dropped on the window are added (desktop app; a browser cannot see paths). */
function useDropZone(client: ApiClient, addFolder: (path: string) => Promise<void>, showError: (message: string) => void) {
  const [dragging, setDragging] = useState(false);
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
  const onDragLeave = (e: DragEvent) => e.currentTarget === e.target && setDragging(false);
  return { dragging, onDragOver, onDrop, onDragLeave };
}

function Toolbar({
  inputRef,
  query,
  onQuery,
  onLeaveSearch,
  settings,
  onSettings,
}: {
  inputRef: RefObject<HTMLInputElement | null>;
  query: string;
  onQuery(query: string): void;
  onLeaveSearch(): void;
  settings: Settings;
  onSettings(patch: Partial<Settings>): void;
}) {
  return (
    <header className="toolbar">
      <div className="search" role="search">
        <input
          ref={inputRef}
          type="search"
          placeholder="Search captions and file names  ( / )"
          aria-label="Search photos by caption"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') onQuery('');
            if (e.key === 'ArrowDown' || e.key === 'Enter') {
              e.preventDefault();
              onLeaveSearch();
            }
          }}
          data-testid="search"
        />
      </div>
      <label className="toggle" title="Also find photos captioned with words of similar meaning (puppy → dog)">
        <input
          type="checkbox"
          checked={settings.searchSimilarWords}
          onChange={(e) => onSettings({ searchSimilarWords: e.target.checked })}
        />{' '}
        Similar words
      </label>
      <label className="toggle">
        <input
          type="checkbox"
          checked={settings.captionsUnderThumbnails}
          onChange={(e) => onSettings({ captionsUnderThumbnails: e.target.checked })}
        />{' '}
        Captions
      </label>
    </header>
  );
}

function SearchSummary({ total, meta }: { total: number; meta: SearchMeta }) {
  return (
    <div className="search-summary" role="status" data-testid="search-summary">
      {total > 0 ? (
        <>
          {total >= SEARCH_COUNT_CAP ? `${SEARCH_COUNT_CAP.toLocaleString()}+ photos` : plural(total, 'photo')} for “{meta.query}”
          {meta.expanded.some((x) => x.similar.length > 0) && (
            <span className="muted" data-testid="similar-words">
              {' '}
              · also matched similar words:{' '}
              {meta.expanded
                .filter((x) => x.similar.length > 0)
                .map((x) => `${x.term} → ${x.similar.join(', ')}`)
                .join('; ')}
            </span>
          )}
        </>
      ) : null}
    </div>
  );
}

function NoMatches({ query, similarWords, nothingCaptioned }: { query: string; similarWords: boolean; nothingCaptioned: boolean }) {
  return (
    <div className="empty" data-testid="search-empty">
      <h2>No photos match “{query}”</h2>
      <p>
        Search looks for these words in captions and file names
        {similarWords ? ', and for words with a similar meaning' : ''}. Try fewer or more general words (<em>dog</em> rather than{' '}
        <em>terrier</em>), or check the spelling.
      </p>
      {nothingCaptioned ? (
        <p className="muted">No photo has a caption yet — captions appear as the model works through your folders.</p>
      ) : null}
    </div>
  );
}

/** Search hits show their snippet, matched words marked. */
function snippetRenderer(search: Paged<SearchHit, SearchMeta>): (i: number) => ReactNode {
  return (i: number) => {
    const hit = search.get(i);
    if (!hit) return null;
    return (
      <span className={hit.viaSimilar ? 'via-similar' : undefined}>
        {snippetRuns(hit.snippet).map((r, k) => (r.match ? <mark key={k}>{r.text}</mark> : <span key={k}>{r.text}</span>))}
      </span>
    );
  };
}

interface PhotosPaneProps {
  client: ApiClient;
  browser: ReturnType<typeof usePhotoBrowser>;
  folders: Folder[] | null;
  info: LibraryInfo | null;
  settings: Settings;
  onSettings(patch: Partial<Settings>): void;
  query: string;
  onQuery(query: string): void;
  onAdd(path: string): Promise<void>;
}

/** The photos view: toolbar, notices, the search summary and the grid (or what stands in for it). */
function PhotosPane({
  gridWrapRef,
  searchInputRef,
  ...p
}: PhotosPaneProps & { gridWrapRef: RefObject<HTMLDivElement | null>; searchInputRef: RefObject<HTMLInputElement | null> }) {
  const { inSearch, searching, lists } = p.browser;
  const modelMissing = p.info !== null && p.info.activeModel === null;
  const { photos, search } = lists;
  const empty = p.folders !== null && p.folders.length === 0;
  const count = inSearch ? (search.total ?? 0) : (photos.total ?? 0);
  const grid = (
    <Grid
      count={count}
      get={(i) => (inSearch ? search.get(i)?.photo : photos.get(i))}
      ensure={(s, e) => (inSearch ? search.ensure(s, e) : photos.ensure(s, e))}
      thumbUrl={p.client.thumbUrl}
      photoUrl={p.client.photoUrl}
      showCaptions={p.settings.captionsUnderThumbnails}
      selected={p.browser.selected}
      onSelect={p.browser.setSelected}
      onOpen={p.browser.setOpenIndex}
      renderCaption={inSearch ? snippetRenderer(search) : undefined}
      label={inSearch ? 'Search results' : 'Photos'}
    />
  );
  return (
    <main className="main">
      <Toolbar
        inputRef={searchInputRef}
        query={p.query}
        onQuery={p.onQuery}
        onLeaveSearch={() => focusGrid(gridWrapRef)}
        settings={p.settings}
        onSettings={p.onSettings}
      />
      {modelMissing && (
        <div className="notice" role="status">
          No caption model is installed, so photos are listed but not captioned yet.
        </div>
      )}
      {inSearch && search.meta && !searching && <SearchSummary total={search.total ?? 0} meta={search.meta} />}
      <div className="grid-wrap" ref={gridWrapRef}>
        {empty ? (
          <FirstRun client={p.client} onAdd={p.onAdd} />
        ) : inSearch && search.meta && search.total === 0 && !searching ? (
          <NoMatches
            query={search.meta.query}
            similarWords={p.settings.searchSimilarWords}
            nothingCaptioned={photos.total === 0 || !!p.folders?.every((f) => f.captionedCount === 0)}
          />
        ) : !inSearch && photos.total === 0 ? (
          <div className="empty">
            <h2>No photos here yet</h2>
            <p className="muted">Photos appear as the folder is scanned.</p>
          </div>
        ) : (
          grid
        )}
      </div>
    </main>
  );
}

function DropHint() {
  return (
    <div className="drop-zone" aria-hidden="true">
      <div>Drop folders to add them to the library</div>
    </div>
  );
}

function Toast({ message, onDismiss }: { message: string; onDismiss(): void }) {
  return (
    <div className="toast" role="alert" data-testid="toast">
      <span>{message}</span>
      <button className="icon-button" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </button>
    </div>
  );
}

/** Shows an error once each time it changes (set during render: no extra effect pass). */
function useShowOnChange(error: string | null, show: (message: string) => void): void {
  const [shown, setShown] = useState<string | null>(null);
  if (error !== shown) {
    setShown(error);
    if (error) show(error);
  }
}

/** The grid's selection, back to the first photo whenever the list changes. */
function useSelection(listId: string) {
  const [selected, setSelected] = useState(0);
  const [selectedIn, setSelectedIn] = useState(listId);
  if (selectedIn !== listId) {
    setSelectedIn(listId);
    setSelected(0);
  }
  return [selected, setSelected] as const;
}

/** Which photos the grid shows (a folder's or a search's), the selection and the photo opened from it. */
function usePhotoBrowser(
  client: ApiClient,
  folderId: number | null,
  query: string,
  similarWords: boolean,
  refresh: number,
  showError: (message: string) => void,
) {
  const debounced = useDebouncedQuery(query);
  const lists = usePhotoLists(client, folderId, debounced, similarWords, refresh);
  const { photos, search } = lists;
  useShowOnChange(search.error, showError);
  const [selected, setSelected] = useSelection(`${folderId}|${search.key}`);
  const [openIndex, setOpenIndex] = useState<number | null>(null);
  const inSearch = query.trim() !== '';
  const searching = inSearch && (debounced !== query.trim() || search.total === null);
  const count = inSearch ? (search.total ?? 0) : (photos.total ?? 0);
  const openedPhoto = openIndex !== null ? (inSearch ? search.get(openIndex)?.photo : photos.get(openIndex)) : undefined;
  return { lists, inSearch, searching, count, selected, setSelected, openIndex, setOpenIndex, openedPhoto };
}

/** Rescan and remove, from a folder's buttons in the sidebar. */
function useFolderActions(
  client: ApiClient,
  setFolders: (folders: Folder[]) => void,
  setFolderId: (id: number | null) => void,
  showError: (message: string) => void,
) {
  const onRescan = (id: number) => client.call('folders.rescan', { id }).catch((e: Error) => showError(e.message));
  const onRemove = (f: Folder) => {
    if (!window.confirm(`Remove ${f.path} from the library? The photos stay on disk; their captions are forgotten.`)) return;
    client
      .call('folders.remove', { id: f.id })
      .then(() => client.call('folders.list').then(setFolders))
      .then(() => setFolderId(null))
      .catch((e: Error) => showError(e.message));
  };
  return { onRescan, onRemove };
}

/** The Teach and Settings views (the photos view is PhotosPane). */
function ToolView(props: {
  view: 'teach' | 'settings';
  client: ApiClient;
  lib: ReturnType<typeof useLibrary>;
  showError(message: string): void;
  onOpenPhoto(photoId: number): void;
}) {
  const { client, lib, showError } = props;
  return props.view === 'teach' ? (
    <main className="main main-scroll" aria-label="Teach">
      <TeachView
        client={client}
        run={lib.teachRun}
        refreshToken={lib.refresh}
        theme={lib.settings.theme}
        onError={showError}
        onOpenPhoto={props.onOpenPhoto}
      />
    </main>
  ) : (
    <main className="main main-scroll" aria-label="Settings">
      <SettingsView client={client} settings={lib.settings} onSettings={lib.updateSettings} onError={showError} />
    </main>
  );
}

/** The photo view over everything: a photo opened by id (from the Teach view), or the one opened from the grid. */
function OpenPhoto(props: {
  client: ApiClient;
  openById: number | null;
  onCloseById(): void;
  /** The grid's browser while the photos view is shown. */
  browser: ReturnType<typeof usePhotoBrowser> | null;
  refresh: number;
  onClosed(): void;
  showError(message: string): void;
}) {
  const { client, openById, browser: b, refresh, showError } = props;
  return (
    <>
      {openById !== null && (
        <PhotoView
          client={client}
          photoId={openById}
          refreshToken={refresh}
          onClose={props.onCloseById}
          onPrev={() => {}}
          onNext={() => {}}
          onError={showError}
        />
      )}
      {b && b.openIndex !== null && b.openedPhoto && (
        <PhotoView
          client={client}
          photoId={b.openedPhoto.id}
          refreshToken={refresh}
          onClose={() => {
            b.setOpenIndex(null);
            b.setSelected(b.openIndex ?? 0);
            props.onClosed();
          }}
          onPrev={() => b.setOpenIndex((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => b.setOpenIndex((i) => (i === null ? i : Math.min(b.count - 1, i + 1)))}
          onError={showError}
        />
      )}
    </>
  );
}

export function App({ client }: { client: ApiClient }) {
  const [toast, setToast] = useState<string | null>(null);
  const showError = useCallback((message: string) => setToast(message), []);
  const [folderId, setFolderId] = useState<number | null>(null);
  const [query, setQuery] = useState('');
  // An added folder is selected, and the search cleared.
  const onFolderAdded = useCallback((id: number) => {
    setFolderId(id);
    setQuery('');
  }, []);
  const lib = useLibrary(client, showError, onFolderAdded);
  const { folders, settings, refresh } = lib;
  const b = usePhotoBrowser(client, folderId, query, settings.searchSimilarWords, refresh, showError);
  const [view, setView] = useState<View>('photos');
  /** A photo opened from outside the grid (the Teach view's labeled photos). */
  const [openById, setOpenById] = useState<number | null>(null);
  const gridWrap = useRef<HTMLDivElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  useSearchShortcut(searchInput);
  const drop = useDropZone(client, lib.addFolder, showError);
  const folderActions = useFolderActions(client, lib.setFolders, setFolderId, showError);
  const jobList = [...lib.jobs.values()].sort((x, y) => y.id - x.id).slice(0, 5);

  return (
    <div
      className={`app${drop.dragging ? ' dragging' : ''}`}
      onDragOver={drop.onDragOver}
      onDragLeave={drop.onDragLeave}
      onDrop={drop.onDrop}
    >
      <Sidebar
        client={client}
        folders={folders ?? []}
        jobs={jobList}
        selected={folderId}
        settings={settings}
        view={view}
        onView={setView}
        teachRun={lib.teachRun}
        onSelect={(id) => {
          setView('photos');
          setFolderId(id);
          focusGrid(gridWrap);
        }}
        onAdd={lib.addFolder}
        {...folderActions}
        onSettings={lib.updateSettings}
        onError={showError}
      />
      {view !== 'photos' ? (
        <ToolView view={view} client={client} lib={lib} showError={showError} onOpenPhoto={setOpenById} />
      ) : (
        <PhotosPane
          client={client}
          gridWrapRef={gridWrap}
          searchInputRef={searchInput}
          browser={b}
          folders={folders}
          info={lib.info}
          settings={settings}
          onSettings={lib.updateSettings}
          query={query}
          onQuery={setQuery}
          onAdd={lib.addFolder}
        />
      )}
      <OpenPhoto
        client={client}
        openById={openById}
        onCloseById={() => setOpenById(null)}
        browser={view === 'photos' ? b : null}
        refresh={refresh}
        onClosed={() => focusGrid(gridWrap)}
        showError={showError}
      />
      {drop.dragging && <DropHint />}
      {toast && <Toast message={toast} onDismiss={() => setToast(null)} />}
    </div>
  );
}
