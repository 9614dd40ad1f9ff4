/**
 * One photo, large: its caption (edit in place — Enter saves it as the user's caption, Esc
 * cancels), beam-search alternatives to pick from, the caption history, file facts, and for a
 * file that failed, the reason and a retry.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
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

/** The photo's details, reloaded when it changes or the library reports changes. */
function usePhotoDetail(client: ApiClient, photoId: number, refreshToken: number) {
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client
      .call('photos.get', { id: photoId })
      .then((p) => {
        if (!live) return;
        setPhoto(p);
        setLoadError(null);
      })
      .catch((err: Error) => {
        if (live) setLoadError(err.message);
      });
    return () => {
      live = false;
    };
  }, [client, photoId, refreshToken]);
  return { photo, setPhoto, loadError };
}

/** Beam-search alternatives of the shown photo; an answer for a photo no longer shown is dropped. */
function useAlternatives(client: ApiClient, photoId: number) {
  const [alternatives, setAlternatives] = useState<Alternative[] | null>(null);
  const [altState, setAltState] = useState<'idle' | 'loading' | 'error'>('idle');
  const [altError, setAltError] = useState<string | null>(null);
  const currentId = useRef(photoId);
  useLayoutEffect(() => {
    currentId.current = photoId;
  }, [photoId]);

  // Another photo: forget the last one's alternatives (during render, so they are never shown for it).
  const [shownFor, setShownFor] = useState(photoId);
  if (shownFor !== photoId) {
    setShownFor(photoId);
    setAlternatives(null);
    setAltState('idle');
  }

  const loadAlternatives = useCallback(() => {
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
  }, [client, photoId]);
  return { alternatives, altState, altError, loadAlternatives };
}

/** Tab and Shift+Tab cycle through the dialog's enabled buttons and inputs (a modal keeps focus inside). */
function trapTab(e: KeyboardEvent<HTMLDivElement>, dialog: HTMLDivElement | null): void {
  const focusable = [...(dialog?.querySelectorAll<HTMLElement>('button:not(:disabled), input:not(:disabled)') ?? [])];
  if (focusable.length === 0) return;
  const i = focusable.indexOf(document.activeElement as HTMLElement);
  const next = e.shiftKey ? (i <= 0 ? focusable.length - 1 : i - 1) : i === -1 || i === focusable.length - 1 ? 0 : i + 1;
  e.preventDefault();
  focusable[next].focus();
}

function CaptionFailure({ photo, onRetry }: { photo: PhotoDetail; onRetry(): void }) {
  return (
    <section className="error-box" data-testid="photo-error">
      <h3>This file could not be captioned</h3>
      <p>{photo.error ?? 'Unknown error.'}</p>
      <button onClick={onRetry}>Retry</button>
    </section>
  );
}

function PhotoStage({ client, photo, onPrev, onNext }: { client: ApiClient; photo: PhotoDetail | null; onPrev(): void; onNext(): void }) {
  return (
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
  );
}

interface CaptionEditor {
  editing: boolean;
  draft: string;
  saving: boolean;
  onDraft(text: string): void;
  onEditKey(e: KeyboardEvent<HTMLInputElement>): void;
  startEditing(): void;
}

function CaptionBox(props: {
  photo: PhotoDetail;
  editor: CaptionEditor;
  inputRef: RefObject<HTMLInputElement | null>;
  onClearUser(): void;
}) {
  const { photo, editor, inputRef, onClearUser } = props;
  const isUser = photo.captionSource === 'user';
  return (
    <section className="caption-box">
      <h3>
        Caption <span className="source-tag">{photo.captionSource === null ? '' : isUser ? 'yours' : 'by the model'}</span>
      </h3>
      {editor.editing ? (
        <div>
          <input
            ref={inputRef}
            className="caption-input"
            aria-label="Edit caption. Enter saves, Escape cancels."
            value={editor.draft}
            maxLength={500}
            disabled={editor.saving}
            onChange={(e) => editor.onDraft(e.target.value)}
            onKeyDown={editor.onEditKey}
            data-testid="caption-input"
          />
          <p className="hint">Enter saves it as your caption · Esc cancels</p>
        </div>
      ) : (
        <p className="caption-text" data-testid="photo-caption">
          {photo.caption ?? <span className="muted">{photo.status === 'pending' ? 'Waiting for a caption…' : 'No caption.'}</span>}
        </p>
      )}
      {!editor.editing && (
        <div className="button-row">
          <button onClick={editor.startEditing} data-testid="edit-caption">
            Edit caption <kbd>E</kbd>
          </button>
          {isUser && photo.history.some((c) => c.source !== 'user' && !c.source.startsWith('import')) && (
            <button onClick={onClearUser}>Use the model's caption</button>
          )}
        </div>
      )}
    </section>
  );
}

