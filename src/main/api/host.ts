/**
 * Opens a library and puts the API in front of it: validated dispatch to the handler table,
 * library events translated into contract events (coalesced so a fast job does not flood the
 * UI), media roots for the file routes, folder watching and resumption of unfinished jobs.
 * Both transports (Electron IPC, `lenscribe serve`) start from openApiHost().
 */
import type { ApiEvent, LibraryInfo } from '../../shared/api-contract.js';
import { Emitter } from '../../shared/emitter.js';
import { Library, type LibraryOptions } from '../library/library.js';
import { endExiftool } from '../metadata/index.js';
import { dispatch, type ApiHost } from './dispatch.js';
import { resolveMedia } from './media.js';
import { createCaptionWriter } from './metadata.js';
import { createTeachApi } from './teach.js';
import { Teacher as TeachJob } from '../teach/teach-job.js';
import { createHandlers, toJob } from './handlers.js';

export interface ApiHostOptions {
  libraryDir: string;
  capabilities: LibraryInfo['capabilities'];
  /** Watch the library's folders for changes (default true). */
  watch?: boolean;
  /** Passed through to Library.open. */
  libraryOptions?: LibraryOptions;
}

/** Minimum time between two folder-list events (their counts are aggregate queries). */
const FOLDERS_EVENT_MS = 300;

export async function openApiHost(options: ApiHostOptions): Promise<ApiHost & { library: Library }> {
  const library = Library.open(options.libraryDir, options.libraryOptions);
  const events = new Emitter<{ event: ApiEvent }>();
  let foldersTimer: NodeJS.Timeout | null = null;
  let closed = false;
  // Nothing reaches the UIs once the host is closing.
  const emit = (event: ApiEvent) => {
    if (!closed) events.emit('event', event);
  };

  const foldersChanged = () => {
    if (foldersTimer || closed) return;
    foldersTimer = setTimeout(() => {
      foldersTimer = null;
      if (!closed) emit({ kind: 'folders', folders: library.listFolders() });
    }, FOLDERS_EVENT_MS);
  };

  const notice = (level: 'warning' | 'error', message: string) => emit({ kind: 'notice', level, message });
  const captionWriter = createCaptionWriter(library, notice);
  const teachJob = new TeachJob(library);
  const teach = createTeachApi(library, teachJob, (run) => emit({ kind: 'teach', run }));

  const offs = [
    library.on('captioned', (items) => captionWriter.modelCaptions(items.filter((i) => i.status === 'captioned').map((i) => i.path))),
    library.on('job', (job) => {
      emit({ kind: 'job', job: toJob(job) });
      foldersChanged();
    }),
    library.on('photos', (ids) => emit({ kind: 'photos', ids })),
    library.on('folders', foldersChanged),
    library.on('scan', foldersChanged),
    library.on('warning', (message) => {
      // The missing-model case has its own banner in the UI.
      if (!/no caption model is installed/.test(message)) emit({ kind: 'notice', level: 'warning', message });
    }),
  ];

  const handlers = createHandlers({
    library,
    capabilities: options.capabilities,
    notice,
    settingsChanged: () => emit({ kind: 'settings', settings: library.getSettings() }),
    teach,
    captionWriter,
  });

  if (options.watch !== false) {
    // Not awaited: setting up the watches walks every folder's directories, long for big trees;
    // changes seen before then are still queued.
    void library
      .watch()
      .catch((err: Error) => emit({ kind: 'notice', level: 'warning', message: `Folder watching is off: ${err.message}` }));
  }
  // Jobs a previous run left unfinished continue now.
  void library.runJobs().catch((err: Error) => emit({ kind: 'notice', level: 'error', message: `Captioning stopped: ${err.message}` }));

  return {
    library,
    dispatch: (method, input) => dispatch(handlers, method, input),
    onEvent: (listener) => events.on('event', listener),
    media: (tail) => resolveMedia(library, tail),
    async close() {
      closed = true;
      if (foldersTimer) clearTimeout(foldersTimer);
      for (const off of offs) off();
      teach.close();
      // A run in progress stops here and stays resumable (the next start offers it).
      await teachJob.close();
      await captionWriter.drain();
      await library.close();
      // ExifTool's perl processes (metadata import/export) must not outlive the host.
      await endExiftool();
    },
  };
}
