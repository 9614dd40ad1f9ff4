/** Above the grid: the search box (with tag suggestions and its syntax), and the Similar words / Captions toggles. */
import type { RefObject } from 'react';
import type { ApiClient } from '../../shared/api-contract.js';
import type { ThumbnailSize } from '../../shared/api-values.js';
import { focusGrid } from '../focus.js';
import { shortcutFor } from '../shortcuts.js';
import type { Library } from '../useLibrary.js';
import { useTagNames } from '../useTagNames.js';

/** The search syntax, as the search box's help shows it (src/main/library/query.ts reads it). */
const SYNTAX =
  'dog beach: both words · "black dog": the phrase · -snow or NOT snow: leave out · dog OR cat: either · tag:giraffe: that tag · the last word matches as you type';

/** Most tags suggested at once. */
const MAX_SUGGESTIONS = 8;

/** Tags starting with the word being typed, each as the whole query with that word completed. */
function tagSuggestions(query: string, tagNames: readonly string[]): Array<{ value: string; label: string }> {
  const m = /(^|\s)(-?)(tag:)?([^\s"]{1,64})$/iu.exec(query);
  if (!m) return [];
  const typed = m[4].toLowerCase();
  const head = query.slice(0, m.index + m[1].length) + m[2];
  return tagNames
    .filter((t) => t.toLowerCase().startsWith(typed) && t.toLowerCase() !== typed)
    .slice(0, MAX_SUGGESTIONS)
    .map((t) => ({ value: `${head}tag:${/\s/.test(t) ? `"${t}"` : t} `, label: `tag: ${t}` }));
}

export function Toolbar({
  client,
  lib,
  inputRef,
  query,
  onQuery,
  gridWrap,
}: {
  client: ApiClient;
  /** The settings the toggles change, and the library's counts (its tags, offered as the last word is typed, are re-read when they change). */
  lib: Pick<Library, 'settings' | 'updateSettings' | 'info'>;
  inputRef: RefObject<HTMLInputElement | null>;
  query: string;
  onQuery(query: string): void;
  /** Where ↓ and Enter in the search box go: the grid inside it. */
  gridWrap: RefObject<HTMLDivElement | null>;
}) {
  const { settings, updateSettings: onSettings } = lib;
  const suggestions = tagSuggestions(query, useTagNames(client, lib.info));
  return (
    <header className="toolbar">
      <div className="search" role="search">
        <input
          ref={inputRef}
          type="search"
          placeholder="Search captions, tags and file names  ( / )"
          aria-label="Search photos by caption"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={(e) => {
            const id = shortcutFor('search', e);
            if (id === 'clear') onQuery('');
            if (id === 'results') {
              e.preventDefault();
              focusGrid(gridWrap);
            }
          }}
          data-testid="search"
          list="search-tags"
          title={SYNTAX}
        />
        <datalist id="search-tags" data-testid="search-tag-suggestions">
          {suggestions.map((s) => (
            <option key={s.value} value={s.value} label={s.label} />
          ))}
        </datalist>
        <details className="search-help">
          <summary aria-label="Search syntax">?</summary>
          <p data-testid="search-syntax">{SYNTAX}</p>
        </details>
      </div>
      <label className="toggle" title="Also find photos captioned with words of similar meaning (puppy → dog)">
        <input
          type="checkbox"
          checked={settings.searchSimilarWords}
          onChange={(e) => onSettings({ searchSimilarWords: e.target.checked })}
        />{' '}
        Similar words
      </label>
      <label className="toggle">
        <input
          type="checkbox"
          checked={settings.captionsUnderThumbnails}
          onChange={(e) => onSettings({ captionsUnderThumbnails: e.target.checked })}
        />{' '}
        Captions
      </label>
      <label className="toggle">
        Size{' '}
        <select
          value={settings.thumbnailSize}
          onChange={(e) => onSettings({ thumbnailSize: e.target.value as ThumbnailSize })}
          data-testid="thumbnail-size"
        >
          <option value="small">Small</option>
          <option value="medium">Medium</option>
          <option value="large">Large</option>
        </select>
      </label>
    </header>
  );
}
