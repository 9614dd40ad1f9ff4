/**
 * The virtualized thumbnail grid: only visible rows exist in the DOM (smooth at 100k photos),
 * columns follow the window width, captions under thumbnails can be toggled, and the keyboard
 * moves the selection (arrows, Page Up/Down, Home/End; Enter opens). Many photos are selected for
 * a bulk action with Ctrl/Cmd-click, Shift-click, Shift+arrows and Ctrl+A (useMultiSelect.ts);
 * a right-click or the Menu key asks for the selection's actions.
 */
import { useVirtualizer, type VirtualItem } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import type { PhotoSummary } from '../../shared/api-contract.js';
import type { ThumbnailSize } from '../../shared/api-values.js';
import { shortcutFor, type ShortcutId } from '../shortcuts.js';
import type { MarkHow } from '../useMultiSelect.js';

/** The smallest width of a cell, by the thumbnail size setting. */
const MIN_CELL: Record<ThumbnailSize, number> = { small: 140, medium: 190, large: 280 };
/** On a phone-sized window: two columns rather than one. */
const MIN_CELL_NARROW = 150;
const NARROW = 600;
const CAPTION_HEIGHT = 58;

export interface GridProps {
  count: number;
  get(index: number): PhotoSummary | undefined;
  ensure(start: number, end: number): void;
  thumbUrl(thumb: string): string;
  /** The original file, shown (scaled) while a photo has no thumbnail yet. */
  photoUrl(photo: PhotoSummary): string;
  showCaptions: boolean;
  /** The thumbnail size setting. */
  size?: ThumbnailSize;
  selected: number;
  onSelect(index: number): void;
  onOpen(index: number): void;
  /** The photos selected for a bulk action, by id. */
  marked: ReadonlySet<number>;
  /** Change that selection: `index` is the photo clicked or moved to. */
  onMark(how: MarkHow, index: number): void;
  /** Show the selection's actions at this point of the window (right-click, the Menu key). */
  onMenu(index: number, at: { x: number; y: number }): void;
  /** Caption content for a cell (search results pass highlighted snippets). */
  renderCaption?(index: number, photo: PhotoSummary): ReactNode;
  /** Folders whose captioning is paused or cancelled: their waiting photos say so instead of "Waiting for a caption…". */
  pausedFolders?: ReadonlySet<number>;
  label: string;
}

/** The photo shows the user's own words: typed, or imported from its metadata. */
const isUsers = (p: PhotoSummary) => p.captionSource === 'user' || !!p.captionSource?.startsWith('import:');

/** A waiting photo of a paused folder says it is paused (its caption is not on its way). */
function pausedCaption(photo: PhotoSummary, paused: ReadonlySet<number> | undefined): ReactNode | undefined {
  return photo.status === 'pending' && !photo.caption && paused?.has(photo.folderId) ? (
    <span className="muted">Caption paused</span>
  ) : undefined;
}

