/** The grid's selection, back to the first photo whenever the list changes. */
import { useState } from 'react';

export function useSelection(listId: string) {
  const [selected, setSelected] = useState(0);
  const [selectedIn, setSelectedIn] = useState(listId);
  if (selectedIn !== listId) {
    setSelectedIn(listId);
    setSelected(0);
  }
  return [selected, setSelected] as const;
}
