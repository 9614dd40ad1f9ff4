/** Process entry for the built CLI (dist/cli.js). */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lenscribe: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
