/** Above the grid: the search box and the Similar words / Captions toggles. */
import type { RefObject } from 'react';
import type { Settings } from '../../shared/api-contract.js';

export function Toolbar({
  inputRef,
  query,
  onQuery,
  onLeaveSearch,
  settings,
  onSettings,
}: {
  inputRef: RefObject<HTMLInputElement | null>;
  query: string;
  onQuery(query: string): void;
  onLeaveSearch(): void;
  settings: Settings;
  onSettings(patch: Partial<Settings>): void;
}) {
  return (
    <header className="toolbar">
      <div className="search" role="search">
        <input
          ref={inputRef}
          type="search"
          placeholder="Search captions and file names  ( / )"
          aria-label="Search photos by caption"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') onQuery('');
            if (e.key === 'ArrowDown' || e.key === 'Enter') {
              e.preventDefault();
              onLeaveSearch();
            }
          }}
          data-testid="search"
        />
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
    </header>
  );
}
