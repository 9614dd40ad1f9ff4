/**
 * Adding a folder: the system picker in the desktop app; in a browser (serve mode) the folder
 * lives on the server's disk, so its path is typed. The typed path stays when the add fails or
 * is declined, to be corrected rather than typed again.
 */
import { useState, type FormEvent } from 'react';
import type { ApiClient } from '../../shared/api-contract.js';

export function AddFolder({ client, onAdd, large }: { client: ApiClient; onAdd(path: string): Promise<boolean>; large?: boolean }) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  if (client.pickFolder) {
    return (
      <button
        className={large ? 'primary large' : 'primary'}
        onClick={async () => {
          const picked = await client.pickFolder!();
          if (picked) await onAdd(picked);
        }}
      >
        Add a folder…
      </button>
    );
  }
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) return;
    setBusy(true);
    try {
      if (await onAdd(path.trim())) setPath('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className={`add-folder${large ? ' large' : ''}`} onSubmit={submit}>
      <label htmlFor={large ? 'folder-path-large' : 'folder-path'} className="small muted">
        Folder on the server
      </label>
      <div className="add-row">
        <input
          id={large ? 'folder-path-large' : 'folder-path'}
          type="text"
          placeholder="/home/you/Pictures"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          spellCheck={false}
          autoComplete="off"
          data-testid="folder-path"
        />
        <button className="primary" type="submit" disabled={busy || !path.trim()} data-testid="add-folder">
          Add
        </button>
      </div>
    </form>
  );
}
