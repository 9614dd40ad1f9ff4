/**
 * Changes to many photos at once (the grid's selection): a caption given to all of them, with its
 * undo, and a tag added or taken away. Each runs in one transaction, so a crash leaves all or none
 * of it, and reports what it did photo by photo counted: changed, already so, or gone.
 */
import type { BulkCaptionResult, BulkTagResult, BulkUndoResult } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import { cleanCaption } from './captions.js';
import type { DB } from './db.js';
import type { LibraryStores } from './stores.js';
import { cleanTag } from './tags.js';

export type CaptionMode = 'replace' | 'append';

/** The photos' ids in the library, in the order given, once each. */
function present(stores: LibraryStores, photoIds: readonly number[]): { rows: ReturnType<LibraryStores['photos']['rows']>; ids: number[] } {
  const ids = [...new Set(photoIds)];
  return { rows: stores.photos.rows(ids), ids };
}

/**
 * The user's caption for each photo: `text` itself, or appended to the caption it shows. A photo
 * whose newest caption of the user's already says it is left alone (no second history entry).
 */
export function setCaptions(
  db: DB,
  stores: LibraryStores,
  photoIds: readonly number[],
  text: string,
  mode: CaptionMode,
): BulkCaptionResult & { photoIds: number[] } {
  const clean = cleanCaption(text);
  if (!clean) throw new UserError('a caption cannot be empty');
  const { rows, ids } = present(stores, photoIds);
  const out = { unchanged: 0, notFound: 0, undo: [] as number[], photoIds: [] as number[] };
  db.transaction(() => {
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) {
        out.notFound++;
        continue;
      }
      const shown = row.caption ? cleanCaption(row.caption) : '';
      const next = mode === 'append' && shown ? `${shown} ${clean}` : clean;
      if (row.caption_source === 'user' && shown === next) {
        out.unchanged++;
        continue;
      }
      out.undo.push(stores.captions.addUser(id, next, 'user'));
      out.photoIds.push(id);
    }
  })();
  return { changed: out.photoIds.length, ...out };
}

/**
 * Take back setCaptions: each of its rows leaves the history while it is still its photo's newest
 * caption, so what the photo showed before shows again. A photo captioned again since keeps that.
 * Only the user's own captions are taken (an id of anything else is refused: this is no general delete).
 */
export function undoCaptions(db: DB, stores: LibraryStores, captionIds: readonly number[]): BulkUndoResult & { photoIds: number[] } {
  const out = { undone: 0, keptLater: 0, photoIds: [] as number[] };
  db.transaction(() => {
    for (const captionId of new Set(captionIds)) {
      const row = stores.captions.row(captionId);
      if (!row) continue; // its photo was removed since: nothing to take back
      if (row.kind !== 'user' || row.source !== 'user') throw new UserError(`caption ${captionId} is not one of the user's own`);
      if (stores.captions.newestId(row.photoId) !== captionId) {
        out.keptLater++;
        continue;
      }
      stores.captions.remove(captionId);
      out.photoIds.push(row.photoId);
      out.undone++;
    }
  })();
  return out;
}

/**
 * One tag changed on each photo where `change` says it should be (it does the change and answers
 * true, or answers false for a photo left as it was); ids no longer in the library are counted apart.
 */
function changeTags(
  db: DB,
  stores: LibraryStores,
  photoIds: readonly number[],
  change: (id: number) => boolean,
): BulkTagResult & { photoIds: number[] } {
  const { rows, ids } = present(stores, photoIds);
  const out = { unchanged: 0, notFound: 0, photoIds: [] as number[] };
  db.transaction(() => {
    for (const id of ids) {
      if (!rows.has(id)) out.notFound++;
      else if (change(id)) out.photoIds.push(id);
      else out.unchanged++;
    }
  })();
  return { changed: out.photoIds.length, ...out };
}

/** The user's tag on each photo (see TagStore.add); a photo that has it as the user's already is counted unchanged. */
export function addTags(db: DB, stores: LibraryStores, photoIds: readonly number[], tag: string): BulkTagResult & { photoIds: number[] } {
  const clean = cleanTag(tag);
  // One spelling for all (the photos that have the tag as the user's already are left alone).
  const spelled = stores.tags.spelling(clean);
  const now = Date.now();
  return changeTags(db, stores, photoIds, (id) => {
    if (stores.tags.kindOf(id, clean) === 'user') return false;
    stores.tags.add(id, clean, 'user', now, spelled);
    return true;
  });
}

/**
 * Take the tag away from each photo that has it (it stays away through re-derivations); the others
 * are counted unchanged and left as they were (no "removed" mark on a photo that never had it).
 */
export function removeTags(
  db: DB,
  stores: LibraryStores,
  photoIds: readonly number[],
  tag: string,
): BulkTagResult & { photoIds: number[] } {
  const clean = cleanTag(tag);
  return changeTags(db, stores, photoIds, (id) => {
    const kind = stores.tags.kindOf(id, clean);
    if (kind !== 'user' && kind !== 'model') return false;
    stores.tags.remove(id, clean);
    return true;
  });
}
