/**
 * The contract's calls over many photos at once (the grid's selection): a caption for all of them
 * and its undo, a tag added or taken away, failed files read again, captions written again. With
 * metadata write-back on, each changed photo's file follows, as after a change to one photo.
 */
import { MAX_SELECTION } from '../../shared/api-contract.js';
import type { Library } from '../library/library.js';
import type { Handlers } from './dispatch.js';
import type { CaptionWriter } from './metadata.js';

type BulkCalls =
  'photos.ids' | 'photos.retryMany' | 'photos.recaption' | 'captions.setMany' | 'captions.undoMany' | 'tags.addMany' | 'tags.removeMany';

export function bulkHandlers(ctx: { library: Library; captionWriter: CaptionWriter }): Pick<Handlers, BulkCalls> {
  const lib = ctx.library;
  const paths = (ids: readonly number[]) => ids.map((id) => lib.photoPath(id)).filter((p): p is string => p !== null);
  return {
    'photos.ids': (input) => lib.listPhotoIds(input, MAX_SELECTION),
    'photos.retryMany': ({ photoIds }) => lib.retryPhotos(photoIds),
    'photos.recaption': ({ photoIds }) => lib.recaptionPhotos(photoIds),
    'captions.setMany': ({ photoIds, text, mode }) => {
      const { photoIds: changed, ...out } = lib.setUserCaptions(photoIds, text, mode);
      for (const p of paths(changed)) ctx.captionWriter.userCaption(p);
      return out;
    },
    'captions.undoMany': ({ captionIds }) => {
      const { photoIds: changed, ...out } = lib.undoUserCaptions(captionIds);
      for (const p of paths(changed)) ctx.captionWriter.userCaption(p);
      return out;
    },
    'tags.addMany': ({ photoIds, tag }) => {
      const { photoIds: changed, ...out } = lib.addTagToPhotos(photoIds, tag);
      for (const p of paths(changed)) ctx.captionWriter.tags(p);
      return out;
    },
    'tags.removeMany': ({ photoIds, tag }) => {
      const { photoIds: changed, ...out } = lib.removeTagFromPhotos(photoIds, tag);
      for (const p of paths(changed)) ctx.captionWriter.tags(p);
      return out;
    },
  };
}
