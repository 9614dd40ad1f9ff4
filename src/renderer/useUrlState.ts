/**
 * The view, folder, subfolder, search and open photo live in the URL's hash (`#/photos?folder=3&q=dog&photo=12`,
 * `#/teach`), so Back closes a photo, a reload keeps the search and a link opens the same view. Hash
 * routing works in both transports (Electron's file and serve's page); serve's token is not in it.
 * Opening and closing a photo, changing view or folder add a history entry; typing a search replaces it.
 */
import { useEffect, useRef, useState } from 'react';
import type { View } from './components/Sidebar.js';

export interface UrlState {
  view: View;
  folderId: number | null;
  under: string | null;
  query: string;
  photoId: number | null;
}

const VIEWS: readonly View[] = ['photos', 'teach', 'settings'];

export function stateToHash(s: UrlState): string {
  const p = new URLSearchParams();
  if (s.view === 'photos') {
    if (s.folderId !== null) p.set('folder', String(s.folderId));
    if (s.folderId !== null && s.under) p.set('under', s.under);
    if (s.query) p.set('q', s.query);
  }
  if (s.photoId !== null) p.set('photo', String(s.photoId));
  const q = p.toString();
  return `#/${s.view}${q ? `?${q}` : ''}`;
}

/** What a hash asks for; anything unreadable is left at its default (a link typed by hand). */
export function hashToState(hash: string): UrlState {
  const m = /^#\/([a-z]+)(?:\?(.*))?$/.exec(hash);
  const view = (VIEWS as readonly string[]).includes(m?.[1] ?? '') ? (m![1] as View) : 'photos';
  const p = new URLSearchParams(m?.[2] ?? '');
  const id = (name: string) => {
    const v = Number(p.get(name));
    return Number.isInteger(v) && v > 0 ? v : null;
  };
  const folderId = id('folder');
  return { view, folderId, under: folderId !== null ? p.get('under') || null : null, query: p.get('q') ?? '', photoId: id('photo') };
}

/** Keeps the hash in step with `state`, and calls `apply` with what the hash says at start and on Back/Forward. */
export function useUrlState(state: UrlState, apply: (s: UrlState) => void): void {
  const applyRef = useRef(apply);
  useEffect(() => {
    applyRef.current = apply;
  });
  const last = useRef<UrlState | null>(null);
  const first = useRef(true);
  /** After the address or Back/Forward was applied, a hash that still differs is corrected in place. */
  const replaceNext = useRef(false);
  useEffect(() => {
    const fromAddress = () => {
      replaceNext.current = true;
      applyRef.current(hashToState(window.location.hash));
    };
    if (window.location.hash) fromAddress();
    window.addEventListener('popstate', fromAddress);
    return () => window.removeEventListener('popstate', fromAddress);
  }, []);
  const hash = stateToHash(state);
  useEffect(() => {
    // The first render shows the defaults, not yet what the address asks for: leave the address alone.
    if (first.current) {
      first.current = false;
      if (window.location.hash) return;
    }
    const before = last.current;
    last.current = state;
    if (hash === window.location.hash) {
      replaceNext.current = false;
      return;
    }
    // Typing a search replaces the entry; opening a photo, another view or folder is a step Back undoes.
    const typing = before !== null && before.query !== state.query && stateToHash({ ...before, query: state.query }) === hash;
    const replace = replaceNext.current || before === null || typing;
    replaceNext.current = false;
    const url = `${window.location.pathname}${window.location.search}${hash}`;
    if (replace) window.history.replaceState(null, '', url);
    else window.history.pushState(null, '', url);
  });
}

/** The app's view, folder, search and open photo, in step with the URL; holds the photo opened by id (the Teach view's photos, a link). */
export function useUrlRouting(
  v: { view: View; setView(view: View): void },
  f: { folderId: number | null; under: string | null; selectFolder(id: number | null, under: string | null): void },
  q: { query: string; setQuery(query: string): void },
  /** The grid's browser: the photo opened from it, and how to close it. */
  grid: { openId: number | null; close(): void },
): { openById: number | null; setOpenById(id: number | null): void } {
  const [openById, setOpenById] = useState<number | null>(null);
  const photoId = grid.openId ?? openById;
  useUrlState({ view: v.view, folderId: f.folderId, under: f.under, query: q.query, photoId }, (s) => {
    v.setView(s.view);
    f.selectFolder(s.folderId, s.under);
    q.setQuery(s.query);
    if (s.photoId === photoId) return;
    if (grid.openId !== null) grid.close();
    setOpenById(s.photoId);
  });
  return { openById, setOpenById };
}
