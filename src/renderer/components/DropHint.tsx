/** The overlay shown while folders are dragged over the window. */
export function DropHint() {
  return (
    <div className="drop-zone" aria-hidden="true">
      <div>Drop folders to add them to the library</div>
    </div>
  );
}
