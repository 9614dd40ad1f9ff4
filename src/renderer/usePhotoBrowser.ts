/**
 * Which photos the grid shows (a folder's or a search's), the selection and the photo opened from
 * it. The open photo is followed by its id: the list may change under it (files arriving or
 * leaving the folder) without the viewer switching to another photo.
 */
import { useState } from 'react';
import type { ApiClient } from '../shared/api-contract.js';
import { useDebouncedQuery } from './useDebouncedQuery.js';
import { usePhotoLists, type PhotoListView } from './usePhotoLists.js';
import { useMultiSelect } from './useMultiSelect.js';
import { useSelection, type Chosen } from './useSelection.js';
import { useShowOnChange } from './useShowOnChange.js';

export type PhotoBrowser = ReturnType<typeof usePhotoBrowser>;

export function usePhotoBrowser(
  client: ApiClient,
  folderId: number | null,
  query: string,
  similarWords: boolean,
  refresh: number,
  showError: (message: string) => void,
  under: string | null = null,
) {
  /** The sidebar's tag filter (TagFilter.tsx): only photos with this tag. */
  const [tag, setTag] = useState<string | null>(null);
  /** The grid's Sort and Show menus (ListControls.tsx). */
  const [view, setView] = useState<PhotoListView>({});
  const debounced = useDebouncedQuery(query);
  const lists = usePhotoLists(client, folderId, debounced, similarWords, refresh, under, tag, view);
  const { photos, search } = lists;
  useShowOnChange(search.error, showError);
  const inSearch = query.trim() !== '';
  const photoAt = (i: number) => (inSearch ? search.get(i)?.photo : photos.get(i));
  const locate = (id: number, near: number) =>
    inSearch ? search.locate((h) => h.photo.id === id, near) : photos.locate((p) => p.id === id, near);
  const listKey = `${folderId}|${tag}|${photos.key}|${search.key}|${inSearch}`;
  const { selected, select, selectChosen } = useSelection(listKey, locate, (i) => photoAt(i)?.id);
  const [open, setOpen] = useState<(Chosen & { id: number }) | null>(null);
  /** A step to a photo whose page is still loading: opened when it arrives. */
  const [pendingStep, setPendingStep] = useState<number | null>(null);
  const searching = inSearch && (debounced !== query.trim() || search.total === null);
  const count = inSearch ? (search.total ?? 0) : (photos.total ?? 0);
  /** The photos selected for a bulk action. */
  const marks = useMultiSelect(
    listKey,
    count,
    (i) => photoAt(i)?.id,
    (s, e) => lists.idsIn(inSearch, s, e),
    showError,
  );
  /** Where the open photo is in the list now (null: not in the pages in memory, or gone from the list). */
  const openIndex = open ? locate(open.id, open.index) : null;

  if (pendingStep !== null && photoAt(pendingStep)) {
    setPendingStep(null);
    setOpen({ id: photoAt(pendingStep)!.id, index: pendingStep });
  }

  const openAt = (index: number) => {
    const photo = photoAt(index);
    if (photo) setOpen({ id: photo.id, index });
  };
  /** The previous (-1) or next (+1) photo of the list, from where the open one is (or was). */
  const step = (delta: number) => {
    if (!open || count === 0) return;
    const to = Math.max(0, Math.min(count - 1, (openIndex ?? open.index) + delta));
    if (photoAt(to)) openAt(to);
    else {
      (inSearch ? search : photos).ensure(to, to);
      setPendingStep(to);
    }
  };
  /** Back to the grid, the photo that was open selected there. */
  const close = () => {
    if (open) selectChosen({ id: open.id, index: openIndex ?? open.index });
    setOpen(null);
    setPendingStep(null);
  };
  return {
    lists,
    inSearch,
    searching,
    count,
    selected,
    setSelected: select,
    openId: open?.id ?? null,
    /** Where the open photo is in the list (null: its page is not loaded, or it left the list). */
    openIndex,
    openAt,
    step,
    close,
    tag,
    setTag,
    view,
    setView,
    marks,
    /** Bumped when the library reports changes. */
    refresh,
  };
}
