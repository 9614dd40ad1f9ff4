/** Above the grid of a folder (or the library): how its photos are ordered and which of them show. */
import type { PhotoListView } from '../usePhotoLists.js';

const SORTS = [
  { value: 'path', label: 'Folder order' },
  { value: 'name', label: 'File name' },
  { value: 'taken', label: 'Date taken, newest first' },
  { value: 'added', label: 'Date added, newest first' },
] as const;

/** The Show menu's choices, each a condition of photos.list. */
const SHOWS: ReadonlyArray<{ value: string; label: string; view: Omit<PhotoListView, 'sort'> }> = [
  { value: 'all', label: 'All photos', view: {} },
  { value: 'user', label: 'Captioned by you', view: { captionBy: 'user' } },
  { value: 'model', label: 'Captioned by the model', view: { captionBy: 'model' } },
  { value: 'pending', label: 'Waiting for a caption', view: { status: 'pending' } },
  { value: 'error', label: 'Failed', view: { status: 'error' } },
];

/** The view without the Show menu's conditions: its sort and dates. */
const keepOf = ({ sort, from, to }: PhotoListView): PhotoListView => ({ ...(sort ? { sort } : {}), ...(from ? { from, to } : {}) });

function showOf(view: PhotoListView): string {
  return SHOWS.find((s) => s.view.status === view.status && s.view.captionBy === view.captionBy)?.value ?? 'all';
}

export function ListControls({ view, onView, count }: { view: PhotoListView; onView(view: PhotoListView): void; count: number | null }) {
  const filtered = showOf(view) !== 'all';
  return (
    <div className="list-controls" data-testid="list-controls">
      <label>
        Sort{' '}
        <select
          value={view.sort ?? 'path'}
          onChange={(e) => onView({ ...view, sort: e.target.value as PhotoListView['sort'] })}
          data-testid="list-sort"
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Show{' '}
        <select
          value={showOf(view)}
          onChange={(e) => onView({ ...keepOf(view), ...SHOWS.find((s) => s.value === e.target.value)!.view })}
          data-testid="list-show"
        >
          {SHOWS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      {filtered && count !== null && (
        <span className="muted small" role="status" data-testid="list-filter-count">
          {count === 1 ? '1 photo' : `${count.toLocaleString()} photos`}{' '}
          <button type="button" className="link-like" onClick={() => onView(keepOf(view))} data-testid="list-show-all">
            show all
          </button>
        </span>
      )}
    </div>
  );
}
