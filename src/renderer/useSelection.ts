/**
 * The grid's selection: the photo chosen, followed by its id (a file arriving in the folder
 * shifts the indices, not the selection); back to the first photo whenever the list changes.
 */
import { useState } from 'react';

export interface Chosen {
  id: number | null;
  /** Where it was when chosen: the place to look first, and the selection while its page is not in memory. */
  index: number;
}

export function useSelection(
  listId: string,
  locate: (id: number, near: number) => number | null,
  idAt: (index: number) => number | undefined,
) {
  const [chosen, setChosen] = useState<Chosen>({ id: null, index: 0 });
  const [selectedIn, setSelectedIn] = useState(listId);
  if (selectedIn !== listId) {
    setSelectedIn(listId);
    setChosen({ id: null, index: 0 });
  }
  const selected = (chosen.id === null ? null : locate(chosen.id, chosen.index)) ?? chosen.index;
  const select = (index: number) => setChosen({ id: idAt(index) ?? null, index });
  return { selected, select, selectChosen: setChosen };
}
