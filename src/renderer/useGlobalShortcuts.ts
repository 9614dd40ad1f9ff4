/** The shortcuts that work anywhere (shortcuts.ts, group "anywhere"): "/" or Ctrl/Cmd+F focuses search, "?" shows the shortcuts. */
import { useEffect, type RefObject } from 'react';
import { shortcutFor, type ShortcutId } from './shortcuts.js';

export function useGlobalShortcuts(searchInput: RefObject<HTMLInputElement | null>, showHelp: () => void): void {
  useEffect(() => {
    const actions: Record<ShortcutId<'anywhere'>, () => void> = { search: () => searchInput.current?.focus(), help: showHelp };
    const onKey = (e: KeyboardEvent) => {
      const id = shortcutFor('anywhere', e);
      if (!id) return;
      // A plain key typed into a field is text ("/" in a caption); Ctrl/Cmd+F still searches.
      const typing = (e.target as HTMLElement)?.closest?.('input, textarea, select');
      if (typing && !e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      actions[id]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [searchInput, showHelp]);
}
