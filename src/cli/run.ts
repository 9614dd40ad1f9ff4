/** Process entry for the built CLI (dist/cli.js). */
import { isClosedPipe, main } from './main.js';

// Every command writes to stdout; when its reader closes early, stop quietly instead of an unhandled 'error'.
process.stdout.on('error', (err) => {
  if (isClosedPipe(err)) process.exit(0);
  process.stderr.write(`lenscribe: stdout: ${err.message}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lenscribe: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
