/** The shortcut table's key matching: Shift is part of a character ("?") but makes a named key another shortcut (Shift+→ selects). */
import { describe, expect, it } from 'vitest';
import { keyLabel, shortcutFor } from '../../src/renderer/shortcuts.js';

const press = (key: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('shortcutFor', () => {
  it('tells a move from a selection, and leaves other combinations to the browser', () => {
    expect(shortcutFor('grid', press('ArrowRight'))).toBe('next');
    expect(shortcutFor('grid', press('ArrowRight', { shiftKey: true }))).toBe('extendNext');
    expect(shortcutFor('grid', press('ArrowUp', { shiftKey: true }))).toBe('extendUp');
    expect(shortcutFor('grid', press('a', { ctrlKey: true }))).toBe('selectAll');
    expect(shortcutFor('grid', press('A', { metaKey: true }))).toBe('selectAll');
    expect(shortcutFor('grid', press('a', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor('grid', press(' ', { ctrlKey: true }))).toBe('toggle');
    expect(shortcutFor('grid', press(' '))).toBe('open');
    expect(shortcutFor('grid', press('F10', { shiftKey: true }))).toBe('menu');
    expect(shortcutFor('grid', press('ArrowLeft', { altKey: true }))).toBeNull(); // Alt+← is Back
    expect(shortcutFor('anywhere', press('?', { shiftKey: true }))).toBe('help');
  });

  it('labels combinations as printed on the keyboard', () => {
    expect(keyLabel('Shift+ArrowRight')).toMatch(/^(Shift\+|⇧)→$/);
    expect(keyLabel('Mod+ ')).toMatch(/^(Ctrl\+|⌘)Space$/);
    expect(keyLabel('Mod+a')).toMatch(/^(Ctrl\+|⌘)A$/);
  });
});
