/** `lenscribe search "<query>"`: full-text search over the library's captions and file names. */
import type { Command } from 'commander';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/api-contract.js';
import { addLibraryOption, openExistingLibraryFromCli, parseNumber, withExample } from '../ui.js';

export function registerSearch(program: Command): void {
  const search = program
    .command('search')
    .description('Search photos by caption (prefix on the last word, "quoted phrases")')
    .argument('<query>', 'Words to look for')
    .option('--json', 'One JSON line per hit: {"path","caption","score","snippet"}')
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
        for (const h of res.hits) {
          const path = lib.photoPath(h.photo.id)!;
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({ path, caption: h.photo.caption, score: Number(h.score.toFixed(6)), snippet: plain(h.snippet) })}\n`,
            );
          } else {
            process.stdout.write(`${path}\t${plain(h.snippet) || h.photo.caption || ''}${h.viaSimilar ? '\t(similar words)' : ''}\n`);
          }
        }
        if (!opts.json) {
          const also = res.expanded.map((e) => `${e.term} ~ ${e.similar.join(', ')}`).join('; ');
          process.stderr.write(`${res.total} match${res.total === 1 ? '' : 'es'}${also ? ` (also matched similar words: ${also})` : ''}\n`);
        }
      } finally {
        await lib.close();
      }
    },
  );
}
