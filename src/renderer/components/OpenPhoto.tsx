/** The photo view over everything: a photo opened by id (from the Teach view), or the one opened from the grid. */
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
          onClose={props.onCloseById}
          onPrev={() => {}}
          onNext={() => {}}
          onError={showError}
        />
      )}
      {b && b.openIndex !== null && b.openedPhoto && (
        <PhotoView
          client={client}
          photoId={b.openedPhoto.id}
          refreshToken={refresh}
          onClose={() => {
            b.setOpenIndex(null);
            b.setSelected(b.openIndex ?? 0);
            props.onClosed();
          }}
          onPrev={() => b.setOpenIndex((i) => (i === null ? i : Math.max(0, i - 1)))}
          onNext={() => b.setOpenIndex((i) => (i === null ? i : Math.min(b.count - 1, i + 1)))}
          onError={showError}
        />
      )}
    </>
  );
}
