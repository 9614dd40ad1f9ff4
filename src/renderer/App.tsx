/**
 * The app shell: skip link, toolbar (search, captions toggle), sidebar (folders, jobs), the grid of the
 * selected folder or of search results, the photo view, the first-run screen, the drop zone and the "?" overlay.
 * All state comes from the core through the ApiClient; core events keep it live.
 */
import { useRef, useState } from 'react';
import type { ApiClient } from '../shared/api-contract.js';
import { DropHint } from './components/DropHint.js';
import { NarrowBar } from './components/NarrowBar.js';
import { OpenPhoto } from './components/OpenPhoto.js';
import { PhotosPane } from './components/PhotosPane.js';
import { useShortcutsHelp } from './components/ShortcutsHelp.js';
import { Sidebar } from './components/Sidebar.js';
import { SkipLink } from './components/SkipLink.js';
import { Toast, useToast } from './components/Toast.js';
import { Toolbar } from './components/Toolbar.js';
import { ToolView } from './components/ToolView.js';
import { focusGrid } from './focus.js';
import { useDropZone } from './useDropZone.js';
import { useFolderActions } from './useFolderActions.js';
import { useFolderSelection } from './useFolderSelection.js';
import { pausedFolderIds, useLibrary } from './useLibrary.js';
import { usePhotoBrowser } from './usePhotoBrowser.js';
import { useUrlRouting } from './useUrlState.js';
import { useViewMenu } from './useViewMenu.js';

export function App({ client }: { client: ApiClient }) {
  const { toast, showError, dismiss } = useToast();
  const [query, setQuery] = useState('');
  const { folderId, under, selectFolder, onFolderAdded } = useFolderSelection(setQuery);
  const lib = useLibrary(client, showError, onFolderAdded);
  const b = usePhotoBrowser(client, folderId, query, lib.settings.searchSimilarWords, lib.refresh, showError, under);
  const { view, setView, menu } = useViewMenu();
  /** A photo opened from outside the grid (the Teach view's labeled photos, a link), and the URL kept in step. */
  const { openById, setOpenById } = useUrlRouting({ view, setView }, { folderId, under, selectFolder }, { query, setQuery }, b);
  const gridWrap = useRef<HTMLDivElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  const shortcuts = useShortcutsHelp(searchInput);
  const drop = useDropZone(client, lib.addFolder, showError);
  const folderActions = useFolderActions(client, lib.setFolders, selectFolder, showError);

  return (
    <div className={`app${drop.dragging ? ' dragging' : ''}`} {...drop.handlers}>
      <SkipLink />
      <NarrowBar menu={menu} />
      {/* Before the sidebar in the DOM (the grid puts it above the photos), so Tab reaches search second. */}
      {view === 'photos' && (
        <Toolbar client={client} lib={lib} inputRef={searchInput} query={query} onQuery={setQuery} gridWrap={gridWrap} />
      )}
      <Sidebar
        menu={menu}
        client={client}
        folders={lib.folders ?? []}
        jobs={[...lib.jobs.values()].sort((x, y) => y.id - x.id).slice(0, 5)}
        onJobsCleared={lib.setJobList}
        selected={folderId}
        selectedUnder={under}
        settings={lib.settings}
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
        refresh={lib.refresh}
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
          folders={lib.folders}
          info={lib.info}
          settings={lib.settings}
          query={query}
          onQuery={setQuery}
          place={{ folderId, under }}
          onSearchEverywhere={() => selectFolder(null)}
          onAdd={lib.addFolder}
        />
      )}
      <OpenPhoto
        client={client}
        openById={openById}
        onCloseById={() => setOpenById(null)}
        browser={view === 'photos' ? b : null}
        refresh={lib.refresh}
        pausedFolders={pausedFolderIds(lib.folders)}
        onClosed={() => focusGrid(gridWrap)}
        showError={showError}
      />
      {shortcuts.overlay}
      {drop.dragging && <DropHint />}
      {toast && <Toast message={toast.message} level={toast.level} onDismiss={dismiss} />}
    </div>
  );
}
