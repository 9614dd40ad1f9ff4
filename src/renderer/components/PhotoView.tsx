/**
 * One photo, large: its caption (edit in place — Enter saves it as the user's caption, Esc
 * cancels), beam-search alternatives to pick from, the caption history, file facts, and for a
 * file that failed, the reason and a retry.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Alternative, ApiClient, PhotoDetail } from '../../shared/api-contract.js';
import { formatBytes, formatDate } from '../format.js';

export interface PhotoViewProps {
  client: ApiClient;
  photoId: number;
  /** Bumped when the library reports changes, so the view refreshes. */
  refreshToken: number;
  onClose(): void;
  onPrev(): void;
  onNext(): void;
  onError(message: string): void;
}

export function PhotoView({ client, photoId, refreshToken, onClose, onPrev, onNext, onError }: PhotoViewProps) {
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [saving, setSaving] = useState(false);
  const [alternatives, setAlternatives] = useState<Alternative[] | null>(null);
  const [altState, setAltState] = useState<'idle' | 'loading' | 'error'>('idle');
  const [altError, setAltError] = useState<string | null>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    let live = true;
    client
      .call('photos.get', { id: photoId })
      .then((p) => live && (setPhoto(p), setLoadError(null)))
      .catch((err: Error) => live && setLoadError(err.message));
    return () => {
      live = false;
    };
  }, [client, photoId, refreshToken]);

  useEffect(() => {
    setEditing(false);
    setAlternatives(null);
    setAltState('idle');
    dialogRef.current?.focus();
  }, [photoId]);

  // Alternatives are stored with the model's caption, so fetching them is cheap: show them at once.
  const captioned = photo?.id === photoId && photo.status === 'captioned';
  useEffect(() => {
    if (captioned && alternatives === null && altState === 'idle') loadAlternatives();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [captioned, photoId]);

  // A layout effect, so focus has moved before the saved caption is painted: an Escape pressed
  // right after Enter must reach the dialog, not the page (a plain effect runs after paint).
  useLayoutEffect(() => {
    if (editing) inputRef.current?.select();
    // Leaving the editor (saved or cancelled) must not drop focus to the page: keys go to the dialog.
    else if (!document.activeElement || document.activeElement === document.body) dialogRef.current?.focus();
  }, [editing, saving]);

  const currentId = useRef(photoId);
  currentId.current = photoId;
  const loadAlternatives = () => {
    const forId = photoId;
    setAltState('loading');
    client
      .call('captions.alternatives', { photoId: forId })
      .then((alts) => {
        if (currentId.current !== forId) return;
        setAlternatives(alts);
        setAltState('idle');
      })
      .catch((err: Error) => {
        if (currentId.current !== forId) return;
        setAltError(err.message);
        setAltState('error');
      });
  };

  const save = async (text: string) => {
    setSaving(true);
    try {
      const updated = await client.call('captions.set', { photoId, text });
      setPhoto(updated);
      setEditing(false);
    } catch (err) {
      onError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const clearUser = async () => {
    try {
      setPhoto(await client.call('captions.clearUser', { photoId }));
    } catch (err) {
      onError((err as Error).message);
    }
  };

  const retry = async () => {
    try {
      await client.call('photos.retry', { id: photoId });
      setPhoto(await client.call('photos.get', { id: photoId }));
    } catch (err) {
      onError((err as Error).message);
    }
  };

  const onEditKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Tab') e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      if (draft.trim()) void save(draft);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
      dialogRef.current?.focus();
    }
  };

  const onDialogKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Tab') {
      // Keep keyboard focus inside the modal dialog.
      const focusable = [...(dialogRef.current?.querySelectorAll<HTMLElement>('button:not(:disabled), input:not(:disabled)') ?? [])];
      if (focusable.length === 0) return;
      const i = focusable.indexOf(document.activeElement as HTMLElement);
      const next = e.shiftKey ? (i <= 0 ? focusable.length - 1 : i - 1) : i === -1 || i === focusable.length - 1 ? 0 : i + 1;
      e.preventDefault();
      focusable[next].focus();
      return;
    }
    if (editing) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      onPrev();
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      onNext();
    } else if ((e.key === 'e' || e.key === 'F2') && photo && photo.status !== 'error') {
      e.preventDefault();
      setDraft(photo.caption ?? '');
      setEditing(true);
    }
  };

  const isUser = photo?.captionSource === 'user';

  return (
    <div className="overlay" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="photo-view"
        role="dialog"
        aria-modal="true"
        aria-label={photo ? `Photo ${photo.name}` : 'Photo'}
        tabIndex={-1}
        ref={dialogRef}
        onKeyDown={onDialogKey}
        data-testid="photo-view"
      >
        <div className="photo-stage">
          {photo && photo.status !== 'error' && photo.status !== 'missing' ? (
            <img src={client.photoUrl(photo)} alt={photo.caption ?? photo.name} />
          ) : (
            <div className="photo-missing" aria-hidden="true">
              {photo?.status === 'missing' ? '∅' : '⚠'}
            </div>
          )}
          <button className="nav prev" onClick={onPrev} aria-label="Previous photo">
            ‹
          </button>
          <button className="nav next" onClick={onNext} aria-label="Next photo">
            ›
          </button>
        </div>
        <aside className="photo-side">
          <div className="side-head">
            <h2 title={photo?.path}>{photo?.name ?? '…'}</h2>
            <button className="icon-button" onClick={onClose} aria-label="Close (Esc)">
              ✕
            </button>
          </div>
          {loadError && <p className="error-text">{loadError}</p>}
          {photo && photo.status === 'error' && (
            <section className="error-box" data-testid="photo-error">
              <h3>This file could not be captioned</h3>
              <p>{photo.error ?? 'Unknown error.'}</p>
              <button onClick={retry}>Retry</button>
            </section>
          )}
          {photo && photo.status !== 'error' && (
            <section className="caption-box">
              <h3>
                Caption <span className="source-tag">{photo.captionSource === null ? '' : isUser ? 'yours' : 'by the model'}</span>
              </h3>
              {editing ? (
                <div>
                  <input
                    ref={inputRef}
                    className="caption-input"
                    aria-label="Edit caption. Enter saves, Escape cancels."
                    value={draft}
                    maxLength={500}
                    disabled={saving}
                    onChange={(e) => setDraft(e.target.value)}
                    onKeyDown={onEditKey}
                    data-testid="caption-input"
                  />
                  <p className="hint">Enter saves it as your caption · Esc cancels</p>
                </div>
              ) : (
                <p className="caption-text" data-testid="photo-caption">
                  {photo.caption ?? <span className="muted">{photo.status === 'pending' ? 'Waiting for a caption…' : 'No caption.'}</span>}
                </p>
              )}
              {!editing && (
                <div className="button-row">
                  <button
                    onClick={() => {
                      setDraft(photo.caption ?? '');
                      setEditing(true);
                    }}
                    data-testid="edit-caption"
                  >
                    Edit caption <kbd>E</kbd>
                  </button>
                  {isUser && photo.history.some((c) => c.source !== 'user' && !c.source.startsWith('import')) && (
                    <button onClick={clearUser}>Use the model's caption</button>
                  )}
                </div>
              )}
            </section>
          )}
          {photo && photo.status === 'captioned' && (
            <section>
              <h3>Alternatives</h3>
              {alternatives === null ? (
                <button onClick={loadAlternatives} disabled={altState === 'loading'}>
                  {altState === 'loading' ? 'Thinking…' : 'Show other captions'}
                </button>
              ) : alternatives.filter((a) => a.text !== photo.caption).length === 0 ? (
                <p className="muted">No other captions.</p>
              ) : (
                <ul className="alternatives" data-testid="alternatives">
                  {alternatives
                    .filter((a) => a.text !== photo.caption)
                    .map((a) => (
                      <li key={a.text}>
                        <button className="link-like" onClick={() => save(a.text)} title={`score ${a.score.toFixed(2)}`}>
                          {a.text}
                        </button>
                      </li>
                    ))}
                </ul>
              )}
              {altState === 'error' && <p className="error-text">{altError}</p>}
            </section>
          )}
          {photo && photo.history.length > 0 && (
            <section>
              <h3>History</h3>
              <ol className="history" data-testid="history">
                {photo.history.map((c) => (
                  <li key={c.id}>
                    <span>{c.text}</span>
                    <span className="muted small">
                      {c.source === 'user' ? 'you' : c.source} · {formatDate(c.createdAt)}
                    </span>
                  </li>
                ))}
              </ol>
            </section>
          )}
          {photo && (
            <section>
              <h3>File</h3>
              <dl className="facts">
                <dt>Path</dt>
                <dd className="path">{photo.path}</dd>
                <dt>Taken</dt>
                <dd>{formatDate(photo.takenAt)}</dd>
                <dt>Modified</dt>
                <dd>{formatDate(photo.mtime)}</dd>
                <dt>Size</dt>
                <dd>
                  {formatBytes(photo.size)}
                  {photo.width && photo.height ? ` · ${photo.width} × ${photo.height}` : ''}
                </dd>
              </dl>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}
