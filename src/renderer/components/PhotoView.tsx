/**
 * One photo, large: its caption and who it is from (edit in place — Enter saves it as the user's
 * caption, Esc cancels), beam-search alternatives to pick from (with undo), the caption history
 * (each entry restorable), file facts, and for a file that failed, the reason and a retry.
 * A photo that leaves the library while it is open stays on screen with a notice, and the text
 * being typed stays in the editor to copy.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { Alternative, ApiClient, PhotoDetail } from '../../shared/api-contract.js';
import { captionLabel } from '../captionOrigin.js';
import { trapTab } from '../focus.js';
import { formatBytes, formatDate } from '../format.js';
import { shortcutFor, type ShortcutId } from '../shortcuts.js';
import { CameraFacts } from './CameraFacts.js';
import { CaptionHistory } from './CaptionHistory.js';
import { PhotoTags } from './PhotoTags.js';
import { Toast } from './Toast.js';
import { useZoom, ZoomableImage, ZoomControls, type Zoom } from './ZoomableImage.js';

export interface PhotoViewProps {
  client: ApiClient;
  photoId: number;
  /** Bumped when the library reports changes, so the view refreshes. */
  refreshToken: number;
  /** Folders whose captioning is paused or cancelled: a waiting photo there says its caption is paused. */
  pausedFolders?: ReadonlySet<number>;
  /** Where the photo is in the list it was opened from (none: opened on its own, from the Teach view or a link). */
  position?: { index: number; total: number } | null;
  onClose(): void;
  onPrev(): void;
  onNext(): void;
  onError(message: string): void;
}

/**
 * The photo's details, reloaded when it changes or the library reports changes. `gone`: its file
 * was deleted (status 'missing') or its row left the library; the last details stay shown.
 */
