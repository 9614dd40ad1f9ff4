/** Above the search results: how many photos match, and which similar words were matched too. */
import { plural } from '../format.js';
import type { SearchMeta } from '../usePhotoLists.js';

/** The library reports at most this many matches (a lower bound past it). */
const SEARCH_COUNT_CAP = 1000;

export function SearchSummary({ total, meta }: { total: number; meta: SearchMeta }) {
  return (
    <div className="search-summary" role="status" data-testid="search-summary">
      {total > 0 ? (
        <>
          {total >= SEARCH_COUNT_CAP ? `${SEARCH_COUNT_CAP.toLocaleString()}+ photos` : plural(total, 'photo')} for “{meta.query}”
          {meta.expanded.some((x) => x.similar.length > 0) && (
            <span className="muted" data-testid="similar-words">
              {' '}
              · also matched similar words:{' '}
              {meta.expanded
                .filter((x) => x.similar.length > 0)
                .map((x) => `${x.term} → ${x.similar.join(', ')}`)
                .join('; ')}
            </span>
          )}
        </>
      ) : null}
    </div>
  );
}
