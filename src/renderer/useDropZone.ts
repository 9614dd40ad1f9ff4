/** Drop zone: folders dropped on the window are added (desktop app; a browser cannot see paths). */
import { useState, type DragEvent } from 'react';
import type { ApiClient } from '../shared/api-contract.js';

export function useDropZone(client: ApiClient, addFolder: (path: string) => Promise<boolean>, showError: (message: string) => void) {
  const [dragging, setDragging] = useState(false);
  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    setDragging(true);
  };
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (!client.pathForFile) {
      showError('A browser cannot tell Lenscribe where a dropped folder is. Type its path on the server instead.');
      return;
    }
    for (const f of files) {
      const p = client.pathForFile(f);
      if (p) await addFolder(p);
    }
  };
  const onDragLeave = (e: DragEvent) => e.currentTarget === e.target && setDragging(false);
  /** `handlers` go on the window's root element. */
  return { dragging, handlers: { onDragOver, onDrop, onDragLeave } };
}
