/**
 * The handler table: every call of the API contract implemented over the Library. Inputs arrive
 * here already validated (dispatch.ts); this file only maps contract calls to library methods
 * and library answers to contract shapes. Transport-independent: IPC and HTTP share it.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiError, type Folder, type Job, type LibraryInfo } from '../../shared/api-contract.js';
import type { JobInfo, Library } from '../library/library.js';
import type { Handlers } from './dispatch.js';
import { exportMetadata, importMetadata, type CaptionWriter } from './metadata.js';
import type { TeachApi } from './teach.js';

export function toJob(j: JobInfo): Job {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    folderId: j.folderId,
    done: j.done,
    failed: j.failed,
    total: j.total,
    rate: j.rate,
    etaSeconds: j.etaSeconds,
    message: j.message,
  };
}

export interface HandlerContext {
  library: Library;
  capabilities: LibraryInfo['capabilities'];
  /** Report a failure of work that outlived its call (a long scan). */
  notice(level: 'warning' | 'error', message: string): void;
  /** Settings changed: tell every UI. */
  settingsChanged(): void;
  /** Writes saved captions next to the photos when the settings say so. */
  captionWriter: CaptionWriter;
  /** Teaching the model the user's captions (issue 7); null where the library offers none. */
  teach: TeachApi | null;
}

/** How long folders.add / rescan wait for their scan before answering (the scan goes on). */
const SCAN_ANSWER_MS = 1500;

function notFound(what: string): never {
  throw new ApiError('not_found', what);
}

function findFolderByPath(library: Library, path: string): Folder | null {
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    return null;
  }
  const folders = library.listFolders();
  return (
    folders.find((f) => f.path === real) ??
    folders.find((f) => real.startsWith(f.path.endsWith('/') || f.path.endsWith('\\') ? f.path : `${f.path}/`)) ??
    null
  );
}

/** Wait for a long call up to `ms`; null on timeout (the work continues, failures go to notice). */
async function answerWithin<T>(work: Promise<T>, ms: number, onLateError: (err: unknown) => void): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<null>((r) => {
    timer = setTimeout(() => {
      timedOut = true;
      r(null);
    }, ms);
  });
  work.catch((err) => {
    if (timedOut) onLateError(err);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createHandlers(ctx: HandlerContext): Handlers {
  const lib = ctx.library;
  const teach = (): TeachApi =>
    ctx.teach ??
    (() => {
      throw new ApiError('unavailable', 'Teaching is not available in this library.');
    })();
  return {
    'library.info': () => ({ ...lib.info(), capabilities: ctx.capabilities }),

    'folders.list': () => lib.listFolders(),
    'folders.add': async ({ path }) => {
      const work = lib.addFolder(path);
      const done = await answerWithin(work, SCAN_ANSWER_MS, (err) =>
        ctx.notice('error', `Adding ${path} failed: ${(err as Error).message}`),
      );
      if (done) return { folder: done.folder, jobId: done.jobId };
      // Still scanning a big folder: answer with the folder as it stands; captioning follows.
      const folder = findFolderByPath(lib, path);
      if (!folder) return { folder: (await work).folder, jobId: null };
      return { folder, jobId: null };
    },
    'folders.remove': ({ id }) => ({ removed: lib.removeFolder(id) }),
    'folders.rescan': async ({ id }) => {
      if (!lib.folderRoot(id)) notFound(`No library folder with id ${id}.`);
      const done = await answerWithin(lib.rescan(id), SCAN_ANSWER_MS, (err) =>
        ctx.notice('error', `Rescan failed: ${(err as Error).message}`),
      );
      return { jobId: done?.jobId ?? null };
    },

    'photos.list': (input) => lib.listPhotos(input),
    'photos.get': ({ id }) => lib.getPhoto(id) ?? notFound(`No photo with id ${id}.`),
    'photos.retry': ({ id }) => lib.retryPhoto(id),

    'captions.set': ({ photoId, text }) => {
      const photo = lib.setUserCaption(photoId, text);
      ctx.captionWriter.userCaption(photo.path);
      return photo;
    },
    'captions.clearUser': ({ photoId }) => lib.clearUserCaption(photoId),
    'captions.history': ({ photoId }) => {
      if (!lib.getPhoto(photoId)) notFound(`No photo with id ${photoId}.`);
      return lib.captionHistory(photoId);
    },
    'captions.alternatives': ({ photoId, beam }) => lib.alternatives(photoId, beam),

    search: (input) => lib.search(input.query, input),

    'jobs.list': () => lib.listJobs().map(toJob),
    'jobs.pause': ({ id }) => toJob(lib.pauseJob(id)),
    'jobs.resume': ({ id }) => toJob(lib.resumeJob(id)),
    'jobs.cancel': ({ id }) => toJob(lib.cancelJob(id)),

    'models.list': () => lib.listModels(),
    'models.activate': ({ id }) => (ctx.teach ? ctx.teach.activateModel(id) : lib.activateModel(id)),
    'models.rollback': () => teach().rollback(),

    'teach.status': ({ limit }) => teach().status(limit),
    'teach.start': ({ epochs }) => teach().start({ epochs }),
    'teach.cancel': () => teach().cancel(),
    'teach.resume': () => teach().resume(),
    'teach.discard': () => teach().discard(),
    'teach.activate': () => teach().activate(),

    'metadata.import': () => importMetadata(lib),
    'metadata.export': ({ format, only }) => exportMetadata(lib, { format, only }),

    'settings.get': () => lib.getSettings(),
    'settings.set': (patch) => {
      const s = lib.setSettings(patch);
      ctx.settingsChanged();
      return s;
    },
  };
}
