/** `lenscribe search "<query>"`: full-text search over the library's captions and file names. */
import type { Command } from 'commander';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/api-contract.js';
import { addLibraryOption, jsonLine, openExistingLibraryFromCli, parseNumber, printable, withExample } from '../ui.js';

/** A tag a hit matched by, as the grid says it: "tag: giraffe 0.93" (the user's own tag has no score). */
const tagReason = (t: { tag: string; score: number | null }) => `tag: ${t.tag}${t.score === null ? '' : ` ${t.score.toFixed(2)}`}`;

export function registerSearch(program: Command): void {
  const search = program
    .command('search')
    .description('Search photos by caption and tag (prefix on the last word, "quoted phrases", -word, OR, tag:name)')
    .argument('<query>', 'Words to look for')
    .option('--json', 'One JSON line per hit: {"path","caption","score","snippet","tags","matched"}')
    .option('--limit <n>', 'Most hits to print', '20')
    .option('--offset <n>', 'Hits to skip', '0')
    .option('--no-similar', 'Do not also match similar words (query expansion)');
  withExample(addLibraryOption(search), "lenscribe search 'dog on the beach' --limit 5").action(
    async (query: string, opts: { library?: string; json?: boolean; limit: string; offset: string; similar?: boolean }) => {
      const limit = parseNumber(opts.limit, '--limit', { int: true, min: 1 });
      const offset = Number(opts.offset);
      if (!Number.isInteger(offset) || offset < 0) throw new Error('--offset must be a non-negative integer');
      const lib = openExistingLibraryFromCli(opts, { autoCaption: false });
      try {
        if (opts.similar !== false) await lib.expansionReady();
        const res = lib.search(query, { limit, offset, similarWords: opts.similar !== false });
        const plain = (s: string) => s.split(SNIPPET_OPEN).join('[').split(SNIPPET_CLOSE).join(']');
        const tagsById = lib.tagsOfPhotos(res.hits.map((h) => h.photo.id));
        for (const h of res.hits) {
          const tags = (tagsById.get(h.photo.id) ?? []).map((t) => t.tag);
          const path = lib.photoPath(h.photo.id)!;
          if (opts.json) {
            process.stdout.write(
              jsonLine({
                path,
                caption: h.photo.caption,
                score: Number(h.score.toFixed(6)),
                snippet: plain(h.snippet),
                tags,
                matched: h.matched,
              }),
            );
          } else {
            const why = [
              h.viaSimilar ? '(similar words)' : h.matched.tier === 'prefix' ? '(prefix)' : '',
              ...h.matched.tags.map(tagReason),
            ];
            process.stdout.write(
              `${printable(path)}\t${printable(plain(h.snippet) || h.photo.caption || '')}${why
                .filter(Boolean)
                .map((w) => `\t${printable(w)}`)
                .join('')}\n`,
            );
          }
        }
        if (!opts.json) {
          const also = res.expanded.map((e) => `${e.term} ~ ${e.similar.join(', ')}`).join('; ');
          process.stderr.write(
            `${res.total} match${res.total === 1 ? '' : 'es'}${also ? ` (also matched similar words: ${printable(also)})` : ''}\n`,
          );
          if (res.didYouMean.length) process.stderr.write(`did you mean: ${printable(res.didYouMean.join(' | '))}\n`);
        }
      } finally {
        await lib.close();
      }
    },
  );
}
