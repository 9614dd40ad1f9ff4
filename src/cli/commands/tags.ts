/** `lenscribe tags <photo|folder>`: what is in the photos, as tags (the model's with their score, yours marked). */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PhotoTag } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import { addLibraryOption, jsonLine, openExistingLibraryFromCli, printable, withExample } from '../ui.js';

/** "dog ×2 0.74", "Rexo (yours)". */
function plainTag(t: PhotoTag): string {
  if (t.kind === 'user') return `${t.tag} (${t.source === 'user' ? 'yours' : `from ${t.source.replace(/^import:/, '')}`})`;
  return `${t.tag}${t.count && t.count > 1 ? ` ×${t.count}` : ''} ${(t.score ?? 0).toFixed(2)}`;
}

export function registerTags(program: Command): void {
  const tags = program
    .command('tags')
    .description("List a photo's tags, or those of every photo in a folder")
    .argument('<path>', 'A photo or a folder in the library')
    .option('--json', 'One JSON line per photo: {"path","tags":[{"tag","kind","source","score","count"}]}');
  withExample(addLibraryOption(tags), 'lenscribe tags ~/Pictures/2024 --json').action(
    async (path: string, opts: { library?: string; json?: boolean }) => {
      const target = resolve(path);
      let isDir: boolean;
      try {
        isDir = statSync(target).isDirectory();
      } catch {
        throw new UserError(`${target}: no such file or folder`);
      }
      const lib = openExistingLibraryFromCli(opts, { autoCaption: false, registerDefaultModel: false });
      try {
        const ids = isDir ? lib.photoIdsUnder(target) : [lib.photoIdByPath(target)].filter((id): id is number => id !== null);
        if (!ids.length) throw new UserError(isDir ? `no photos of the library are in ${target}` : `${target} is not in the library`);
        const byId = lib.tagsOfPhotos(ids);
        for (const id of ids) {
          const photoPath = lib.photoPath(id)!;
          const list = byId.get(id) ?? [];
          if (opts.json) process.stdout.write(jsonLine({ path: photoPath, tags: list }));
          else process.stdout.write(`${printable(photoPath)}\t${printable(list.map(plainTag).join(', ')) || '(no tags)'}\n`);
        }
      } finally {
        await lib.close();
      }
    },
  );
}
