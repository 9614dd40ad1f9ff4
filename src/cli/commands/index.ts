/** Every subcommand's registration function; one line each. */
import type { Command } from 'commander';

export const commands: Array<(program: Command) => void> = [];
