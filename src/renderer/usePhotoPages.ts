/**
 * Paged access to a folder's photos for the virtualized grid: only the pages the grid asks for
 * are fetched (so 100k photos cost one small request for the first paint), and a refresh keeps
 * showing the old page until its replacement arrives (no flicker while captions stream in).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient, PhotoSummary } from '../shared/api-contract.js';

export const PAGE_SIZE = 300;
/** Pages kept in memory (12k photos' summaries). */
const MAX_PAGES = 40;

export interface PhotoPages {
  total: number | null;
  get(index: number): PhotoSummary | undefined;
  ensure(start: number, end: number): void;
  error: string | null;
}

export function usePhotoPages(client: ApiClient, folderId: number | null, refreshToken: number): PhotoPages {
  const pages = useRef(new Map<number, PhotoSummary[]>());
  const inflight = useRef(new Set<number>());
  const generation = useRef(0);
  /** The pages the grid last asked for (what is on screen, plus overscan). */
  const visible = useRef<[number, number]>([0, 0]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, setTick] = useState(0);

  const load = useCallback(
    (page: number, gen: number) => {
      if (inflight.current.has(page)) return;
      inflight.current.add(page);
      client
        .call('photos.list', { folderId: folderId ?? undefined, offset: page * PAGE_SIZE, limit: PAGE_SIZE })
        .then((res) => {
          if (gen !== generation.current) return;
          pages.current.set(page, res.items);
          setTotal(res.total);
          setError(null);
          setTick((t) => t + 1);
        })
        .catch((err: Error) => gen === generation.current && setError(err.message))
        .finally(() => {
          if (gen === generation.current) inflight.current.delete(page);
        });
    },
    [client, folderId],
  );

  // A different folder: start over.
  useEffect(() => {
    generation.current += 1;
    pages.current = new Map();
    inflight.current = new Set();
    setTotal(null);
    load(0, generation.current);
  }, [load]);

  // Something changed in the library: reload the pages we hold, keeping them on screen meanwhile.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    generation.current += 1;
    inflight.current = new Set();
    // Refetch what is on screen; forget the rest (refetched when scrolled back to).
    const [from, to] = visible.current;
    for (const p of [...pages.current.keys()]) if (p < from || p > to) pages.current.delete(p);
    for (let p = from; p <= to; p++) load(p, generation.current);
  }, [refreshToken, load]);

  const get = useCallback((index: number) => pages.current.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE], []);
  const ensure = useCallback(
    (start: number, end: number) => {
      const from = Math.floor(start / PAGE_SIZE);
      const to = Math.floor(Math.max(start, end) / PAGE_SIZE);
      visible.current = [from, to];
      for (let p = from; p <= to; p++) {
        if (!pages.current.has(p)) load(p, generation.current);
      }
      // Bounded memory at any library size: keep the pages near the view only.
      if (pages.current.size > MAX_PAGES) {
        for (const p of [...pages.current.keys()]) if (Math.abs(p - from) > MAX_PAGES / 2) pages.current.delete(p);
      }
    },
    [load],
  );
  return { total, get, ensure, error };
}
