/** Which view shows (photos, Teach, Settings), and the sidebar's drawer on a narrow window, which closes whenever a view is chosen. */
import { useState } from 'react';
import type { Drawer } from './components/NarrowBar.js';
import type { View } from './components/Sidebar.js';

export function useViewMenu(): { view: View; setView(view: View): void; menu: Drawer } {
  const [view, setViewNow] = useState<View>('photos');
  const [menuOpen, setMenuOpen] = useState(false);
  const setView = (v: View) => {
    setViewNow(v);
    setMenuOpen(false);
  };
  return { view, setView, menu: { open: menuOpen, setOpen: setMenuOpen } };
}
