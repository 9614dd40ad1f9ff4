/**
 * The app shell: skip link, toolbar (search, captions toggle), sidebar (folders, jobs), the grid of the
 * selected folder or of search results, the photo view, the first-run screen, the drop zone and the "?" overlay.
 * All state comes from the core through the ApiClient; core events keep it live.
 */
import { useCallback, useRef, useState } from 'react';
import type { ApiClient } from '../shared/api-contract.js';
import { DropHint } from './components/DropHint.js';
import { OpenPhoto } from './components/OpenPhoto.js';
import { PhotosPane } from './components/PhotosPane.js';
import { useShortcutsHelp } from './components/ShortcutsHelp.js';
import { Sidebar, type View } from './components/Sidebar.js';
import { SkipLink } from './components/SkipLink.js';
import { Toast } from './components/Toast.js';
import { Toolbar } from './components/Toolbar.js';
import { ToolView } from './components/ToolView.js';
import { focusGrid } from './focus.js';
import { useDropZone } from './useDropZone.js';
import { useFolderActions } from './useFolderActions.js';
import { useFolderSelection } from './useFolderSelection.js';
import { pausedFolderIds, useLibrary } from './useLibrary.js';
import { usePhotoBrowser } from './usePhotoBrowser.js';

export function App({ client }: { client: ApiClient }) {
  const [toast, setToast] = useState<{ message: string; level: 'warning' | 'error' } | null>(null);
  // A core notice may be a warning (a folder rescanned instead of watched): it reads as one, not as an error.
  const showError = useCallback((message: string, level: 'warning' | 'error' = 'error') => setToast({ message, level }), []);
  const [query, setQuery] = useState('');
  const { folderId, under, selectFolder, onFolderAdded } = useFolderSelection(setQuery);
  const lib = useLibrary(client, showError, onFolderAdded);
  const { folders, settings, refresh } = lib;
  const b = usePhotoBrowser(client, folderId, query, settings.searchSimilarWords, refresh, showError, under);
  const [view, setView] = useState<View>('photos');
  /** A photo opened from outside the grid (the Teach view's labeled photos). */
  const [openById, setOpenById] = useState<number | null>(null);
  const gridWrap = useRef<HTMLDivElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  const shortcuts = useShortcutsHelp(searchInput);
  const drop = useDropZone(client, lib.addFolder, showError);
  const folderActions = useFolderActions(client, lib.setFolders, selectFolder, showError);
  const jobList = [...lib.jobs.values()].sort((x, y) => y.id - x.id).slice(0, 5);

  return (
    <div className={`app${drop.dragging ? ' dragging' : ''}`} {...drop.handlers}>
      <SkipLink />
      {/* Before the sidebar in the DOM (the grid puts it above the photos), so Tab reaches search second. */}
      {view === 'photos' && (
        <Toolbar client={client} lib={lib} inputRef={searchInput} query={query} onQuery={setQuery} gridWrap={gridWrap} />
      )}
      <Sidebar
        client={client}
        folders={folders ?? []}
        jobs={jobList}
        selected={folderId}
        selectedUnder={under}
        settings={settings}
        view={view}
        onView={setView}
        teachRun={lib.teachRun}
        onSelect={(id, subfolder) => {
          setView('photos');
          selectFolder(id, subfolder ?? null);
          focusGrid(gridWrap);
        }}
        onAdd={lib.addFolder}
        {...folderActions}
        onSettings={lib.updateSettings}
        onShortcuts={shortcuts.show}
        onError={showError}
        refresh={refresh}
        tag={b.tag}
        onTag={(t) => (setView('photos'), b.setTag(t))}
      />
      {view !== 'photos' ? (
        <ToolView view={view} client={client} lib={lib} showError={showError} onOpenPhoto={setOpenById} />
      ) : (
        <PhotosPane
          client={client}
          gridWrapRef={gridWrap}
          browser={b}
          folders={folders}
          info={lib.info}
          settings={settings}
          query={query}
          onQuery={setQuery}
          folderId={folderId}
          onSearchEverywhere={() => selectFolder(null)}
          onAdd={lib.addFolder}
        />
      )}
      <OpenPhoto
        client={client}
        openById={openById}
        onCloseById={() => setOpenById(null)}
        browser={view === 'photos' ? b : null}
        refresh={refresh}
        pausedFolders={pausedFolderIds(folders)}
        onClosed={() => focusGrid(gridWrap)}
        showError={showError}
      />
      {shortcuts.overlay}
      {drop.dragging && <DropHint />}
      {toast && <Toast message={toast.message} level={toast.level} onDismiss={() => setToast(null)} />}
    </div>
  );
}
