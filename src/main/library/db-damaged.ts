/** The error a damaged library.db gives (apart from db-health.ts, so that opening the file in db.ts can give it too). */
import { dirname } from 'node:path';
import { UserError } from '../../shared/errors.js';

/** The library database is damaged: what was found, and how to repair it. */
export class LibraryDamagedError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${damageSummary(file, problems)}; run \`lenscribe repair --library ${dirname(file)}\` (until then nothing is written to it)`);
    this.name = 'LibraryDamagedError';
  }
}

/** "library database /x/library.db is damaged (search index: …)". */
export function damageSummary(file: string, problems: string[]): string {
  const shown = problems.slice(0, 2).join('; ') + (problems.length > 2 ? `; and ${problems.length - 2} more` : '');
  return `library database ${file} is damaged (${shown})`;
}
