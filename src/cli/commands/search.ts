/** `lenscribe search "<query>"`: full-text search over the library's captions and file names. */
import type { Command } from 'commander';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/api-contract.js';
import { addLibraryOption, openExistingLibraryFromCli, parseNumber } from '../ui.js';

export function registerSearch(program: Command): void {
  addLibraryOption(
    program
      .command('search')
      .description('search photos by caption (prefix on the last word, "quoted phrases")')
      .argument('<query>', 'words to look for')
      .option('--json', 'one JSON line per hit: {"path","caption","score","snippet"}')
      .option('--limit <n>', 'most hits to print', '20')
      .option('--offset <n>', 'hits to skip', '0')
      .option('--no-similar', 'do not also match similar words (query expansion)'),
  ).action(async (query: string, opts: { library?: string; json?: boolean; limit: string; offset: string; similar?: boolean }) => {
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
  });
}
