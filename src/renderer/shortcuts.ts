/**
 * Every keyboard shortcut of the app, in one table: the handlers find what a key does with
 * `shortcutFor`, and the "?" overlay (ShortcutsHelp.tsx) lists the same table, so the list
 * cannot drift from what the keys really do. Each handler's action map is typed by its group's
 * ids, so a shortcut listed here without a handler (or the reverse) fails to compile.
 */

export interface Shortcut {
  /** What the handler calls it. */
  readonly id: string;
  /** `KeyboardEvent.key` values; "Mod+" is Ctrl, or Cmd on macOS. */
  readonly keys: readonly string[];
  /** What it does, as the overlay says it. */
  readonly does: string;
}

export const SHORTCUTS = {
  anywhere: {
    title: 'Anywhere',
    shortcuts: [
      { id: 'search', keys: ['/', 'Mod+f'], does: 'Search' },
      { id: 'help', keys: ['?'], does: 'Show these shortcuts' },
    ],
  },
  search: {
    title: 'In the search box',
    shortcuts: [
      { id: 'clear', keys: ['Escape'], does: 'Clear the search' },
      { id: 'results', keys: ['ArrowDown', 'Enter'], does: 'Go to the photos found' },
    ],
  },
  grid: {
    title: 'In the photo grid',
    shortcuts: [
      { id: 'next', keys: ['ArrowRight'], does: 'Next photo' },
      { id: 'previous', keys: ['ArrowLeft'], does: 'Previous photo' },
      { id: 'down', keys: ['ArrowDown'], does: 'Photo below' },
      { id: 'up', keys: ['ArrowUp'], does: 'Photo above' },
      { id: 'pageDown', keys: ['PageDown'], does: 'A screen down' },
      { id: 'pageUp', keys: ['PageUp'], does: 'A screen up' },
      { id: 'first', keys: ['Home'], does: 'First photo' },
      { id: 'last', keys: ['End'], does: 'Last photo' },
      { id: 'open', keys: ['Enter', ' '], does: 'Open the photo' },
      { id: 'extendNext', keys: ['Shift+ArrowRight'], does: 'Select the next photo too' },
      { id: 'extendPrevious', keys: ['Shift+ArrowLeft'], does: 'Select the previous photo too' },
      { id: 'extendDown', keys: ['Shift+ArrowDown'], does: 'Select down to the photo below' },
      { id: 'extendUp', keys: ['Shift+ArrowUp'], does: 'Select up to the photo above' },
      { id: 'toggle', keys: ['Mod+ '], does: 'Select or unselect this photo' },
      { id: 'selectAll', keys: ['Mod+a'], does: 'Select every photo of the list' },
      { id: 'unselect', keys: ['Escape'], does: 'Unselect all' },
      { id: 'menu', keys: ['ContextMenu', 'Shift+F10'], does: 'Actions for the selected photos' },
    ],
  },
  photo: {
    title: 'In the photo view',
    shortcuts: [
      { id: 'previous', keys: ['ArrowLeft'], does: 'Previous photo' },
      { id: 'next', keys: ['ArrowRight'], does: 'Next photo' },
      { id: 'edit', keys: ['e', 'F2'], does: 'Edit the caption' },
      { id: 'zoomIn', keys: ['+', '='], does: 'Zoom in' },
      { id: 'zoomOut', keys: ['-'], does: 'Zoom out' },
      { id: 'fit', keys: ['0'], does: 'Fit the photo to the window' },
      { id: 'actualSize', keys: ['1'], does: 'Actual pixels (1:1)' },
      { id: 'close', keys: ['Escape'], does: 'Close the photo' },
    ],
  },
  caption: {
    title: 'Editing a caption',
    shortcuts: [
      { id: 'save', keys: ['Enter'], does: 'Save it as your caption' },
      { id: 'cancel', keys: ['Escape'], does: 'Cancel' },
    ],
  },
} as const satisfies Record<string, { title: string; shortcuts: readonly Shortcut[] }>;

export type ShortcutGroup = keyof typeof SHORTCUTS;
export type ShortcutId<G extends ShortcutGroup> = (typeof SHORTCUTS)[G]['shortcuts'][number]['id'];

/** The parts of a KeyboardEvent a shortcut depends on (React's and the DOM's events both have them). */
interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

function matches(binding: string, e: KeyPress): boolean {
  if (binding.startsWith('Mod+')) return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === binding.slice(4);
  if (binding.startsWith('Shift+')) return e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey && e.key === binding.slice(6);
  // Plain keys leave Ctrl/Cmd/Alt combinations to the browser (Alt+← is Back). A character's Shift is
  // part of the key ("?"); a named key with Shift is another shortcut (Shift+→ selects).
  return !e.ctrlKey && !e.metaKey && !e.altKey && (binding.length === 1 || !e.shiftKey) && e.key === binding;
}

/** Which of the group's shortcuts the key press is, or null. */
export function shortcutFor<G extends ShortcutGroup>(group: G, e: KeyPress): ShortcutId<G> | null {
  const list: readonly Shortcut[] = SHORTCUTS[group].shortcuts;
  return (list.find((s) => s.keys.some((k) => matches(k, e)))?.id as ShortcutId<G> | undefined) ?? null;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

const KEY_NAMES: Record<string, string> = {
  ArrowRight: '→',
  ArrowLeft: '←',
  ArrowDown: '↓',
  ArrowUp: '↑',
  PageDown: 'Page Down',
  PageUp: 'Page Up',
  Escape: 'Esc',
  ' ': 'Space',
  ContextMenu: 'Menu',
};

/** A binding as printed on the keyboard: "Ctrl+F" (or "⌘F"), "Esc", "→", "E". */
export function keyLabel(binding: string): string {
  if (binding.startsWith('Mod+')) return `${isMac ? '⌘' : 'Ctrl+'}${keyLabel(binding.slice(4))}`;
  if (binding.startsWith('Shift+')) return `${isMac ? '⇧' : 'Shift+'}${keyLabel(binding.slice(6))}`;
  return KEY_NAMES[binding] ?? (binding.length === 1 ? binding.toUpperCase() : binding);
}

/** A key's spoken name where its label is a symbol (screen readers may skip "→"). */
export function keyName(binding: string): string | undefined {
  for (const [prefix, said] of [
    ['Shift+', 'Shift '],
    ['Mod+', isMac ? 'Command ' : 'Control '],
  ] as const)
    if (binding.startsWith(prefix)) {
      const rest = keyName(binding.slice(prefix.length));
      return rest ? said + rest : undefined;
    }
  const spoken: Record<string, string> = {
    ArrowRight: 'Right arrow',
    ArrowLeft: 'Left arrow',
    ArrowDown: 'Down arrow',
    ArrowUp: 'Up arrow',
  };
  return spoken[binding];
}
