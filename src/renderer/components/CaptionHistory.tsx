/** A photo's caption history, newest first: who wrote each one, when, and a Restore for the ones not shown now. */
import type { PhotoDetail } from '../../shared/api-contract.js';
import { entryLabel } from '../captionOrigin.js';
import { formatDate } from '../format.js';

export function CaptionHistory({
  photo,
  canRestore,
  onRestore,
}: {
  photo: PhotoDetail;
  canRestore: boolean;
  onRestore(captionId: number): void;
}) {
  return (
    <section>
      <h3>History</h3>
      <ol className="history" data-testid="history">
        {photo.history.map((c) => (
          <li key={c.id} data-testid="history-entry" className={c.id === photo.captionId ? 'shown' : undefined}>
            <span>{c.text}</span>
            <span className="muted small">
              {entryLabel(c)} · {formatDate(c.createdAt)}
              {c.id === photo.captionId ? ' · shown' : ''}
            </span>
            {canRestore && c.id !== photo.captionId && (
              <button
                className="link-like small"
                onClick={() => onRestore(c.id)}
                aria-label={`Restore “${c.text}”`}
                data-testid="history-restore"
              >
                Restore
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
