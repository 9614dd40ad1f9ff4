/**
 * The handler table: every call of the API contract implemented over the Library. Inputs arrive
 * here already validated (dispatch.ts); this file only maps contract calls to library methods
 * and library answers to contract shapes. Transport-independent: IPC and HTTP share it.
 */
import { ApiError, type Job, type LibraryInfo } from '../../shared/api-contract.js';
import type { JobInfo, Library } from '../library/library.js';
import { bulkHandlers } from './bulk.js';
import type { Handlers } from './dispatch.js';
import { folderHandlers } from './folders.js';
import { exportMetadata, importMetadata, type CaptionWriter } from './metadata.js';
import { tagHandlers } from './tags.js';
import type { TeachApi } from './teach.js';

export function toJob(j: JobInfo): Job {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    folderId: j.folderId,
    modelId: j.modelId,
    createdAt: j.createdAt,
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

function notFound(what: string): never {
  throw new ApiError('not_found', what);
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

    ...folderHandlers(ctx),

    'photos.list': (input) => lib.listPhotos(input),
    'photos.months': (input) => lib.photoMonths(input),
    'photos.get': ({ id }) => lib.getPhoto(id) ?? notFound(`No photo with id ${id}.`),
    'photos.camera': ({ id }) => lib.cameraFacts(id),
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
    'captions.choose': ({ photoId, text }) => {
      const photo = lib.chooseAlternative(photoId, text);
      ctx.captionWriter.modelCaptions([photo.path]); // the model's words: written where model captions are
      return photo;
    },
    'captions.undoChoice': ({ photoId, captionId }) => lib.undoChoice(photoId, captionId),
    'captions.restore': ({ photoId, captionId }) => {
      const photo = lib.restoreCaption(photoId, captionId);
      if (photo.captionKind === 'alternative') ctx.captionWriter.modelCaptions([photo.path]);
      else ctx.captionWriter.userCaption(photo.path);
      return photo;
    },

    search: (input) => lib.searchWhenReady(input.query, input),

    ...tagHandlers(ctx),
    ...bulkHandlers(ctx),

    'jobs.list': () => lib.listJobs().map(toJob),
    'jobs.pause': ({ id }) => toJob(lib.pauseJob(id)),
    'jobs.resume': ({ id }) => toJob(lib.resumeJob(id)),
    'jobs.cancel': ({ id }) => toJob(lib.cancelJob(id)),
    'jobs.captionFirst': ({ photoIds }) => ({ waiting: lib.captionFirst(photoIds) }),
    'jobs.clearFinished': () => (lib.clearFinishedJobs(), lib.listJobs().map(toJob)),

    'models.list': () => lib.listModels(),
    'models.activate': ({ id }) => (ctx.teach ? ctx.teach.activateModel(id) : lib.activateModel(id)),
    'models.rollback': () => teach().rollback(),

    'teach.status': ({ limit }) => teach().status(limit),
    'teach.start': ({ epochs }) => teach().start({ epochs }),
    'teach.cancel': () => teach().cancel(),
    'teach.resume': () => teach().resume(),
    'teach.discard': () => teach().discard(),
    'teach.activate': ({ confirmWorse }) => teach().activate({ confirmWorse: confirmWorse === true }),

    'metadata.import': () => importMetadata(lib),
    'metadata.export': ({ format, only, photoIds }) =>
      exportMetadata(lib, {
        format,
        only,
        ...(photoIds ? { paths: photoIds.map((id) => lib.photoPath(id)).filter((p): p is string => p !== null) } : {}),
      }),

    'settings.get': () => lib.getSettings(),
    'settings.set': (patch) => {
      const s = lib.setSettings(patch);
      ctx.settingsChanged();
      return s;
    },
  };
}
