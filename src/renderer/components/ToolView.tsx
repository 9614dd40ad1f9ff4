/** The Teach and Settings views (the photos view is PhotosPane). */
import type { ApiClient } from '../../shared/api-contract.js';
import { MAIN_ID } from '../focus.js';
import type { Library } from '../useLibrary.js';
import { SettingsView } from './SettingsView.js';
import { TeachView } from './TeachView.js';

export function ToolView(props: {
  view: 'teach' | 'settings';
  client: ApiClient;
  lib: Library;
  showError(message: string): void;
  onOpenPhoto(photoId: number): void;
}) {
  const { client, lib, showError } = props;
  return props.view === 'teach' ? (
    <main className="main main-scroll" id={MAIN_ID} tabIndex={-1} aria-label="Teach">
      <TeachView
        client={client}
        run={lib.teachRun}
        refreshToken={lib.refresh}
        theme={lib.settings.theme}
        onError={showError}
        onOpenPhoto={props.onOpenPhoto}
      />
    </main>
  ) : (
    <main className="main main-scroll" id={MAIN_ID} tabIndex={-1} aria-label="Settings">
      <SettingsView client={client} settings={lib.settings} onSettings={lib.updateSettings} onError={showError} />
    </main>
  );
}
