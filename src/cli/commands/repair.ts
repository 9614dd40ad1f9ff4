/**
 * `lenscribe repair [--library <dir>] [--check] [--json]`: check library.db (every page and the
 * search index) and, when damaged, repair it (src/main/library/db-repair.ts): a copy of the damaged
 * file is kept, the indexes are rebuilt, and if the tables are damaged the newest good backup is
 * restored with what the damaged file still holds merged in. Prints each step taken.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { repairLibrary } from '../../main/library/db-repair.js';
import { defaultLibraryDir } from '../../main/library/library.js';
import { addLibraryOption, jsonLine, withExample } from '../ui.js';

export function registerRepair(program: Command): void {
  const cmd = program
    .command('repair')
    .description("Check the library's database and repair it when damaged (a copy of the damaged file is kept)")
    .option('--check', 'Only check: say what is wrong, change nothing (exit 2 when damaged)')
    .option('--json', 'One JSON object: {"file","ok","found","done","damagedCopy"}');
  withExample(addLibraryOption(cmd), 'lenscribe repair --library ~/lenscribe-library').action(
    (opts: { library?: string; check?: boolean; json?: boolean }) => {
      const dir = opts.library ? resolve(opts.library) : defaultLibraryDir();
      const report = repairLibrary(dir, { checkOnly: opts.check === true });
      if (opts.json) process.stdout.write(jsonLine(report));
      else {
        const w = (line: string) => process.stdout.write(`${line}\n`);
        if (!report.found.length) w(`${report.file} passes the integrity check and its search index is whole: nothing to repair`);
        else
          w(
            `${report.file} is damaged: ${report.found.slice(0, 5).join('; ')}${report.found.length > 5 ? `; and ${report.found.length - 5} more` : ''}`,
          );
        for (const step of report.done) w(`- ${step}`);
        if (opts.check && report.found.length) w(`run \`lenscribe repair --library ${dir}\` to repair it`);
      }
      if (!report.ok) process.exitCode = 2;
    },
  );
}
