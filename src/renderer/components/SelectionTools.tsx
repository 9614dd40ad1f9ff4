/**
 * The grid's selection put to work: the selection bar above the grid, the right-click menu, and
 * the props that let the grid change the selection and ask for the menu.
 */
import { useCallback, useState, type RefObject } from 'react';
import type { ApiClient } from '../../shared/api-contract.js';
import { focusGrid } from '../focus.js';
import { useBulkActions } from '../useBulkActions.js';
import type { PhotoBrowser } from '../usePhotoBrowser.js';
import { SelectionBar } from './SelectionBar.js';
import { SelectionMenu } from './SelectionMenu.js';

export function useSelectionTools(client: ApiClient, browser: PhotoBrowser, gridWrap: RefObject<HTMLDivElement | null>) {
  const { marks } = browser;
  const bulk = useBulkActions(client, marks.marked);
  const [menu, setMenu] = useState<{ x: number; y: number; index: number } | null>(null);
  const closeMenu = useCallback(() => {
    setMenu(null);
    focusGrid(gridWrap);
  }, [gridWrap]);
  const gridProps = {
    marked: marks.marked,
    onMark: marks.mark,
    onMenu: (index: number, at: { x: number; y: number }) => setMenu({ ...at, index }),
  };
  const bar = (
    <SelectionBar
      count={marks.marked.size}
      bulk={bulk}
      onSelectAll={() => marks.mark('all', browser.selected)}
      onClear={() => (marks.clear(), focusGrid(gridWrap))}
    />
  );
  const menuElement = menu && (
    <SelectionMenu
      at={menu}
      count={Math.max(1, marks.marked.size)}
      onOpen={() => browser.openAt(menu.index)}
      onChoose={(id) => {
        // The Menu key on a photo outside the selection acts on that photo, as a right-click does.
        if (marks.marked.size === 0) marks.mark('only', menu.index);
        bulk.start(id);
      }}
      onClose={closeMenu}
    />
  );
  return { gridProps, bar, menu: menuElement };
}
