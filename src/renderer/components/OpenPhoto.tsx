/** The photo view over everything: a photo opened by id (from the Teach view), or the one opened from the grid (followed by its id too). */
import type { ApiClient } from '../../shared/api-contract.js';
import type { PhotoBrowser } from '../usePhotoBrowser.js';
import { PhotoView } from './PhotoView.js';

export function OpenPhoto(props: {
  client: ApiClient;
  openById: number | null;
  onCloseById(): void;
  /** The grid's browser while the photos view is shown. */
  browser: PhotoBrowser | null;
  refresh: number;
  /** Folders whose captioning is paused or cancelled (their waiting photos say so). */
  pausedFolders: ReadonlySet<number>;
  onClosed(): void;
  showError(message: string): void;
}) {
  const { client, openById, browser: b, refresh, showError } = props;
  return (
    <>
      {openById !== null && (
        <PhotoView
          client={client}
          photoId={openById}
          refreshToken={refresh}
          pausedFolders={props.pausedFolders}
          onClose={props.onCloseById}
          position={null}
          onPrev={() => {}}
          onNext={() => {}}
          onError={showError}
        />
      )}
      {b && b.openId !== null && (
        <PhotoView
          client={client}
          photoId={b.openId}
          refreshToken={refresh}
          pausedFolders={props.pausedFolders}
          onClose={() => {
            b.close();
            props.onClosed();
          }}
          position={b.openIndex === null ? null : { index: b.openIndex, total: b.count }}
          onPrev={() => b.step(-1)}
          onNext={() => b.step(1)}
          onError={showError}
        />
      )}
    </>
  );
}
