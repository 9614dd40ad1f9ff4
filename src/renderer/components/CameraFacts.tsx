/** The camera, lens, exposure and place a photo's file records (EXIF), read when the photo is shown; nothing when it records none. */
import { useEffect, useState } from 'react';
import type { ApiClient, CameraFacts as Facts } from '../../shared/api-contract.js';
import { formatExposure, formatPlace } from '../format.js';

export function CameraFacts({ client, photoId, refreshToken }: { client: ApiClient; photoId: number; refreshToken: number }) {
  const [facts, setFacts] = useState<{ id: number; facts: Facts } | null>(null);
  useEffect(() => {
    let live = true;
    client.call('photos.camera', { id: photoId }).then(
      (f) => live && setFacts({ id: photoId, facts: f }),
      () => live && setFacts(null), // a vanished file has no facts to show; the view says it is gone
    );
    return () => {
      live = false;
    };
  }, [client, photoId, refreshToken]);
  const f = facts?.id === photoId ? facts.facts : null;
  const exposure = f ? formatExposure(f) : null;
  if (!f || (!f.camera && !f.lens && !exposure && !f.gps)) return null;
  return (
    <dl className="facts" data-testid="camera-facts">
      {f.camera && (
        <>
          <dt>Camera</dt>
          <dd data-testid="camera">{f.camera}</dd>
        </>
      )}
      {f.lens && (
        <>
          <dt>Lens</dt>
          <dd data-testid="lens">{f.lens}</dd>
        </>
      )}
      {exposure && (
        <>
          <dt>Exposure</dt>
          <dd data-testid="exposure">{exposure}</dd>
        </>
      )}
      {f.gps && (
        <>
          <dt>Place</dt>
          <dd data-testid="gps">{formatPlace(f.gps)}</dd>
        </>
      )}
    </dl>
  );
}
