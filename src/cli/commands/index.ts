/** Every subcommand's registration function; one line each. */
import type { Command } from 'commander';

export const commands: Array<(program: Command) => void> = [];
import { registerServe } from './serve.js';
commands.push(registerServe);
import { registerCaption } from './caption.js';
commands.push(registerCaption);
import { registerSearch } from './search.js';
commands.push(registerSearch);
import { registerLabel } from './label.js';
commands.push(registerLabel);
import { registerStatus } from './status.js';
commands.push(registerStatus);
import { registerExport } from './export.js';
commands.push(registerExport);
import { registerTrain } from './train.js';
commands.push(registerTrain);
import { registerMetadata } from './metadata.js';
commands.push(registerMetadata);
import { registerEval } from './eval.js';
commands.push(registerEval);
import { registerTeach } from './teach.js';
commands.push(registerTeach);
import { registerModels } from './models.js';
commands.push(registerModels);
import { registerTags } from './tags.js';
commands.push(registerTags);
