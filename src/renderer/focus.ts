/** Moving keyboard focus: to the photo grid, to the main content (the skip link), and round a modal dialog. */
import type { KeyboardEvent, RefObject } from 'react';

/** Moves keyboard focus to the photo grid inside `wrap` (after a search, a folder pick, a closed photo). */
export const focusGrid = (wrap: RefObject<HTMLDivElement | null>) => wrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();

/** The id of the shown view's <main> (one view is shown at a time). */
export const MAIN_ID = 'main';

/** The skip link's target: the photo grid when there is one, else the view's <main> itself. */
export function focusMain(): void {
  const main = document.getElementById(MAIN_ID);
  (main?.querySelector<HTMLElement>('[role=grid]') ?? main)?.focus();
}

/** Tab and Shift+Tab cycle through the dialog's enabled buttons and inputs (a modal keeps focus inside). */
export function trapTab(e: KeyboardEvent<HTMLElement>, dialog: HTMLElement | null): void {
  const focusable = [...(dialog?.querySelectorAll<HTMLElement>('button:not(:disabled), input:not(:disabled)') ?? [])];
  if (focusable.length === 0) return;
  const i = focusable.indexOf(document.activeElement as HTMLElement);
  const next = e.shiftKey ? (i <= 0 ? focusable.length - 1 : i - 1) : i === -1 || i === focusable.length - 1 ? 0 : i + 1;
  e.preventDefault();
  focusable[next].focus();
}
