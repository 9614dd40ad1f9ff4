/** Shown while the library is empty: what Lenscribe does and how to start. */
import type { ApiClient } from '../../shared/api-contract.js';
import { AddFolder } from './AddFolder.js';

export function FirstRun({ client, onAdd }: { client: ApiClient; onAdd(path: string): Promise<boolean> }) {
  return (
    <div className="first-run" data-testid="first-run">
      <h1>Caption your photos, then find them by what is in them</h1>
      <p>
        Add a folder and Lenscribe writes a short description of every photo in it — “a dog runs through the grass” — and keeps them up to
        date as the folder changes. Then search for <em>dog</em>, <em>beach</em> or <em>red car</em>.
      </p>
      <p className="muted">
        {client.transport === 'ipc'
          ? 'Drag a folder onto this window, or choose one:'
          : 'This library is on the computer running `lenscribe serve`. Type the path of a folder there:'}
      </p>
      <AddFolder client={client} onAdd={onAdd} large />
      <p className="small muted">
        Everything runs on this computer. No photo leaves it. You can correct any caption, and yours always win.
      </p>
    </div>
  );
}
