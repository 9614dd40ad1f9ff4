/**
 * The right-click menu of the grid (also the Menu key and Shift+F10): the selection's actions at
 * the pointer, kept inside the window. Arrow keys move between items, Esc or a click elsewhere
 * closes it, and focus goes back to the grid.
 */
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { BULK_ACTIONS, type BulkActionId } from '../useBulkActions.js';

export function SelectionMenu(props: {
  at: { x: number; y: number };
  count: number;
  onOpen(): void;
  onChoose(id: BulkActionId): void;
  onClose(): void;
}) {
  const { at, count, onClose } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState(at);
  useLayoutEffect(() => {
    const box = ref.current?.getBoundingClientRect();
    if (box)
      setPos({
        x: Math.max(4, Math.min(at.x, window.innerWidth - box.width - 4)),
        y: Math.max(4, Math.min(at.y, window.innerHeight - box.height - 4)),
      });
    ref.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
  }, [at]);
  useEffect(() => {
    const away = (e: PointerEvent) => !ref.current?.contains(e.target as Node) && onClose();
    window.addEventListener('pointerdown', away, true);
    return () => window.removeEventListener('pointerdown', away, true);
  }, [onClose]);
  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      items[(to + items.length) % items.length]?.focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      onClose();
    }
  };
  const choose = (run: () => void) => () => {
    onClose();
    run();
  };
  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      aria-label={`Actions for ${count} selected photo${count === 1 ? '' : 's'}`}
      style={{ left: pos.x, top: pos.y }}
      onKeyDown={onKeyDown}
      data-testid="selection-menu"
    >
      {count === 1 && (
        <button role="menuitem" tabIndex={-1} onClick={choose(props.onOpen)} data-testid="menu-open">
          Open
        </button>
      )}
      {BULK_ACTIONS.map((a) => (
        <button key={a.id} role="menuitem" tabIndex={-1} onClick={choose(() => props.onChoose(a.id))} data-testid={`menu-${a.id}`}>
          {a.label}
        </button>
      ))}
    </div>
  );
}
