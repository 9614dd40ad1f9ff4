/** Moves keyboard focus to the photo grid inside `wrap` (after a search, a folder pick, a closed photo). */
import type { RefObject } from 'react';

export const focusGrid = (wrap: RefObject<HTMLDivElement | null>) => wrap.current?.querySelector<HTMLElement>('[role=grid]')?.focus();
