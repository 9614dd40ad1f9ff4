/**
 * The contract's `folders.*` calls over the library. Changes that reshape what the user sees —
 * adding a folder that contains library folders or lies inside one, removing a folder — first
 * answer what will happen (NeedsConfirmation), and go ahead only when called again with confirm.
 * Adding the user's whole home folder asks first too, with how many photo files it holds.
 * A folder already in the library is refused with that said.
 */
import { basename, relative, sep } from 'node:path';
import { ApiError, type Folder, type NeedsConfirmation } from '../../shared/api-contract.js';
import { describePlan, isHomeFolder, type FolderPlan } from '../library/folders.js';
import type { Library } from '../library/library.js';
import { countPhotoFiles } from '../library/scanner.js';
import type { Handlers } from './dispatch.js';

type FolderCalls = 'folders.list' | 'folders.add' | 'folders.remove' | 'folders.rescan' | 'folders.subfolders' | 'folders.resume';

export interface FolderHandlerContext {
  library: Library;
  /** Report a failure of work that outlived its call (a long scan). */
  notice(level: 'warning' | 'error', message: string): void;
}

/** How long folders.add / rescan wait for their scan before answering (the scan goes on). */
const SCAN_ANSWER_MS = 1500;

/** Wait for a long call up to `ms`; null on timeout (the work continues, failures go to onLateError). */
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

function confirmFirst(message: string): NeedsConfirmation {
  return { outcome: 'needs-confirmation', message };
}

/** The sentence for removing a folder: what goes, and that the user's own captions are kept. */
export function removalMessage(folder: Folder, userCaptions: number): string {
  const name = basename(folder.path) || folder.path;
  const head = `Remove ${name} from the library? Its photos and any metadata written beside them stay on disk.`;
  if (userCaptions === 0) return `${head} It holds none of your own captions.`;
  const captions =
    userCaptions === 1 ? '1 of your own captions; it is' : `${userCaptions.toLocaleString('en')} of your own captions; they are`;
  return `${head} ${name} holds ${captions} kept and come${userCaptions === 1 ? 's' : ''} back if you add the folder again.`;
}

/** How many of the home folder's photo files are counted before asking, at most, and for how long (ms). */
const HOME_COUNT_LIMIT = 10_000;
const HOME_COUNT_MS = 3000;

/** The question before adding the user's whole home: how many photo files it would bring in (or a bound). */
export async function homeQuestion(root: string): Promise<string> {
  const { count, complete } = await countPhotoFiles(root, HOME_COUNT_LIMIT, HOME_COUNT_MS);
  const files = `${complete ? '' : 'at least '}${count.toLocaleString('en')} photo file${count === 1 ? '' : 's'}`;
  return (
    `Add your whole home folder ${root}? It holds ${files}${complete ? '' : ' (counting stopped there)'}, downloads and app files included, ` +
    'and all of them are added and watched. A folder inside it, such as Pictures, may be what you want.'
  );
}

/** Where in its library folder an added path is shown ('/'-separated), for a path inside one. */
function subfolderOf(plan: FolderPlan): string | null {
  return plan.kind === 'inside' ? relative(plan.folder.path, plan.root).split(sep).join('/') : null;
}

async function addFolder(ctx: FolderHandlerContext, path: string, confirm: boolean) {
  const lib = ctx.library;
  const plan = lib.planFolder(path);
  if (plan.kind === 'same') throw new ApiError('conflict', `${plan.root} is already in the library.`);
  if (!confirm) {
    const home = plan.kind === 'new' && isHomeFolder(plan.root) ? await homeQuestion(plan.root) : null;
    const message = [home, describePlan(plan)].filter(Boolean).join(' ');
    if (message) return confirmFirst(message);
  }
  const work = lib.addFolder(plan.root);
  const done = await answerWithin(work, SCAN_ANSWER_MS, (err) => ctx.notice('error', `Adding ${path} failed: ${(err as Error).message}`));
  // Still scanning a big folder: answer with the folder as it stands; captioning follows.
  const folderId = plan.kind === 'new' ? null : plan.folder.id;
  const folder =
    done?.folder ?? lib.listFolders().find((f) => (folderId === null ? f.path === plan.root : f.id === folderId)) ?? (await work).folder;
  return { outcome: 'added' as const, folder, jobId: done?.jobId ?? null, subfolder: subfolderOf(plan) };
}

export function folderHandlers(ctx: FolderHandlerContext): Pick<Handlers, FolderCalls> {
  const lib = ctx.library;
  const mustExist = (id: number) => {
    if (!lib.folderRoot(id)) throw new ApiError('not_found', `No library folder with id ${id}.`);
  };
  return {
    'folders.list': () => lib.listFolders(),
    'folders.add': ({ path, confirm }) => addFolder(ctx, path, confirm === true),
    'folders.remove': ({ id, confirm }) => {
      mustExist(id);
      const { folder, userCaptions } = lib.folderRemoval(id);
      if (!confirm) return confirmFirst(removalMessage(folder, userCaptions));
      return { outcome: 'removed', removed: lib.removeFolder(id), keptCaptions: userCaptions };
    },
    'folders.rescan': async ({ id }) => {
      mustExist(id);
      const done = await answerWithin(lib.rescan(id), SCAN_ANSWER_MS, (err) =>
        ctx.notice('error', `Rescan failed: ${(err as Error).message}`),
      );
      return { jobId: done?.jobId ?? null };
    },
    'folders.subfolders': ({ id }) => {
      mustExist(id);
      return lib.subfolders(id);
    },
    'folders.resume': ({ id }) => {
      mustExist(id);
      if (!lib.activeModel()) throw new ApiError('unavailable', 'No caption model is installed, so there is nothing to resume with.');
      return { jobId: lib.resumeCaptioning(id) };
    },
  };
}
