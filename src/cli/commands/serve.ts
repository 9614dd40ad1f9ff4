/**
 * `lenscribe serve`: the library behind the app's HTTP transport, for a browser — on this
 * machine, or (with --host) from another one. Prints the URL with its token; Ctrl+C stops,
 * letting a captioning batch in flight finish (jobs resume at the next start).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openApiHostInWorker } from '../../main/api/remote-host.js';
import { defaultLibraryDir } from '../../main/library/library.js';
import { startServer } from '../../main/server/http-server.js';
import { UserError } from '../../shared/errors.js';
import { projectRoot } from '../../shared/paths.js';
import { addLibraryOption, jsonLine, printable, withExample } from '../ui.js';

export function rendererDir(): string {
  return process.env.LENSCRIBE_RENDERER_DIR ? resolve(process.env.LENSCRIBE_RENDERER_DIR) : join(projectRoot, 'dist', 'renderer');
}

function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`lenscribe: could not open a browser; open the URL above yourself\n`));
  child.unref();
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('Serve the app to a browser on this machine (127.0.0.1, with a token)')
    .option('--port <n>', 'Port to listen on; 0 picks a free one', '0')
    .option('--host <address>', 'Interface to listen on; anything but loopback exposes the library to your network', '127.0.0.1')
    .option('--open', 'Open the URL in the default browser')
    .option('--no-watch', 'Do not watch the folders for changes')
    .option('--json', 'Print one JSON line {"url", "port", "library"} instead of text');
  withExample(addLibraryOption(serve), 'lenscribe serve --open').action(
    async (opts: { library?: string; port: string; host: string; open?: boolean; watch: boolean; json?: boolean }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`not a port number: ${opts.port}`);
      const dir = rendererDir();
      if (!existsSync(join(dir, 'index.html'))) throw new UserError(`the app is not built (${dir} has no index.html): run npm run build`);
      const libraryDir = resolve(opts.library ?? defaultLibraryDir());
      // The library runs in a worker thread: the HTTP server never waits on SQLite or a scan. A
      // worker that keeps dying ends the server (with the reason) rather than answering 503 forever.
      let gaveUp: (reason: string) => void = () => {};
      const stopped = new Promise<string>((resolveStopped) => (gaveUp = resolveStopped));
      const host = await openApiHostInWorker(
        { libraryDir, capabilities: { pickFolder: false, dropFolders: false }, watch: opts.watch },
        { onGiveUp: (reason) => gaveUp(reason) },
      );
      if (process.env.LENSCRIBE_KILL_WORKER_ON_SIGUSR2 === '1') {
        // Fault tests: the library's thread dies from outside, as a crash would end it.
        process.on('SIGUSR2', () => void host.worker?.terminate());
      }
      let server;
      try {
        server = await startServer({ host, rendererDir: dir, bind: opts.host, port });
      } catch (err) {
        await host.close();
        const e = err as NodeJS.ErrnoException;
        throw new UserError(
          e.code === 'EADDRINUSE'
            ? `port ${port} is in use; pick another with --port`
            : `cannot listen on ${opts.host}:${port}: ${e.message}`,
        );
      }
      if (opts.json) {
        process.stdout.write(jsonLine({ url: server.url, port: server.port, library: libraryDir }));
      } else {
        process.stdout.write(
          `Lenscribe is serving the library in ${printable(libraryDir)}\n  ${server.url}\nOpen that URL (it carries the access token). Press Ctrl+C to stop.\n`,
        );
      }
      if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host)) {
        process.stderr.write(
          `lenscribe: listening on ${opts.host}: anyone on your network with the URL's token can see and edit this library\n`,
        );
      }
      if (opts.open) openInBrowser(server.url);
      const failure = await new Promise<string | null>((resolveStop) => {
        let stopping = false;
        const stop = (reason: string | null) => {
          if (stopping) return;
          stopping = true;
          process.off('SIGINT', interrupted);
          process.off('SIGTERM', interrupted);
          void server
            .close()
            .then(() => host.close())
            .finally(() => resolveStop(reason));
        };
        const interrupted = () => stop(null);
        process.on('SIGINT', interrupted);
        process.on('SIGTERM', interrupted);
        void stopped.then(stop);
      });
      if (failure) throw new Error(`serve stopped: ${failure}`);
    },
  );
}
