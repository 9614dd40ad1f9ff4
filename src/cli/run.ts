/** Process entry for the built CLI (dist/cli.js). */
import { isClosedPipe, main } from './main.js';
import { printable } from './ui.js';

// Here, once, for every command: a reader that goes away is no crash (an unhandled 'error' with a stack trace).
// stdout carries the result: when its reader stops (`lenscribe search dog | head -1`), stop quietly with 0, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (isClosedPipe(err)) process.exit(0);
  process.stderr.write(`lenscribe: stdout: ${err.message}\n`);
  process.exit(1);
});
// stderr carries progress and problems: when its reader stops (`… 2>&1 >out.csv | head`), the work and its
// result on stdout go on unreported, and the exit code stays the command's own.
process.stderr.on('error', () => {});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lenscribe: ${printable(String(err))}\n`);
    process.exitCode = 1;
  },
);
