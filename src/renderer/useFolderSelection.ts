/** Which folder the grid shows, and which of its subfolders (null: the whole folder; folder null: all photos). */
import { useCallback, useState } from 'react';

/** `setQuery`: the search, cleared when a folder is added (the new folder is what the user wants to see). */
export function useFolderSelection(setQuery: (query: string) => void) {
  const [folderId, setFolderId] = useState<number | null>(null);
  const [under, setUnder] = useState<string | null>(null);
  const selectFolder = useCallback((id: number | null, subfolder: string | null = null) => {
    setFolderId(id);
    setUnder(subfolder);
  }, []);
  /** An added folder is selected (the subfolder it is, when it lay inside a library folder), and the search cleared. */
  const onFolderAdded = useCallback(
    (id: number, subfolder: string | null) => {
      selectFolder(id, subfolder);
      setQuery('');
    },
    [selectFolder, setQuery],
  );
  return { folderId, under, selectFolder, onFolderAdded };
}
