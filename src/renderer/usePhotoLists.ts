/** The photos of the selected folder (or all), and the search results, each paged in as the grid scrolls. */
import type { ApiClient, ApiInput, PhotoSummary, SearchHit, SearchResult } from '../shared/api-contract.js';
import { usePaged } from './usePaged.js';

const PHOTO_PAGE = 300;
const SEARCH_PAGE = 100;
/** The search API's largest page: selecting all of a long search asks for it page by page. */
const SEARCH_IDS_PAGE = 1000;

/** What a search's pages carry besides hits: the query as run and the words it expanded to. */
export type SearchMeta = Pick<SearchResult, 'query' | 'expanded' | 'didYouMean'>;

/** How the folder's photos are ordered and which of them show (the grid's Sort and Show menus). */
export type PhotoListView = Pick<ApiInput<'photos.list'>, 'sort' | 'status' | 'captionBy' | 'from' | 'to'>;

/** `under`: with a folder, one subfolder's tree (a Subfolder path). */
export function usePhotoLists(
  client: ApiClient,
  folderId: number | null,
  debounced: string,
  similarWords: boolean,
  refresh: number,
  under: string | null = null,
  /** Only photos with this tag (the sidebar's tag filter). */
  tag: string | null = null,
  view: PhotoListView = {},
) {
  /** A search keeps to the folder, the subfolder and the timeline's dates, as the grid does. */
  const searchInput = {
    query: debounced,
    folderId: folderId ?? undefined,
    under: under ?? undefined,
    similarWords,
    ...(view.from ? { from: view.from } : {}),
    ...(view.to ? { to: view.to } : {}),
  };
  const photos = usePaged<PhotoSummary>(
    `folder:${folderId ?? 'all'}:${under ?? ''}:${tag ?? ''}:${view.sort ?? ''}:${view.status ?? ''}:${view.captionBy ?? ''}:${view.from ?? ''}:${view.to ?? ''}`,
    (offset, limit) =>
      client.call('photos.list', {
        folderId: folderId ?? undefined,
        under: under ?? undefined,
        tag: tag ?? undefined,
        ...view,
        offset,
        limit,
      }),
    PHOTO_PAGE,
    refresh,
  );
  const search = usePaged<SearchHit, SearchMeta>(
    debounced ? JSON.stringify([debounced, folderId, under, similarWords, view.from, view.to]) : null,
    async (offset, limit) => {
      const r = await client.call('search', { ...searchInput, offset, limit });
      return {
        total: Math.max(r.total, offset + r.hits.length),
        items: r.hits,
        meta: { query: r.query, expanded: r.expanded, didYouMean: r.didYouMean },
      };
    },
    SEARCH_PAGE,
    refresh,
  );
  /**
   * The ids at indices start..end of the folder's list or the search's: from the pages in memory
   * when they hold them all, else asked of the core (the whole ordered list once, or the search's pages).
   */
  const idsIn = async (inSearch: boolean, start: number, end: number): Promise<number[]> => {
    const local: number[] = [];
    for (let i = start; i <= end; i++) {
      const id = inSearch ? search.get(i)?.photo.id : photos.get(i)?.id;
      if (id === undefined) break;
      local.push(id);
    }
    if (local.length === end - start + 1) return local;
    if (!inSearch) {
      const ids = await client.call('photos.ids', {
        folderId: folderId ?? undefined,
        under: under ?? undefined,
        tag: tag ?? undefined,
        ...view,
      });
      return ids.slice(start, end + 1);
    }
    const ids: number[] = [];
    for (let offset = start; offset <= end;) {
      const r = await client.call('search', { ...searchInput, offset, limit: Math.min(SEARCH_IDS_PAGE, end - offset + 1) });
      if (!r.hits.length) break;
      ids.push(...r.hits.map((h) => h.photo.id));
      offset += r.hits.length;
    }
    return ids;
  };
  return { photos, search, idsIn };
}
