/**
 * The note under a library folder that is rescanned every so often instead of watched (too big to
 * watch, or the system ran out of watches: WatchState `rescans`). Nothing for a watched folder, and
 * nothing when watching is off (`serve --no-watch`, or a failure the UI already reported).
 */
import type { WatchState } from '../../shared/api-contract.js';
import { rescanInterval } from '../../shared/api-values.js';

/** What the note says, or null when the folder needs none. */
export function watchNote(watch: WatchState | undefined): { short: string; why: string } | null {
  if (watch?.mode !== 'rescans') return null;
  const short = watch.rescanEveryMs ? `Rescanned every ${rescanInterval(watch.rescanEveryMs)}` : 'Rescanned from time to time';
  const why = `not watched for changes: ${watch.reason ?? 'it cannot be watched'}. Changes on disk show up at the next rescan.`;
  return { short, why };
}

/** `id` lets the folder's button point at the note (aria-describedby), so its reason is read with it. */
export function FolderWatchNote({ id, watch }: { id: string; watch: WatchState | undefined }) {
  const note = watchNote(watch);
  if (!note) return null;
  return (
    <p className="folder-watch small muted" id={id} title={`${note.short}, ${note.why}`} data-testid="folder-watch">
      {note.short}
      <span className="visually-hidden">, {note.why}</span>
    </p>
  );
}
