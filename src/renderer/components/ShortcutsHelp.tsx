/**
 * The "?" overlay: every keyboard shortcut, read from the one table the handlers use (shortcuts.ts).
 * A modal dialog: it takes focus, keeps Tab inside, closes on Esc, "?" or a click outside, and gives
 * focus back to where it was.
 */
import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from 'react';
import { trapTab } from '../focus.js';
import { keyLabel, keyName, SHORTCUTS, type Shortcut } from '../shortcuts.js';
import { useGlobalShortcuts } from '../useGlobalShortcuts.js';

function Keys({ keys }: { keys: readonly string[] }) {
  return (
    <>
      {keys.map((k, i) => (
        <span key={k}>
          {i > 0 && <span className="muted"> or </span>}
          <kbd>
            {keyName(k) ? (
              <>
                <span aria-hidden="true">{keyLabel(k)}</span>
                <span className="visually-hidden">{keyName(k)}</span>
              </>
            ) : (
              keyLabel(k)
            )}
          </kbd>
        </span>
      ))}
    </>
  );
}

export function ShortcutsHelp({ onClose }: { onClose(): void }) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    return () => before?.focus?.();
  }, []);
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Tab') return trapTab(e, dialog.current);
    // The keys of the views below (and the app's "/") wait until the overlay is closed.
    e.stopPropagation();
    if (e.key === 'Escape' || e.key === '?') {
      e.preventDefault();
      onClose();
    }
  };
  return (
    <div className="overlay shortcuts-overlay" role="presentation" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="shortcuts-help"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcuts-heading"
        tabIndex={-1}
        ref={dialog}
        onKeyDown={onKey}
        data-testid="shortcuts-help"
      >
        <div className="side-head">
          <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
          <button className="icon-button" onClick={onClose} aria-label="Close (Esc)">
            ✕
          </button>
        </div>
        <div className="shortcut-groups">
          {Object.values(SHORTCUTS).map((group) => (
            <section key={group.title} className="shortcut-group" data-testid="shortcut-group">
              <h3>{group.title}</h3>
              <dl>
                {(group.shortcuts as readonly Shortcut[]).map((s) => (
                  <div key={s.id} className="shortcut" data-testid="shortcut">
                    <dt>
                      <Keys keys={s.keys} />
                    </dt>
                    <dd>{s.does}</dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}

/** The app-wide shortcuts with the overlay they open: `show` for a button, `overlay` to render (null while closed). */
export function useShortcutsHelp(searchInput: RefObject<HTMLInputElement | null>): { show(): void; overlay: ReactNode } {
  const [shown, setShown] = useState(false);
  const show = useCallback(() => setShown(true), []);
  useGlobalShortcuts(searchInput, show);
  return { show, overlay: shown ? <ShortcutsHelp onClose={() => setShown(false)} /> : null };
}
