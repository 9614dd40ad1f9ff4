/** Which photos the grid shows (a folder's or a search's), the selection and the photo opened from it. */
import { useState } from 'react';
import type { ApiClient } from '../shared/api-contract.js';
import { useDebouncedQuery } from './useDebouncedQuery.js';
import { usePhotoLists } from './usePhotoLists.js';
import { useSelection } from './useSelection.js';
import { useShowOnChange } from './useShowOnChange.js';

export type PhotoBrowser = ReturnType<typeof usePhotoBrowser>;

export function usePhotoBrowser(
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