export function Grid(props: GridProps) {
  const { count, ensure, showCaptions, selected, onSelect, onOpen } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The scroller's padding (8 px each side) is not room for cells.
  const minCell = width < NARROW ? Math.min(MIN_CELL_NARROW, MIN_CELL[props.size ?? 'medium']) : MIN_CELL[props.size ?? 'medium'];
  const inner = Math.max(minCell, width - 16);
  const columns = Math.max(1, Math.floor(inner / minCell));
  const cellWidth = Math.floor(inner / columns);
  const rowHeight = Math.round(cellWidth * 0.75) + (showCaptions ? CAPTION_HEIGHT : 0) + 8;
  const rows = Math.ceil(count / columns);

  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 3,
  });
  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const firstRow = items[0]?.index ?? 0;
  const lastRow = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (count > 0) ensure(firstRow * columns, Math.min(count - 1, (lastRow + 1) * columns));
  }, [firstRow, lastRow, columns, count, ensure]);

  const move = (to: number) => {
    if (count === 0) return;
    const next = Math.max(0, Math.min(count - 1, to));
    onSelect(next);
    virtualizer.scrollToIndex(Math.floor(next / columns), { align: 'auto' });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? rowHeight) / rowHeight));
    const id = shortcutFor('grid', e);
    if (id) {
      e.preventDefault();
      const menuAt = () => {
        const cell = scrollRef.current?.querySelector(`#cell-${selected}`)?.getBoundingClientRect();
        props.onMenu(selected, cell ? { x: cell.left + cell.width / 2, y: cell.top + cell.height / 2 } : { x: 0, y: 0 });
      };
      keyActions({ count, selected, columns, pageRows, move, open: onOpen, mark: props.onMark, menu: menuAt })[id]();
    }
  };

  return (
    <div
      ref={scrollRef}
      className="grid-scroll"
      role="grid"
      aria-label={props.label}
      aria-multiselectable="true"
      aria-rowcount={rows}
      aria-activedescendant={count > 0 && selected >= 0 ? `cell-${selected}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      data-testid="grid"
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {items.map((row) => (
          <GridRow key={row.key} row={row} columns={columns} rowHeight={rowHeight} cellWidth={cellWidth} grid={props} />
        ))}
      </div>
    </div>
  );
}

/** What each of the grid's shortcuts (shortcuts.ts) does: move the selection, or open the selected photo. */
function keyActions(g: {
  count: number;
  selected: number;
  columns: number;
  pageRows: number;
  move(to: number): void;
  open(index: number): void;
  mark(how: MarkHow, index: number): void;
  menu(): void;
}): Record<ShortcutId<'grid'>, () => void> {
  const { count, selected, columns, pageRows } = g;
  const open = () => {
    if (count > 0) g.open(Math.max(0, selected));
  };
  /** A plain move: a later Shift+arrow selects from here. */
  const move = (to: number) => {
    if (count === 0) return;
    g.mark('anchor', Math.max(0, Math.min(count - 1, to)));
    g.move(to);
  };
  /** Move, and select from where the Shift sequence began to where the move ends. */
  const extend = (to: number) => {
    if (count === 0) return;
    const next = Math.max(0, Math.min(count - 1, to));
    g.mark('range', next);
    g.move(next);
  };
  return {
    next: () => move(selected + 1),
    previous: () => move(selected - 1),
    down: () => move(selected + columns),
    up: () => move(selected - columns),
    pageDown: () => move(selected + columns * pageRows),
    pageUp: () => move(selected - columns * pageRows),
    first: () => move(0),
    last: () => move(count - 1),
    open,
    extendNext: () => extend(selected + 1),
    extendPrevious: () => extend(selected - 1),
    extendDown: () => extend(selected + columns),
    extendUp: () => extend(selected - columns),
    toggle: () => count > 0 && g.mark('toggle', Math.max(0, selected)),
    selectAll: () => g.mark('all', selected),
    unselect: () => g.mark('none', selected),
    menu: () => count > 0 && g.menu(),
  };
}

interface GridRowProps {
  row: VirtualItem;
  columns: number;
  rowHeight: number;
  cellWidth: number;
  grid: GridProps;
}

/**
 * A row renders again only when it moves or the grid's props change: while the user scrolls, the
 * grid re-renders every frame, and re-rendering every visible cell each time cost the frames'
 * budget. Any change from the parent (data arrived, the selection moved) is a new `grid` object.
 */
const sameRow = (a: GridRowProps, b: GridRowProps) =>
  a.grid === b.grid &&
  a.columns === b.columns &&
  a.rowHeight === b.rowHeight &&
  a.cellWidth === b.cellWidth &&
  a.row.index === b.row.index &&
  a.row.start === b.row.start;

/** One virtual row of cells. */
const GridRow = memo(function GridRow(props: GridRowProps) {
  const { row, columns, rowHeight, cellWidth, grid } = props;
  const { count, get, showCaptions, selected, onSelect, onOpen } = grid;
  const cells: ReactNode[] = [];
  for (let c = 0; c < columns; c++) {
    const index = row.index * columns + c;
    if (index >= count) break;
    const photo = get(index);
    cells.push(
      <Cell
        key={photo ? `p${photo.id}` : `i${index}`}
        index={index}
        photo={photo}
        width={cellWidth}
        showCaption={showCaptions}
        selected={index === selected}
        marked={photo !== undefined && grid.marked.has(photo.id)}
        thumbUrl={grid.thumbUrl}
        photoUrl={grid.photoUrl}
        caption={photo && grid.renderCaption ? grid.renderCaption(index, photo) : photo && pausedCaption(photo, grid.pausedFolders)}
        onClick={(e) => {
          if (e.shiftKey) grid.onMark('range', index);
          else if (e.ctrlKey || e.metaKey) grid.onMark('toggle', index);
          else grid.onMark('none', index);
          onSelect(index);
        }}
        onDoubleClick={() => onOpen(index)}
        onContextMenu={(e) => {
          e.preventDefault();
          // Right-clicking outside the selection makes that photo the selection, as file managers do.
          if (photo && !grid.marked.has(photo.id)) grid.onMark('only', index);
          onSelect(index);
          grid.onMenu(index, { x: e.clientX, y: e.clientY });
        }}
      />,
    );
  }
  return (
    <div
      role="row"
      aria-rowindex={row.index + 1}
      className="grid-row"
      style={{ transform: `translateY(${row.start}px)`, height: rowHeight }}
    >
      {cells}
    </div>
  );
}, sameRow);

interface CellProps {
  index: number;
  photo: PhotoSummary | undefined;
  width: number;
  showCaption: boolean;
  selected: boolean;
  /** In the selection for a bulk action. */
  marked: boolean;
  thumbUrl(thumb: string): string;
  photoUrl(photo: PhotoSummary): string;
  caption: ReactNode | undefined;
  onClick(e: MouseEvent): void;
  onDoubleClick(): void;
  onContextMenu(e: MouseEvent): void;
}

function Cell(props: CellProps) {
  const { index, photo, width, showCaption, selected, marked, thumbUrl, photoUrl, caption } = props;
  const status = photo?.status ?? 'loading';
  const [broken, setBroken] = useState(false);
  const src = photo?.thumb
    ? thumbUrl(photo.thumb)
    : photo && (status === 'pending' || status === 'captioned') && !broken
      ? photoUrl(photo)
      : null;
  return (
    <div
      id={`cell-${index}`}
      role="gridcell"
      aria-selected={selected || marked}
      className={`cell${selected ? ' selected' : ''}${marked ? ' marked' : ''} status-${status}`}
      style={{ width }}
      onClick={props.onClick}
      onDoubleClick={props.onDoubleClick}
      onContextMenu={props.onContextMenu}
      data-photo-id={photo?.id}
      title={photo?.name}
    >
      <div className="thumb">
        {photo && src ? (
          <img
            src={src}
            alt={photo.caption ?? photo.name}
            loading="lazy"
            decoding="async"
            draggable={false}
            onError={() => setBroken(true)}
          />
        ) : (
          <span className="thumb-placeholder" aria-hidden="true">
            {status === 'error' ? '⚠' : status === 'missing' ? '∅' : '…'}
          </span>
        )}
        {status === 'error' && <span className="badge badge-error">Error</span>}
        {photo && isUsers(photo) && (
          <span className="badge badge-yours" title="Your caption (the model's is kept in its history)" data-testid="badge-yours">
            {photo.captionSource === 'user' ? 'Yours' : 'Imported'}
          </span>
        )}
        {marked && (
          <span className="badge badge-marked" aria-hidden="true">
            ✓
          </span>
        )}
      </div>
      {showCaption && (
        <div className="cell-caption" data-testid="cell-caption">
          {!photo ? (
            <span className="muted">Loading…</span>
          ) : caption !== undefined ? (
            caption
          ) : photo.status === 'error' ? (
            <span className="error-text">Could not read this file</span>
          ) : photo.status === 'missing' ? (
            <span className="muted">File is missing</span>
          ) : photo.caption ? (
            photo.caption
          ) : (
            <span className="muted">Waiting for a caption…</span>
          )}
        </div>
      )}
    </div>
  );
}