function Alternatives({
  photo,
  alts,
  onPick,
}: {
  photo: PhotoDetail;
  alts: ReturnType<typeof useAlternatives>;
  onPick(text: string): void;
}) {
  const { alternatives, altState, altError, loadAlternatives } = alts;
  const others = alternatives?.filter((a) => a.text !== photo.caption) ?? [];
  return (
    <section>
      <h3>Alternatives</h3>
      {alternatives === null ? (
        <button onClick={loadAlternatives} disabled={altState === 'loading'}>
          {altState === 'loading' ? 'Thinking…' : 'Show other captions'}
        </button>
      ) : others.length === 0 ? (
        <p className="muted">No other captions.</p>
      ) : (
        <ul className="alternatives" data-testid="alternatives">
          {others.map((a) => (
            <li key={a.text}>
              <button className="link-like" onClick={() => onPick(a.text)} title={`score ${a.score.toFixed(2)}`}>
                {a.text}
              </button>
            </li>
          ))}
        </ul>
      )}
      {altState === 'error' && <p className="error-text">{altError}</p>}
    </section>
  );
}

function History({ photo }: { photo: PhotoDetail }) {
  return (
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
  );
}

function FileFacts({ photo }: { photo: PhotoDetail }) {
  return (
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
  );
}

/** Editing the caption in place: Enter saves it as the user's caption, Escape cancels; focus never drops to the page. */
function useCaptionEditor(
  photo: PhotoDetail | null,
  photoId: number,
  dialogRef: RefObject<HTMLDivElement | null>,
  save: (text: string) => Promise<boolean>,
) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [saving, setSaving] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  // Another photo: leave the editor (during render, so the old draft is never shown for it).
  const [editingFor, setEditingFor] = useState(photoId);
  if (editingFor !== photoId) {
    setEditingFor(photoId);
    setEditing(false);
  }

  // A layout effect, so focus has moved before the saved caption is painted: an Escape pressed
  // right after Enter must reach the dialog, not the page (a plain effect runs after paint).
  useLayoutEffect(() => {
    if (editing) inputRef.current?.select();
    // Leaving the editor (saved or cancelled) must not drop focus to the page: keys go to the dialog.
    else if (!document.activeElement || document.activeElement === document.body) dialogRef.current?.focus();
  }, [editing, saving, dialogRef]);

  const saveText = async (text: string) => {
    setSaving(true);
    try {
      if (await save(text)) setEditing(false);
    } finally {
      setSaving(false);
    }
  };
  const startEditing = () => {
    setDraft(photo?.caption ?? '');
    setEditing(true);
  };
  const onEditKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Tab') e.stopPropagation();
    if (e.key === 'Enter') {
      e.preventDefault();
      if (draft.trim()) void saveText(draft);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
      dialogRef.current?.focus();
    }
  };
  const editor: CaptionEditor = { editing, draft, saving, onDraft: setDraft, onEditKey, startEditing };
  return { editor, inputRef, saveText };
}

export function PhotoView({ client, photoId, refreshToken, onClose, onPrev, onNext, onError }: PhotoViewProps) {
  const { photo, setPhoto, loadError } = usePhotoDetail(client, photoId, refreshToken);
  const alts = useAlternatives(client, photoId);
  const dialogRef = useRef<HTMLDivElement>(null);
  const report = (err: unknown) => onError((err as Error).message);

  const { editor, inputRef, saveText } = useCaptionEditor(photo, photoId, dialogRef, async (text) => {
    try {
      setPhoto(await client.call('captions.set', { photoId, text }));
      return true;
    } catch (err) {
      report(err);
      return false;
    }
  });

  useEffect(() => {
    dialogRef.current?.focus();
  }, [photoId]);

  // Alternatives are stored with the model's caption, so fetching them is cheap: show them at once.
  const captioned = photo?.id === photoId && photo.status === 'captioned';
  const { alternatives, altState, loadAlternatives } = alts;
  useEffect(() => {
    if (captioned && alternatives === null && altState === 'idle') loadAlternatives();
  }, [captioned, alternatives, altState, loadAlternatives]);

  const clearUser = () => client.call('captions.clearUser', { photoId }).then(setPhoto, report);
  const retry = async () => {
    try {
      await client.call('photos.retry', { id: photoId });
      setPhoto(await client.call('photos.get', { id: photoId }));
    } catch (err) {
      report(err);
    }
  };

  const onDialogKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Tab') return trapTab(e, dialogRef.current);
    if (editor.editing) return;
    const action: Record<string, (() => void) | undefined> = {
      Escape: onClose,
      ArrowLeft: onPrev,
      ArrowRight: onNext,
      ...(photo && photo.status !== 'error' ? { e: editor.startEditing, F2: editor.startEditing } : {}),
    };
    const run = action[e.key];
    if (!run) return;
    e.preventDefault();
    run();
  };

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
        <PhotoStage client={client} photo={photo} onPrev={onPrev} onNext={onNext} />
        <aside className="photo-side">
          <div className="side-head">
            <h2 title={photo?.path}>{photo?.name ?? '…'}</h2>
            <button className="icon-button" onClick={onClose} aria-label="Close (Esc)">
              ✕
            </button>
          </div>
          {loadError && <p className="error-text">{loadError}</p>}
          {photo && photo.status === 'error' && <CaptionFailure photo={photo} onRetry={retry} />}
          {photo && photo.status !== 'error' && <CaptionBox photo={photo} editor={editor} inputRef={inputRef} onClearUser={clearUser} />}
          {photo && photo.status === 'captioned' && <Alternatives photo={photo} alts={alts} onPick={(text) => void saveText(text)} />}
          {photo && photo.history.length > 0 && <History photo={photo} />}
          {photo && <FileFacts photo={photo} />}
        </aside>
      </div>
    </div>
  );
}
