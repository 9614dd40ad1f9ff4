/**
 * The contract's `tags.*` calls (issue 19) over the library: the library's tags, a photo's, and
 * the user adding or taking one away. With metadata write-back on, the photo's keywords follow.
 */
import { ApiError } from '../../shared/api-contract.js';
import type { Library } from '../library/library.js';
import type { Handlers } from './dispatch.js';
import type { CaptionWriter } from './metadata.js';

type TagCalls = 'tags.list' | 'tags.forPhoto' | 'tags.add' | 'tags.remove';

export function tagHandlers(ctx: { library: Library; captionWriter: CaptionWriter }): Pick<Handlers, TagCalls> {
  const lib = ctx.library;
  return {
    'tags.list': ({ limit }) => lib.listTags(limit),
    'tags.forPhoto': ({ photoId }) => {
      if (!lib.getPhoto(photoId)) throw new ApiError('not_found', `No photo with id ${photoId}.`);
      return lib.photoTags(photoId);
    },
    'tags.add': ({ photoId, tag }) => {
      const photo = lib.addTag(photoId, tag);
      ctx.captionWriter.tags(photo.path);
      return photo;
    },
    'tags.remove': ({ photoId, tag }) => {
      const photo = lib.removeTag(photoId, tag);
      ctx.captionWriter.tags(photo.path);
      return photo;
    },
  };
}
