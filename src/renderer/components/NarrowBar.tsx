/** On a narrow window only (styles.css): the menu button that opens the sidebar as a drawer, and the backdrop that closes it. */

/** The sidebar drawer's state, for the menu button and the sidebar. */
export interface Drawer {
  open: boolean;
  setOpen(open: boolean): void;
}

export function NarrowBar({ menu }: { menu: Drawer }) {
  const { open, setOpen } = menu;
  return (
    <>
      <div className="narrow-bar">
        <button
          type="button"
          className="menu-button"
          aria-controls="sidebar"
          aria-expanded={open}
          aria-label="Folders, views and tags"
          onClick={() => setOpen(!open)}
          data-testid="menu-button"
        >
          ☰
        </button>
        <span className="brand">Lenscribe</span>
      </div>
      {open && <div className="sidebar-backdrop" onClick={() => setOpen(false)} data-testid="sidebar-backdrop" />}
    </>
  );
}
