/**
 * `lenscribe folders list|remove <path> [--library <dir>] [--json]`: the library's folders, and
 * taking one out of the library. Removing keeps the user's own captions and tags (they come back
 * when the folder is added again), as the app's folders.remove does; no file on disk is touched.
 */
import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { rescanInterval, type Folder, type WatchState } from '../../shared/api-contract.js';
import { UserError } from '../../shared/errors.js';
import type { Library } from '../../main/library/library.js';
import { addLibraryOption, jsonLine, openExistingLibraryFromCli, printable, withExample } from '../ui.js';

interface FoldersFlags {
  library?: string;
  json?: boolean;
}

/** "watched", "not watched now", or "rescanned every 5 min, not watched: <why>" */
function watchText(w: WatchState | undefined): string {
  if (!w || w.mode === 'events') return 'watched';
  if (w.mode === 'off') return 'not watched now';
  return `rescanned every ${rescanInterval(w.rescanEveryMs ?? 0)}, not watched: ${printable(w.reason ?? '')}`;
}

/** "12 photos, 10 captioned, 2 pending, 0 failed [ready] watched" */
function folderLine(f: Folder): string {
  return `${f.id}\t${printable(f.path)}\t${f.photoCount} photos, ${f.captionedCount} captioned, ${f.pendingCount} pending, ${f.errorCount} failed [${f.status}] ${watchText(f.watch)}`;
}

/** The library folder at `path` as typed or once symlinks are resolved (a folder gone from disk is still found by its path). */
function folderAt(lib: Library, path: string): Folder {
  const abs = resolve(path);
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch {
    // gone from disk: its path as stored
  }
  const folder = lib.listFolders().find((f) => f.path === abs || f.path === real);
  if (!folder) throw new UserError(`${abs} is not a library folder (see lenscribe folders list)`);
  return folder;
}

async function withLibrary(opts: FoldersFlags, fn: (lib: Library) => void): Promise<void> {
  const lib = openExistingLibraryFromCli(opts, { autoCaption: false, registerDefaultModel: false, importMetadata: false });
  try {
    fn(lib);
  } finally {
    await lib.close();
  }
}

export function registerFolders(program: Command): void {
  const folders = withExample(
    program.command('folders').description("List the library's folders, or remove one"),
    'lenscribe folders list',
  );
  const sub = (name: string, desc: string, example: string) =>
    withExample(addLibraryOption(folders.command(name).description(desc)), example);

  sub('list', 'Show the library folders with their photo counts and status', 'lenscribe folders list --json')
    .option('--json', 'One JSON line per folder: {"id","path","status","photoCount","captionedCount","pendingCount","errorCount","watch"}')
    .action((opts: FoldersFlags) =>
      withLibrary(opts, (lib) => {
        const list = lib.listFolders();
        if (opts.json) for (const f of list) process.stdout.write(jsonLine(f));
        else process.stdout.write(list.length ? list.map((f) => `${folderLine(f)}\n`).join('') : 'no folders in the library\n');
      }),
    );

  sub('remove', 'Take a folder out of the library; your own captions and tags of it are kept', 'lenscribe folders remove ~/Pictures/old')
    .argument('<path>', 'A library folder (as listed by lenscribe folders list)')
    .option('--json', 'Print {"removed": path, "keptCaptions": n}')
    .action((path: string, opts: FoldersFlags) =>
      withLibrary(opts, (lib) => {
        const folder = folderAt(lib, path);
        const { userCaptions } = lib.folderRemoval(folder.id);
        lib.removeFolder(folder.id);
        process.stdout.write(
          opts.json
            ? jsonLine({ removed: folder.path, keptCaptions: userCaptions })
            : `removed ${printable(folder.path)} from the library (${folder.photoCount} photos; the files stay on disk)` +
                `${userCaptions ? `; ${userCaptions} of your own captions kept, back when you add the folder again` : ''}\n`,
        );
      }),
    );
}
