/** The photos view: notices, the search summary and the grid (or what stands in for it); its toolbar (the search box) is App's, first in Tab order. */
import type { ReactNode, RefObject } from 'react';
import type { ApiClient, Folder, LibraryInfo, SearchHit, Settings } from '../../shared/api-contract.js';
import { MAIN_ID } from '../focus.js';
import { snippetRuns } from '../format.js';
import type { PhotoBrowser } from '../usePhotoBrowser.js';
import type { Paged } from '../usePaged.js';
import type { SearchMeta } from '../usePhotoLists.js';
import { FirstRun } from './FirstRun.js';
import { Grid } from './Grid.js';
import { ListControls } from './ListControls.js';
import { DateRangeNote, Timeline, type DateRange } from './Timeline.js';
import { NoMatches } from './NoMatches.js';
import { SearchSummary } from './SearchSummary.js';
import { useSelectionTools } from './SelectionTools.js';
import { useCaptionVisibleFirst } from '../useCaptionVisibleFirst.js';
import { pausedFolderIds } from '../useLibrary.js';

interface PhotosPaneProps {
  client: ApiClient;
  browser: PhotoBrowser;
  folders: Folder[] | null;
  info: LibraryInfo | null;
  settings: Settings;
  query: string;
  onQuery(query: string): void;
  /** The selected folder (null: the whole library; searches run in it) and its subfolder shown, if any. */
  place: { folderId: number | null; under: string | null };
  /** Search the whole library instead of the selected folder. */
  onSearchEverywhere(): void;
  onAdd(path: string): Promise<boolean>;
}

/** The last part of a folder's path ("Pets" for /home/me/Pets). */
const folderName = (path: string) => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** Why a hit matched, besides its highlighted caption words: "tag: giraffe 0.93", "similar words". */
function matchReasons(hit: SearchHit): string[] {
  const tags = hit.matched.tags.map((t) => `tag: ${t.tag}${t.score === null ? '' : ` ${t.score.toFixed(2)}`}`);
  return [...(hit.viaSimilar ? ['similar words'] : []), ...tags];
}

/** Search hits show their snippet, matched words marked. */
function snippetRenderer(search: Paged<SearchHit, SearchMeta>): (i: number) => ReactNode {
  return (i: number) => {
    const hit = search.get(i);
    if (!hit) return null;
    return (
      <span className={hit.viaSimilar ? 'via-similar' : undefined}>
        {snippetRuns(hit.snippet).map((r, k) => (r.match ? <mark key={k}>{r.text}</mark> : <span key={k}>{r.text}</span>))}
        {matchReasons(hit).map((r) => (
          <span key={r} className="match-reason" data-testid="match-reason">
            {' '}
            {r}
          </span>
        ))}
      </span>
    );
  };
}

/** The timeline over the folder's photos; in a search, only the range it keeps to. */
function DatesAbove({ pane, inSearch }: { pane: PhotosPaneProps; inSearch: boolean }) {
  const { view, setView, tag } = pane.browser;
  const range = view.from && view.to ? { from: view.from, to: view.to } : null;
  const onRange = (r: DateRange | null) => {
    const { from: _f, to: _t, ...rest } = view;
    setView(r ? { ...rest, ...r } : rest);
  };
  if (inSearch) return range ? <DateRangeNote range={range} onClear={() => onRange(null)} /> : null;
  const filter = {
    ...(pane.place.folderId !== null ? { folderId: pane.place.folderId } : {}),
    ...(pane.place.folderId !== null && pane.place.under ? { under: pane.place.under } : {}),
    ...(tag ? { tag } : {}),
    ...(view.status ? { status: view.status } : {}),
    ...(view.captionBy ? { captionBy: view.captionBy } : {}),
  };
  const ready = pane.browser.lists.photos.total !== null;
  return <Timeline client={pane.client} filter={filter} refresh={pane.browser.refresh} ready={ready} range={range} onRange={onRange} />;
}

export function PhotosPane({ gridWrapRef, ...p }: PhotosPaneProps & { gridWrapRef: RefObject<HTMLDivElement | null> }) {
  const { inSearch, searching, lists } = p.browser;
  const modelMissing = p.info !== null && p.info.activeModel === null;
  const { photos, search } = lists;
  const empty = p.folders !== null && p.folders.length === 0;
  const count = inSearch ? (search.total ?? 0) : (photos.total ?? 0);
  const scopeFolder = p.place.folderId === null ? null : (p.folders?.find((f) => f.id === p.place.folderId) ?? null);
  const scope = scopeFolder ? { name: folderName(scopeFolder.path), onEverywhere: p.onSearchEverywhere } : null;
  const selection = useSelectionTools(p.client, p.browser, gridWrapRef);
  const shown = useCaptionVisibleFirst(p.client, (i) => (inSearch ? search.get(i)?.photo : photos.get(i)));
  const grid = (
    <Grid
      count={count}
      get={(i) => (inSearch ? search.get(i)?.photo : photos.get(i))}
      ensure={(s, e) => {
        shown(s, e);
        return inSearch ? search.ensure(s, e) : photos.ensure(s, e);
      }}
      thumbUrl={p.client.thumbUrl}
      photoUrl={p.client.photoUrl}
      showCaptions={p.settings.captionsUnderThumbnails}
      size={p.settings.thumbnailSize}
      selected={p.browser.selected}
      onSelect={p.browser.setSelected}
      onOpen={p.browser.openAt}
      renderCaption={inSearch ? snippetRenderer(search) : undefined}
      pausedFolders={pausedFolderIds(p.folders)}
      label={inSearch ? 'Search results' : 'Photos'}
      {...selection.gridProps}
    />
  );
  return (
    <main className="main" id={MAIN_ID} tabIndex={-1}>
      {/* The view's title for screen readers and the heading list (the first-run screen has its own). */}
      {!empty && (
        <h1 id="photos-heading" className="visually-hidden" data-testid="photos-heading">
          {inSearch ? `Search results for “${p.query.trim()}”${scope ? ` in ${scope.name}` : ''}` : (scope?.name ?? 'All photos')}
        </h1>
      )}
      {modelMissing && (
        <div className="notice" role="status">
          No caption model is installed, so photos are listed but not captioned yet.
        </div>
      )}
      {inSearch && search.meta && !searching && <SearchSummary total={search.total ?? 0} meta={search.meta} scope={scope} />}
      {!inSearch && !empty && <ListControls view={p.browser.view} onView={p.browser.setView} count={photos.total} />}
      {!empty && <DatesAbove pane={p} inSearch={inSearch} />}
      {selection.bar}
      {selection.menu}
      <div className="grid-wrap" ref={gridWrapRef}>
        {empty ? (
          <FirstRun client={p.client} onAdd={p.onAdd} />
        ) : inSearch && search.meta && search.total === 0 && !searching ? (
          <NoMatches
            query={search.meta.query}
            didYouMean={search.meta.didYouMean}
            onQuery={p.onQuery}
            scope={scope}
            similarWords={p.settings.searchSimilarWords}
            nothingCaptioned={photos.total === 0 || !!p.folders?.every((f) => f.captionedCount === 0)}
          />
        ) : !inSearch && photos.total === 0 && (p.browser.view.status || p.browser.view.captionBy) ? (
          <div className="empty">
            <h2>No photos of this kind here</h2>
            <p className="muted">Choose “All photos” under Show to see the others.</p>
          </div>
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
