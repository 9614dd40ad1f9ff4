/** Rescan and remove, from a folder's buttons in the sidebar. */
import type { ApiClient, Folder } from '../shared/api-contract.js';

export function useFolderActions(
  client: ApiClient,
  setFolders: (folders: Folder[]) => void,
  setFolderId: (id: number | null) => void,
  showError: (message: string) => void,
) {
  const onRescan = (id: number) => client.call('folders.rescan', { id }).catch((e: Error) => showError(e.message));
  const onRemove = (f: Folder) => {
    if (!window.confirm(`Remove ${f.path} from the library? The photos stay on disk; their captions are forgotten.`)) return;
    client
      .call('folders.remove', { id: f.id })
      .then(() => client.call('folders.list').then(setFolders))
      .then(() => setFolderId(null))
      .catch((e: Error) => showError(e.message));
  };
  return { onRescan, onRemove };
}
