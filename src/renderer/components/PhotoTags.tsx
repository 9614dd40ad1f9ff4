/**
 * The photo view's tags (issue 19): what is in the photo, as chips — the user's own (typed here or
 * imported from the photo's keywords) and the model's (with its score, and how many when counted).
 * Type a tag and press Enter to add it; ✕ takes one away (a model's tag stays away when the model
 * derives tags again).
 */
import { useState, type KeyboardEvent } from 'react';
import type { ApiClient, PhotoDetail, PhotoTag } from '../../shared/api-contract.js';

export interface PhotoTagsProps {
  client: ApiClient;
  photo: PhotoDetail;
  /** The photo left the library: its tags are shown, not editable. */
  gone: boolean;
  onChange(photo: PhotoDetail): void;
  onError(message: string): void;
}

/** What a chip says on hover: who the tag is from. */
function origin(t: PhotoTag): string {
  if (t.kind === 'model') return `the model's (score ${(t.score ?? 0).toFixed(2)}${t.count ? `, ${t.count} seen` : ''})`;
  if (t.source === 'user') return 'yours';
  return `yours, imported from the photo's ${t.source.replace(/^import:/, '')}`;
}

export function PhotoTags({ client, photo, gone, onChange, onError }: PhotoTagsProps) {
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<PhotoDetail>) => {
    setBusy(true);
    try {
      onChange(await call());
      return true;
    } catch (err) {
      onError((err as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    // Keys typed here are the tag's, not the photo view's shortcuts (E, arrows, Escape).
    if (e.key !== 'Tab' && e.key !== 'Escape') e.stopPropagation();
    if (e.key === 'Enter' && draft.trim() && !busy) {
      e.preventDefault();
      void run(() => client.call('tags.add', { photoId: photo.id, tag: draft })).then((ok) => ok && setDraft(''));
    }
  };
  return (
    <section>
      <h3>Tags</h3>
      {photo.tags.length === 0 && <p className="muted small">No tags yet.</p>}
      <ul className="tag-list" data-testid="photo-tags">
        {photo.tags.map((t) => (
          <li key={t.tag} className={`tag-chip tag-${t.kind}`} data-testid="tag-chip" data-tag={t.tag} title={origin(t)}>
            <span>
              {t.tag}
              {t.count && t.count > 1 ? ` ×${t.count}` : ''}
            </span>
            {!gone && (
              <button
                className="icon-button tag-remove"
                aria-label={`Remove tag ${t.tag}`}
                disabled={busy}
                onClick={() => void run(() => client.call('tags.remove', { photoId: photo.id, tag: t.tag }))}
              >
                ✕
              </button>
            )}
          </li>
        ))}
      </ul>
      {!gone && (
        <input
          className="tag-input"
          aria-label="Add a tag. Enter adds it."
          placeholder="Add a tag…"
          value={draft}
          maxLength={64}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKey}
          data-testid="tag-input"
        />
      )}
    </section>
  );
}
