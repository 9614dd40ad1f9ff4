/**
 * Captions fill the grid top-down, what is on screen first: the photos the grid shows that still
 * wait for a caption are sent to the core (jobs.captionFirst), a moment after scrolling stops, so
 * its jobs take them next. Returns what the grid calls with the rows it shows.
 */
import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, PhotoSummary } from '../shared/api-contract.js';

/** Scrolling through: ask once it has settled. */
const SETTLE_MS = 250;

export function useCaptionVisibleFirst(client: ApiClient, photoAt: (index: number) => PhotoSummary | undefined) {
  const [range, setRange] = useState<[number, number] | null>(null);
  const waiting: number[] = [];
  if (range)
    for (let i = range[0]; i <= range[1]; i++) {
      const p = photoAt(i);
      if (p?.status === 'pending' && !p.caption) waiting.push(p.id);
    }
  const key = waiting.join(',');
  useEffect(() => {
    if (!key) return;
    const timer = setTimeout(() => {
      // Only an ordering hint: a failure (the core busy or gone) changes nothing the user sees.
      client.call('jobs.captionFirst', { photoIds: key.split(',').map(Number) }).catch(() => {});
    }, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [client, key]);
  return useCallback((start: number, end: number) => setRange((r) => (r && r[0] === start && r[1] === end ? r : [start, end])), []);
}
