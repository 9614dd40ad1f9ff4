/** The query once typing pauses ('' at once when the box is cleared). */
import { useEffect, useState } from 'react';

const SEARCH_DEBOUNCE_MS = 180;

export function useDebouncedQuery(query: string): string {
  const q = query.trim();
  const [debounced, setDebounced] = useState('');
  if (!q && debounced !== '') setDebounced('');
  useEffect(() => {
    if (!q) return;
    const t = setTimeout(() => setDebounced(q), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [q]);
  return debounced;
}
