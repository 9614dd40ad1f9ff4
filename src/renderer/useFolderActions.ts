/** Rescan, remove and resume captioning, from a folder's buttons in the sidebar. */
import type { ApiClient, Folder } from '../shared/api-contract.js';

export function useFolderActions(
  client: ApiClient,
  setFolders: (folders: Folder[]) => void,
  setFolderId: (id: number | null) => void,
  showError: (message: string) => void,
) {
  const onRescan = (id: number) => client.call('folders.rescan', { id }).catch((e: Error) => showError(e.message));
  /** The core says what removing takes away (how many of the user's own captions, and that they are kept); the user agrees first. */
  const onRemove = async (f: Folder) => {
    try {
      const ask = await client.call('folders.remove', { id: f.id });
      if (ask.outcome === 'needs-confirmation' && !window.confirm(ask.message)) return;
      await client.call('folders.remove', { id: f.id, confirm: true });
      setFolders(await client.call('folders.list'));
      setFolderId(null);
    } catch (e) {
      showError((e as Error).message);
    }
  };
  const onResume = (id: number) =>
    client
      .call('folders.resume', { id })
      .then(() => client.call('folders.list').then(setFolders))
      .catch((e: Error) => showError(e.message));
  return { onRescan, onRemove, onResume };
}
