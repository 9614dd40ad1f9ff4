/** Above the search results: how many photos match, where, and which words were matched besides the typed ones. */
import { plural } from '../format.js';
import type { SearchMeta } from '../usePhotoLists.js';

/** The library reports at most this many matches (a lower bound past it). */
const SEARCH_COUNT_CAP = 1000;

/** The folder a search runs in, and how to widen it. */
export interface SearchScope {
  name: string;
  onEverywhere(): void;
}

/** "in Pets · search everywhere": a search limited to the selected folder says so. */
export function ScopeNote({ scope }: { scope: SearchScope | null }) {
  if (!scope) return null;
  return (
    <span data-testid="search-scope">
      {' '}
      in {scope.name} ·{' '}
      <button type="button" className="link-like" onClick={scope.onEverywhere} data-testid="search-everywhere">
        search everywhere
      </button>
    </span>
  );
}

export function SearchSummary({ total, meta, scope }: { total: number; meta: SearchMeta; scope: SearchScope | null }) {
  const expanded = meta.expanded.filter((x) => x.similar.length > 0);
  return (
    <div className="search-summary" role="status" data-testid="search-summary">
      {total > 0 ? (
        <>
          {total >= SEARCH_COUNT_CAP ? `${SEARCH_COUNT_CAP.toLocaleString()}+ photos` : plural(total, 'photo')} for “{meta.query}”
          <ScopeNote scope={scope} />
          {expanded.length > 0 && (
            <span className="muted" data-testid="similar-words">
              {' '}
              · after the exact matches, also:{' '}
              {expanded
                .map(
                  (x) =>
                    `${x.term} → ${x.similar.slice(0, 8).join(', ')}${x.similar.length > 8 ? ', …' : ''}${x.source === 'embeddings' ? ' (similar words)' : ''}`,
                )
                .join('; ')}
            </span>
          )}
        </>
      ) : null}
    </div>
  );
}
