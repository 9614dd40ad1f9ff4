/**
 * Paged access to a long list (a folder's photos, search hits) for the virtualized grid: only
 * the pages the grid asks for are fetched (100k photos cost one small request for the first
 * paint), memory stays bounded, and a refresh keeps showing the old page until its replacement
 * arrives (no flicker while captions stream in).
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

/** Pages kept in memory around the view. */
const MAX_PAGES = 40;

export interface PageResult<T, M> {
  total: number;
  items: T[];
  meta?: M;
}

export interface Paged<T, M> {
  /** The key the data below belongs to (null: nothing requested). */
  key: string | null;
  /** Total items, or null until the first page of this key has arrived. */
  total: number | null;
  /** Extra data from the latest page (e.g. a search's expanded words). */
  meta: M | null;
  get(index: number): T | undefined;
  /**
   * Where an item is now among the pages in memory (looked for at `near` first: usually it has not
   * moved), or null. Items shift when the list changes (a new file sorts before them), so what
   * the user chose is followed by identity, not by index.
   */
  locate(match: (item: T) => boolean, near: number): number | null;
  ensure(start: number, end: number): void;
  error: string | null;
}

/** What is known of the list `key` (null: nothing yet). */
interface ListState<M> {
  key: string | null;
  total: number | null;
  meta: M | null;
  error: string | null;
}
const EMPTY: ListState<never> = { key: null, total: null, meta: null, error: null };

/** Paged.locate over the pages in memory. */
function locateIn<T>(pages: Map<number, T[]>, pageSize: number, match: (item: T) => boolean, near: number): number | null {
  const at = near >= 0 ? pages.get(Math.floor(near / pageSize))?.[near % pageSize] : undefined;
  if (at !== undefined && match(at)) return near;
  for (const [page, items] of pages) {
    const i = items.findIndex(match);
    if (i >= 0) return page * pageSize + i;
  }
  return null;
}

export function usePaged<T, M = undefined>(
  key: string | null,
  fetchPage: (offset: number, limit: number) => Promise<PageResult<T, M>>,
  pageSize: number,
  refreshToken: number,
): Paged<T, M> {
  const pages = useRef(new Map<number, T[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  // The newest fetchPage, for loads started later (a layout effect: before any effect can load).
  const fetcher = useRef(fetchPage);
  useLayoutEffect(() => {
    fetcher.current = fetchPage;
  }, [fetchPage]);
  /** The pages the grid last asked for (what is on screen, plus overscan). */
  const visible = useRef<[number, number]>([0, 0]);
  const [state, setState] = useState<ListState<M>>(EMPTY);
  const [, setTick] = useState(0);
  // A different list: what is known of the last one goes (during render, so it is never shown for the new key).
  const [listKey, setListKey] = useState(key);
  if (listKey !== key) {
    setListKey(key);
    setState(EMPTY);
  }

  const load = useCallback(
    (page: number, gen: number, forKey: string) => {
      if (inflight.current.has(page)) return;
      inflight.current.add(page);
      fetcher
        .current(page * pageSize, pageSize)
        .then((res) => {
          if (gen !== generation.current) return;
          pages.current.set(page, res.items);
          setState((s) => ({ key: forKey, total: res.total, meta: res.meta ?? (s.key === forKey ? s.meta : null), error: null }));
          setTick((t) => t + 1);
        })
        .catch(
          (err: Error) =>
            gen === generation.current &&
            setState((s) => ({ ...s, key: forKey, total: s.key === forKey ? s.total : 0, error: err.message })),
        )
        .finally(() => {
          if (gen === generation.current) inflight.current.delete(page);
        });
    },
    [pageSize],
  );

  // A different list: start over.
  useEffect(() => {
    generation.current += 1;
    pages.current = new Map();
    inflight.current = new Set();
    visible.current = [0, 0];
    if (key !== null) load(0, generation.current, key);
  }, [key, load]);

  // Something changed in the library: refetch what is on screen, forget the rest (only when the token moves).
  const seenRefresh = useRef(refreshToken);
  useEffect(() => {
    if (seenRefresh.current === refreshToken) return;
    seenRefresh.current = refreshToken;
    if (key === null) return;
    generation.current += 1;
    inflight.current = new Set();
    const [from, to] = visible.current;
    for (const p of [...pages.current.keys()]) if (p < from || p > to) pages.current.delete(p);
    for (let p = from; p <= to; p++) load(p, generation.current, key);
  }, [refreshToken, key, load]);

  const get = useCallback((index: number) => pages.current.get(Math.floor(index / pageSize))?.[index % pageSize], [pageSize]);
  const locate = useCallback((match: (item: T) => boolean, near: number) => locateIn(pages.current, pageSize, match, near), [pageSize]);
  const ensure = useCallback(
    (start: number, end: number) => {
      if (key === null) return;
      const from = Math.floor(start / pageSize);
      const to = Math.floor(Math.max(start, end) / pageSize);
      visible.current = [from, to];
      for (let p = from; p <= to; p++) if (!pages.current.has(p)) load(p, generation.current, key);
      if (pages.current.size > MAX_PAGES) {
        for (const p of [...pages.current.keys()]) if (Math.abs(p - from) > MAX_PAGES / 2) pages.current.delete(p);
      }
    },
    [key, load, pageSize],
  );
  const { total, meta, error } = state.key === key ? state : EMPTY;
  return { key, total, meta, get, locate, ensure, error };
}