function usePhotoDetail(client: ApiClient, photoId: number, refreshToken: number) {
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [removed, setRemoved] = useState(false);
  useEffect(() => {
    let live = true;
    client
      .call('photos.get', { id: photoId })
      .then((p) => {
        if (!live) return;
        setPhoto(p);
        setLoadError(null);
        setRemoved(false);
      })
      .catch((err: Error & { code?: string }) => {
        if (!live) return;
        if (err.code === 'not_found') setRemoved(true);
        else setLoadError(err.message);
      });
    return () => {
      live = false;
    };
  }, [client, photoId, refreshToken]);
  const gone = removed || photo?.status === 'missing';
  return { photo, setPhoto, loadError, gone };
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

/** Alternatives are stored with the model's caption, so fetching them is cheap: a captioned photo shows them at once. */
function useAlternativesAtOnce(alts: ReturnType<typeof useAlternatives>, captioned: boolean): void {
  const { alternatives, altState, loadAlternatives } = alts;
  useEffect(() => {
    if (captioned && alternatives === null && altState === 'idle') loadAlternatives();
  }, [captioned, alternatives, altState, loadAlternatives]);
}

/** The dialog takes focus when a photo opens, and again when a pick, an undo or a restore removed the focused button (Esc must still close it). */
function useDialogFocus(dialogRef: RefObject<HTMLDivElement | null>, photoId: number, photo: PhotoDetail | null): void {
  useEffect(() => {
    dialogRef.current?.focus();
  }, [dialogRef, photoId]);
  useLayoutEffect(() => {
    if (!document.activeElement || document.activeElement === document.body) dialogRef.current?.focus();
  }, [dialogRef, photo]);
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

function PhotoStage(props: {
  client: ApiClient;
  photo: PhotoDetail | null;
  zoom: Zoom;
  position: PhotoViewProps['position'];
  onPrev(): void;
  onNext(): void;
}) {
  const { client, photo, zoom, position } = props;
  const shown = photo && photo.status !== 'error' && photo.status !== 'missing';
  return (
    <div className="photo-stage">
      {shown ? (
        <ZoomableImage zoom={zoom} src={client.photoUrl(photo)} alt={photo.caption ?? photo.name} />
      ) : (
        <div className="photo-missing" aria-hidden="true">
          {photo?.status === 'missing' ? '∅' : '⚠'}
        </div>
      )}
      {shown && <ZoomControls zoom={zoom} />}
      {position && (
        <>
          <button className="nav prev" onClick={props.onPrev} disabled={position.index <= 0} aria-label="Previous photo">
            ‹
          </button>
          <button className="nav next" onClick={props.onNext} disabled={position.index >= position.total - 1} aria-label="Next photo">
            ›
          </button>
        </>
      )}
    </div>
  );
}

/** "12 of 150", and at either end of the list, that it is the end. */
function Counter({ position }: { position: NonNullable<PhotoViewProps['position']> }) {
  const { index, total } = position;
  const end = total === 1 ? ' · the only photo' : index === 0 ? ' · first photo' : index === total - 1 ? ' · last photo' : '';
  return (
    <p className="photo-counter" aria-live="polite" data-testid="photo-counter">
      {index + 1} of {total}
      {end}
    </p>
  );
}

interface CaptionEditor {
  editing: boolean;
  draft: string;
  saving: boolean;
  onDraft(text: string): void;
  onEditKey(e: KeyboardEvent<HTMLTextAreaElement>): void;
  startEditing(): void;
}

function GoneNotice({ editing }: { editing: boolean }) {
  return (
    <div className="error-box" role="alert" data-testid="photo-gone">
      <h3>This photo is no longer in the library</h3>
      <p>
        Its file was deleted or moved away.
        {editing ? ' Your text was not saved: it stays in the box below to copy.' : ''}
      </p>
    </div>
  );
}

/** What a photo without a caption says: on its way, paused with its folder, or none. */
function waitingText(photo: PhotoDetail, paused: ReadonlySet<number> | undefined): string {
  if (photo.status !== 'pending') return 'No caption.';
  return paused?.has(photo.folderId) ? 'Caption paused: resume the folder in the sidebar' : 'Waiting for a caption…';
}

function CaptionBox(props: {
  photo: PhotoDetail;
  gone: boolean;
  editor: CaptionEditor;
  inputRef: RefObject<HTMLTextAreaElement | null>;
  pausedFolders: ReadonlySet<number> | undefined;
  onClearUser(): void;
}) {
  const { photo, gone, editor, inputRef, onClearUser } = props;
  return (
    <section className="caption-box">
      <h3>
        Caption{' '}
        <span className="source-tag" data-testid="caption-source">
          {captionLabel(photo.captionKind, photo.captionImportedFrom)}
        </span>
      </h3>
      {editor.editing ? (
        <div>
          {/* Several lines tall so a long caption is read whole; Enter still saves (a caption is one line). */}
          <textarea
            ref={inputRef}
            className="caption-input"
            aria-label="Edit caption. Enter saves, Escape cancels. Saving it empty takes your caption away."
            value={editor.draft}
            maxLength={500}
            rows={3}
            disabled={editor.saving}
            onChange={(e) => editor.onDraft(e.target.value)}
            onKeyDown={editor.onEditKey}
            data-testid="caption-input"
          />
          <p className="hint">
            {gone
              ? 'Not saved: the photo is gone. Select the text to copy it · Esc closes the editor'
              : 'Enter saves it as your caption · Esc cancels · empty: back to the model’s caption'}
          </p>
        </div>
      ) : (
        <p className="caption-text" data-testid="photo-caption">
          {photo.caption ?? <span className="muted">{waitingText(photo, props.pausedFolders)}</span>}
        </p>
      )}
      {!editor.editing && !gone && (
        <div className="button-row">
          <button onClick={editor.startEditing} data-testid="edit-caption">
            Edit caption <kbd>E</kbd>
          </button>
          {photo.captionKind === 'user' && photo.history.some((c) => c.kind === 'model') && (
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

/** The original file: shown in the system's file manager (desktop), or opened in a new tab (browser). */
function OriginalLink({ client, photo }: { client: ApiClient; photo: PhotoDetail }) {
  if (client.showInFolder)
    return (
      <button className="link-like" onClick={() => void client.showInFolder!(photo.id)} data-testid="show-in-folder">
        Show in folder
      </button>
    );
  return (
    <a href={client.photoUrl(photo)} target="_blank" rel="noopener noreferrer" data-testid="open-original">
      Open original
    </a>
  );
}

function FileFacts({ client, photo, refreshToken }: { client: ApiClient; photo: PhotoDetail; refreshToken: number }) {
  return (
    <section>
      <h3>File</h3>
      {photo.status !== 'missing' && <OriginalLink client={client} photo={photo} />}
      <CameraFacts client={client} photoId={photo.id} refreshToken={refreshToken} />
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
  const inputRef = useRef<HTMLTextAreaElement>(null);

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
  const onEditKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== 'Tab') e.stopPropagation();
    const id = shortcutFor('caption', e);
    if (!id) return;
    e.preventDefault();
    const actions: Record<ShortcutId<'caption'>, () => void> = {
      // An empty caption saved: the user's own is taken away (saveText decides what that means here).
      save: () => void saveText(draft),
      cancel: () => {
        setEditing(false);
        dialogRef.current?.focus();
      },
    };
    actions[id]();
  };
  const editor: CaptionEditor = { editing, draft, saving, onDraft: setDraft, onEditKey, startEditing };
  return { editor, inputRef, saveText };
}

/** What the user does to the caption besides typing: pick an alternative (with undo), restore a history entry, go back to the model's, retry. */
function useCaptionActions(client: ApiClient, photoId: number, setPhoto: (p: PhotoDetail) => void, report: (err: unknown) => void) {
  /** The last pick of an alternative, while it can be taken back. */
  const [undoable, setUndoable] = useState<{ captionId: number; message: string } | null>(null);
  const [undoFor, setUndoFor] = useState(photoId);
  if (undoFor !== photoId) {
    setUndoFor(photoId);
    setUndoable(null);
  }
  const picked = (p: PhotoDetail, message: string) => {
    setPhoto(p);
    setUndoable(p.captionKind === 'alternative' && p.captionId !== null ? { captionId: p.captionId, message } : null);
  };
  return {
    undoable,
    dismissUndo: () => setUndoable(null),
    choose: (text: string) =>
      client.call('captions.choose', { photoId, text }).then((p) => picked(p, "Caption chosen from the model's alternatives."), report),
    restore: (captionId: number) =>
      client.call('captions.restore', { photoId, captionId }).then((p) => picked(p, 'Earlier caption restored.'), report),
    undo: () => {
      if (!undoable) return;
      setUndoable(null);
      client.call('captions.undoChoice', { photoId, captionId: undoable.captionId }).then(setPhoto, report);
    },
    clearUser: () => client.call('captions.clearUser', { photoId }).then(setPhoto, report),
    retry: async () => {
      try {
        await client.call('photos.retry', { id: photoId });
        setPhoto(await client.call('photos.get', { id: photoId }));
      } catch (err) {
        report(err);
      }
    },
  };
}

/** The photo view's shortcuts (shortcuts.ts, group "photo"), none while the caption is edited; Tab stays in the dialog. */
function onPhotoKey(
  e: KeyboardEvent<HTMLDivElement>,
  dialog: HTMLDivElement | null,
  editing: boolean,
  actions: Record<ShortcutId<'photo'>, (() => void) | null>,
): void {
  if (e.key === 'Tab') return trapTab(e, dialog);
  if (editing) return;
  const id = shortcutFor('photo', e);
  const run = id && actions[id];
  if (!run) return;
  e.preventDefault();
  run();
}

/**
 * Saving the editor's text as the user's caption. Saved empty, the user's own caption (typed,
 * imported or picked) is taken away and the model's shows again; a model's caption cannot be blanked.
 */
function saveCaption(
  client: ApiClient,
  photo: PhotoDetail | null,
  gone: boolean,
  setPhoto: (p: PhotoDetail) => void,
  report: (err: unknown) => void,
): (text: string) => Promise<boolean> {
  return async (text) => {
    if (gone || !photo) return false; // nowhere to save it: the text stays in the editor
    const clear = !text.trim();
    if (clear && !['user', 'imported', 'alternative'].includes(photo.captionKind ?? '')) {
      report(new Error('A caption cannot be empty: type your own words, or press Esc to keep the model’s caption.'));
      return false;
    }
    try {
      const photoId = photo.id;
      setPhoto(await (clear ? client.call('captions.clearUser', { photoId }) : client.call('captions.set', { photoId, text })));
      return true;
    } catch (err) {
      report(err);
      return false;
    }
  };
}

export function PhotoView(props: PhotoViewProps) {
  const { client, photoId, refreshToken, pausedFolders, onClose, onPrev, onNext, onError, position } = props;
  const { photo, setPhoto, loadError, gone } = usePhotoDetail(client, photoId, refreshToken);
  const alts = useAlternatives(client, photoId);
  const dialogRef = useRef<HTMLDivElement>(null);
  const report = (err: unknown) => onError((err as Error).message);
  const act = useCaptionActions(client, photoId, setPhoto, report);
  const zoom = useZoom(photoId);
  const { editor, inputRef } = useCaptionEditor(photo, photoId, dialogRef, saveCaption(client, photo, gone, setPhoto, report));

  useDialogFocus(dialogRef, photoId, photo);

  useAlternativesAtOnce(alts, photo?.id === photoId && photo.status === 'captioned');

  const canEdit = !!photo && photo.status !== 'error' && !gone;
  const onDialogKey = (e: KeyboardEvent<HTMLDivElement>) =>
    onPhotoKey(e, dialogRef.current, editor.editing, {
      close: onClose,
      previous: onPrev,
      next: onNext,
      edit: canEdit ? editor.startEditing : null,
      zoomIn: zoom.zoomIn,
      zoomOut: zoom.zoomOut,
      fit: zoom.fit,
      actualSize: () => zoom.actualSize(),
    });

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
        data-photo-id={photoId}
      >
        <PhotoStage client={client} photo={photo} zoom={zoom} position={position} onPrev={onPrev} onNext={onNext} />
        <aside className="photo-side">
          {/* The view's h1 (its title, the file name, stays the h2 other views and tests know). */}
          <h1 className="visually-hidden">Photo</h1>
          <div className="side-head">
            <h2 title={photo?.path}>{photo?.name ?? '…'}</h2>
            <button className="icon-button" onClick={onClose} aria-label="Close (Esc)">
              ✕
            </button>
          </div>
          {position && <Counter position={position} />}
          {gone && <GoneNotice editing={editor.editing} />}
          {loadError && <p className="error-text">{loadError}</p>}
          {photo && photo.status === 'error' && <CaptionFailure photo={photo} onRetry={act.retry} />}
          {photo && photo.status !== 'error' && (
            <CaptionBox
              photo={photo}
              gone={gone}
              editor={editor}
              inputRef={inputRef}
              pausedFolders={pausedFolders}
              onClearUser={act.clearUser}
            />
          )}
          {photo && photo.status === 'captioned' && !gone && <Alternatives photo={photo} alts={alts} onPick={act.choose} />}
          {photo && photo.status !== 'error' && (
            <PhotoTags client={client} photo={photo} gone={gone} onChange={setPhoto} onError={onError} />
          )}
          {photo && photo.history.length > 0 && <CaptionHistory photo={photo} canRestore={!gone} onRestore={act.restore} />}
          {photo && <FileFacts client={client} photo={photo} refreshToken={refreshToken} />}
        </aside>
        {act.undoable && (
          <Toast message={act.undoable.message} action={{ label: 'Undo', run: act.undo }} onDismiss={act.dismissUndo} testId="undo-toast" />
        )}
      </div>
    </div>
  );
}
