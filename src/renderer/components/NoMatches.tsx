/** In place of the grid when a search finds nothing: what search looks at, the nearest words it knows, and what to try. */
import { ScopeNote, type SearchScope } from './SearchSummary.js';

export function NoMatches({
  query,
  didYouMean,
  onQuery,
  scope,
  similarWords,
  nothingCaptioned,
}: {
  query: string;
  didYouMean: string[];
  onQuery(query: string): void;
  scope: SearchScope | null;
  similarWords: boolean;
  nothingCaptioned: boolean;
}) {
  return (
    <div className="empty" data-testid="search-empty">
      <h2>
        No photos match “{query}”<ScopeNote scope={scope} />
      </h2>
      {didYouMean.length > 0 ? (
        <p data-testid="did-you-mean">
          Did you mean{' '}
          {didYouMean.map((s, i) => (
            <span key={s}>
              {i > 0 ? ' or ' : ''}
              <button type="button" className="link-like" onClick={() => onQuery(`${s} `)}>
                {s}
              </button>
            </span>
          ))}
          ?
        </p>
      ) : null}
      <p>
        Search looks for these words in captions, tags and file names
        {similarWords ? ', and for words with a similar meaning' : ''}. Try fewer or more general words (<em>dog</em> rather than{' '}
        <em>terrier</em>){didYouMean.length ? '' : ', or check the spelling'}.
      </p>
      {nothingCaptioned ? (
        <p className="muted">No photo has a caption yet — captions appear as the model works through your folders.</p>
      ) : null}
    </div>
  );
}
