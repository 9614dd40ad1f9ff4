/** The first stop of Tab: a link, shown when focused, that skips the toolbar and the sidebar to the view's content. */
import { focusMain, MAIN_ID } from '../focus.js';

export function SkipLink() {
  return (
    <a
      className="skip-link"
      href={`#${MAIN_ID}`}
      // Focus moves by hand: the address's hash is left alone (and a grid gets the focus, not its <main>).
      onClick={(e) => {
        e.preventDefault();
        focusMain();
      }}
      data-testid="skip-link"
    >
      Skip to content
    </a>
  );
}
