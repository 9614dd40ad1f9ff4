/**
 * `lenscribe` — the headless entry point. Each subcommand lives in src/cli/commands/
 * and registers itself here. Exit codes: 0 ok, 1 usage or input error, 2 some items failed.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../shared/errors.js';
import { lastOpenedDatabase } from '../main/library/db.js';
import { isCorruption, LibraryDamagedError } from '../main/library/db-health.js';
import { commands } from './commands/index.js';
import { printable, withExample } from './ui.js';

/** The reader of our stdout went away (`lenscribe export | head`): by Unix convention, a quiet success. */
export function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/** Defaults print as values to type (`default: 20`, not `default: "20"`), in options and arguments alike. */
function unquoteDefaults(cmd: Command): void {
  for (const o of [...cmd.options, ...cmd.registeredArguments])
    if (typeof o.defaultValue === 'string' && o.defaultValueDescription === undefined) o.defaultValueDescription = o.defaultValue;
  for (const sub of cmd.commands) unquoteDefaults(sub);
}

export function buildProgram(): Command {
  const program = new Command()
    .name('lenscribe')
    .description('Caption, search and teach: local photo captioning that learns your words')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version', 'Print the version number')
    .helpOption('-h, --help', 'Show help for the command')
    .helpCommand('help [command]', 'Show help for a command')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showHelpAfterError(false);
  withExample(program, 'lenscribe caption ~/Pictures');
  for (const register of commands) register(program);
  unquoteDefaults(program);
  return program;
}

/** A query that met a damaged page, as the error naming the library and `lenscribe repair`. */
function damageMet(err: unknown): LibraryDamagedError | null {
  const file = lastOpenedDatabase();
  return isCorruption(err) && file && !(err instanceof UserError) ? new LibraryDamagedError(file, [(err as Error).message]) : null;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      const hint = err.code === 'commander.unknownCommand' ? ' (see lenscribe --help)' : '';
      process.stderr.write(`lenscribe: ${printable(err.message.replace(/^error: /, ''))}${hint}\n`);
      return 1;
    }
    if (isClosedPipe(err)) return 0;
    // SQLite's "database disk image is malformed" names no file and no way out.
    const known = damageMet(err) ?? err;
    if (known instanceof UserError) {
      process.stderr.write(`lenscribe: ${printable(known.message)}\n`);
      return known.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`lenscribe: ${printable(e?.message ?? String(err))}\n`);
    if (process.env.LENSCRIBE_DEBUG) process.stderr.write(`${e?.stack}\n`);
    return 1;
  }
}
