/**
 * The photos selected for a bulk action (by id: a file arriving shifts indices, not the
 * selection), as file managers select: Ctrl/Cmd-click toggles one, Shift-click and Shift+arrows
 * select from the anchor (the last photo clicked or moved to) to here on top of what was selected
 * before, Ctrl+A takes the whole list (pages not loaded yet included), Esc or a plain click clears.
 * A new list (another folder, search or filter) starts with nothing selected.
 */
import { useRef, useState } from 'react';

/**
 * toggle: one photo in or out; range: from the anchor to here; all: the whole list; none: nothing
 * (the anchor here); only: this photo alone (a right-click outside the selection); anchor: the
 * anchor here, the selection kept (a plain arrow key).
 */
export type MarkHow = 'toggle' | 'range' | 'all' | 'none' | 'only' | 'anchor';

const NONE: ReadonlySet<number> = new Set();

export function useMultiSelect(
  listKey: string,
  count: number,
  idAt: (index: number) => number | undefined,
  /** The ids at indices start..end of the list (fetched where their pages are not in memory). */
  idsIn: (start: number, end: number) => Promise<number[]>,
  showError: (message: string) => void,
) {
  const [marked, setMarked] = useState<ReadonlySet<number>>(NONE);
  /** Where a range starts, and what was selected before it (a range replaces only its own part). */
  const [anchor, setAnchor] = useState<{ index: number; base: ReadonlySet<number> } | null>(null);
  const [markedIn, setMarkedIn] = useState(listKey);
  if (markedIn !== listKey) {
    setMarkedIn(listKey);
    setMarked(NONE);
    setAnchor(null);
  }
  /** Only the latest fetch of ids applies (Shift+→ held down asks many times). */
  const latest = useRef(0);
  const fetchThen = (start: number, end: number, apply: (ids: number[]) => void) => {
    const ticket = ++latest.current;
    idsIn(start, end).then(
      (ids) => ticket === latest.current && apply(ids),
      (err: Error) => showError(`Could not select those photos: ${err.message}`),
    );
  };

  const mark = (how: MarkHow, index: number) => {
    const id = idAt(index);
    if (how === 'none' || how === 'only') {
      latest.current++;
      const next = how === 'only' && id !== undefined ? new Set([id]) : NONE;
      setMarked(next);
      setAnchor({ index, base: NONE });
    } else if (how === 'anchor') setAnchor({ index, base: marked });
    else if (how === 'toggle') {
      if (id === undefined) return;
      const next = new Set(marked);
      if (!next.delete(id)) next.add(id);
      setMarked(next);
      setAnchor({ index, base: next });
    } else if (how === 'all') {
      if (count > 0) fetchThen(0, count - 1, (ids) => setMarked(new Set(ids)));
    } else {
      const from = anchor ?? { index, base: marked };
      if (!anchor) setAnchor(from);
      const [start, end] = from.index <= index ? [from.index, index] : [index, from.index];
      fetchThen(start, end, (ids) => setMarked(new Set([...from.base, ...ids])));
    }
  };
  return { marked, mark, clear: () => mark('none', anchor?.index ?? 0) };
}
