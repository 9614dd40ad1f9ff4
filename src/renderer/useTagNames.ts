/** The library's tag names, most used first, for the search box's suggestions (re-read when the library's counts change). */
import { useEffect, useState } from 'react';
import type { ApiClient, LibraryInfo } from '../shared/api-contract.js';

/** Tags offered as the user types (the most used ones). */
const SUGGESTED_TAGS = 500;

export function useTagNames(client: ApiClient, info: LibraryInfo | null): string[] {
  const [names, setNames] = useState<string[]>([]);
  const photos = info?.photoCount ?? null;
  useEffect(() => {
    let live = true;
    client
      .call('tags.list', { limit: SUGGESTED_TAGS })
      .then((list) => live && setNames(list.map((t) => t.tag)))
      .catch(() => undefined); // no suggestions is no error: search works without them
    return () => {
      live = false;
    };
  }, [client, photos]);
  return names;
}
