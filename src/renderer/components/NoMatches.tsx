/** In place of the grid when a search finds nothing: what search looks at and what to try. */
export function NoMatches({ query, similarWords, nothingCaptioned }: { query: string; similarWords: boolean; nothingCaptioned: boolean }) {
  return (
    <div className="empty" data-testid="search-empty">
      <h2>No photos match “{query}”</h2>
      <p>
        Search looks for these words in captions and file names
        {similarWords ? ', and for words with a similar meaning' : ''}. Try fewer or more general words (<em>dog</em> rather than{' '}
        <em>terrier</em>), or check the spelling.
      </p>
      {nothingCaptioned ? (
        <p className="muted">No photo has a caption yet — captions appear as the model works through your folders.</p>
      ) : null}
    </div>
  );
}
