/** The sidebar's tags: the library's most used tags with their photo counts; picking one shows only its photos. */
import { useEffect, useState } from 'react';
import type { ApiClient, TagCount } from '../../shared/api-contract.js';

/** Tags listed at most (the most used first). */
const SHOWN = 30;

export interface TagFilterProps {
  client: ApiClient;
  /** Bumped when the library reports changes. */
  refresh: number;
  /** The tag the grid is filtered by, or null. */
  tag: string | null;
  onTag(tag: string | null): void;
}

export function TagFilter({ client, refresh, tag, onTag }: TagFilterProps) {
  const [tags, setTags] = useState<TagCount[]>([]);
  useEffect(() => {
    let live = true;
    client.call('tags.list', { limit: SHOWN }).then(
      (t) => live && setTags(t),
      () => {}, // the list is a convenience: the grid and the photo view report errors
    );
    return () => {
      live = false;
    };
  }, [client, refresh]);
  if (tags.length === 0 && tag === null) return null;
  const shown = tag !== null && !tags.some((t) => t.tag.toLowerCase() === tag.toLowerCase()) ? [{ tag, photos: 0 }, ...tags] : tags;
  return (
    <section className="tag-filter" aria-label="Tags">
      <h2>Tags</h2>
      <ul className="tag-filter-list" data-testid="tag-filter">
        {tag !== null && (
          <li>
            <button className="tag-filter-button" onClick={() => onTag(null)} data-testid="tag-filter-clear">
              <span>All tags</span>
            </button>
          </li>
        )}
        {shown.map((t) => {
          const active = tag !== null && t.tag.toLowerCase() === tag.toLowerCase();
          return (
            <li key={t.tag}>
              <button
                className={`tag-filter-button${active ? ' active' : ''}`}
                aria-pressed={active}
                onClick={() => onTag(active ? null : t.tag)}
                data-testid="tag-filter-item"
                data-tag={t.tag}
              >
                <span className="tag-filter-name">{t.tag}</span>
                <span className="tag-filter-count small muted">{t.photos.toLocaleString()}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
