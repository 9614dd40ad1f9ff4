/**
 * An ApiHost whose library lives in a worker thread (api-host.worker.ts): calls, media requests
 * (resolved there, against the index and the disk) and shutdown go over postMessage, events come
 * back the same way. Used by Electron's main process and by `lenscribe serve` when run from the
 * build. From source (tsx, vitest) the library opens in-process instead: workers there cannot
 * load TypeScript reliably on Node 20 (tests that need the thread pass `forceWorker`).
 *
 * A worker that dies without being asked to (out of memory, an uncaught error, terminated from
 * outside) is reported in one stderr line and started again on the same library, whose open
 * resumes unfinished jobs; calls in flight then fail with an error saying so, calls made while it
 * restarts wait for it, and event listeners carry on. Past the restart budget the host stops for
 * good and says why (onGiveUp), so a server does not answer "unavailable" forever.
 */
import type { Worker } from 'node:worker_threads';
import type { ApiEvent, ApiErrorBody } from '../../shared/api-contract.js';
import { ApiError } from '../../shared/api-contract.js';
import { ConfinementError } from './confine.js';
import { checkValueDepth } from './input-limits.js';
import { Emitter } from '../../shared/emitter.js';
import { startWorker } from '../../shared/worker.js';
import { WorkerRpc, waitForWorkerReady, type WorkerReply } from '../../shared/worker-rpc.js';
import type { ApiHost } from './dispatch.js';
import { openApiHost, type ApiHostOptions } from './host.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };
/** A media request's answer: the file, or why it is refused (a ConfinementError's status and message). */
export type MediaReply = { file: string } | { refused: { status: ConfinementError['status'] | 500; message: string } };
type ToWorker =
  { type: 'call'; id: number; method: unknown; input: unknown } | { type: 'media'; id: number; tail: string } | { type: 'close' };
type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'reply'; id: number; reply: Reply }
  | { type: 'media'; id: number; reply: MediaReply }
  | { type: 'event'; event: ApiEvent }
  | { type: 'closed' };

export interface WorkerHostOptions {
  /** A better-sqlite3 addon the worker loads instead of node_modules' one (Electron's ABI). */
  sqliteBinding?: string;
  /** Where the one-line reports of a death and a restart go (default: stderr). */
  log?: (line: string) => void;
  /**
   * The worker died more often than the budget allows (or cannot start again): the host has stopped
   * for good, and calls answer "unavailable" with `reason`. Without it, `reason` is logged.
   */
  onGiveUp?: (reason: string) => void;
  /** At most `max` restarts within `windowMs` (default 3 a minute); one more death gives up. */
  restarts?: { max: number; windowMs: number };
  /** Run the library in a worker even from source (tests of the worker itself). */
  forceWorker?: boolean;
}

export interface WorkerApiHost extends ApiHost {
  /** The library's worker thread now (the one starting, during a restart); null when the library runs in-process. */
  readonly worker: Worker | null;
}

const DEFAULT_RESTARTS = { max: 3, windowMs: 60_000 };

/** One worker's life: its thread and its request channel. */
interface Generation {
  worker: Worker;
  rpc: WorkerRpc<ToWorker, FromWorker>;
}

function replyOf(msg: FromWorker): WorkerReply | undefined {
  if (msg.type === 'reply') return { id: msg.id, value: msg.reply };
  if (msg.type === 'media') {
    if ('file' in msg.reply) return { id: msg.id, value: msg.reply.file };
    const { status, message } = msg.reply.refused;
    return { id: msg.id, error: status === 500 ? new Error(message) : new ConfinementError(message, status) };
  }
  return undefined;
}

/** "exit code 1: Error: …" — what a supervisor's log needs to tell an OOM from a crash from a kill. */
function deathReason(code: number, error: Error | null): string {
  if (!error) return `exit code ${code}`;
  const name = (error as NodeJS.ErrnoException).code ?? error.name;
  return `exit code ${code}, ${name}: ${error.message.split('\n')[0]}`;
}

/**
 * The library's worker, kept alive: started again on the same library when it dies unasked,
 * within the restart budget. `current()` is the live worker (waiting out a restart).
 */
class SupervisedWorker {
  readonly events = new Emitter<{ event: ApiEvent }>();
  /** The newest worker thread (the one starting, during a restart). */
  newest: Worker | null = null;
  closing = false;
  private live: Promise<Generation>;
  private readonly restartTimes: number[] = [];
  private readonly budget: { max: number; windowMs: number };
  private readonly log: (line: string) => void;
  private gaveUp: string | null = null;

  constructor(
    private readonly options: ApiHostOptions,
    private readonly extra: WorkerHostOptions,
  ) {
    this.budget = extra.restarts ?? DEFAULT_RESTARTS;
    this.log = extra.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
    this.live = this.launch();
  }

  /** Resolves once the first worker is ready; a library that cannot open at all rejects here. */
  async started(): Promise<void> {
    await this.live;
  }

  /** The live worker, waiting out a restart; the reason as an error once the host has stopped. */
  async current(): Promise<Generation> {
    if (this.closing) throw new ApiError('unavailable', 'The library is closing.');
    try {
      return await this.live;
    } catch {
      throw new ApiError('unavailable', `The library stopped: ${this.gaveUp ?? 'its worker is gone'}.`);
    }
  }

  /** A request that the worker's death cut short: said so, not a generic "stopped". */
  cutShort(err: unknown): ApiError {
    if (this.closing) return new ApiError('unavailable', 'The library is closing.');
    const why = (err as Error)?.message ?? String(err);
    return new ApiError('unavailable', `The library's worker stopped during this call (${why}); it is restarting: try again.`);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const generation = await this.live.catch(() => null);
    if (!generation || generation.rpc.failed) return;
    const { worker } = generation;
    await new Promise<void>((resolve) => {
      worker.on('message', (msg: FromWorker) => msg.type === 'closed' && resolve());
      worker.on('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies ToWorker);
    });
    await worker.terminate();
  }

  /** Starts a worker on the library and resolves once it is ready; on its unasked-for exit, `died` runs. */
  private async launch(): Promise<Generation> {
    const worker = startWorker(import.meta.url, './api-host.worker.ts', {
      workerData: { options: this.options, sqliteBinding: this.extra.sqliteBinding },
    });
    this.newest = worker;
    await waitForWorkerReady<FromWorker, true>(worker, {
      readReady: (msg) => (msg.type === 'ready' ? true : undefined),
      readFailure: (msg) => (msg.type === 'failed' ? msg.message : undefined),
      exitMessage: (code) => `library worker exited (code ${code}) before it was ready`,
    });
    const rpc = new WorkerRpc<ToWorker, FromWorker>(worker, { name: 'library worker', readReply: replyOf });
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'event') this.events.emit('event', msg.event);
    });
    let lastError: Error | null = null;
    worker.on('error', (e: Error) => (lastError = e));
    worker.on('exit', (code: number) => {
      if (!this.closing) this.died(deathReason(code, lastError));
    });
    return { worker, rpc };
  }

  private died(reason: string): void {
    this.live = this.restart(reason);
    this.live.catch(() => {}); // callers see the failure when they next call
  }

  private async restart(reason: string): Promise<Generation> {
    const seconds = Math.round(this.budget.windowMs / 1000);
    let why = `died (${reason})`;
    for (;;) {
      if (!this.mayRestart()) throw this.giveUp(`the library worker ${why} after ${this.budget.max} restarts within ${seconds} s`);
      this.log(
        `lenscribe: the library worker ${why}; restarting it (restart ${this.restartTimes.length} of ${this.budget.max} allowed in ${seconds} s)`,
      );
      try {
        const generation = await this.launch();
        this.log('lenscribe: the library worker is running again');
        this.events.emit('event', {
          kind: 'notice',
          level: 'warning',
          message: `The library stopped unexpectedly (${reason}) and was restarted. A change made just then may need doing again.`,
        });
        return generation;
      } catch (err) {
        why = `could not be restarted (${(err as Error)?.message ?? String(err)})`;
      }
    }
  }

  /** Within the budget, counts one more restart; false when there is none left. */
  private mayRestart(): boolean {
    const now = Date.now();
    while (this.restartTimes.length && now - this.restartTimes[0] > this.budget.windowMs) this.restartTimes.shift();
    if (this.restartTimes.length >= this.budget.max) return false;
    this.restartTimes.push(now);
    return true;
  }

  private giveUp(reason: string): Error {
    this.gaveUp = reason;
    if (this.extra.onGiveUp) this.extra.onGiveUp(reason);
    else this.log(`lenscribe: the library stopped: ${reason}`);
    return new Error(reason);
  }
}

export async function openApiHostInWorker(options: ApiHostOptions, extra: WorkerHostOptions = {}): Promise<WorkerApiHost> {
  if (import.meta.url.endsWith('.ts') && !extra.forceWorker) return Object.assign(await openApiHost(options), { worker: null });
  const supervised = new SupervisedWorker(options, extra);
  await supervised.started();
  return {
    get worker() {
      return supervised.newest;
    },
    async dispatch(method, input) {
      checkValueDepth(input); // before postMessage's structured clone recurses into it
      const { rpc } = await supervised.current();
      let reply: Reply;
      try {
        reply = await rpc.request<Reply>((id) => ({ type: 'call', id, method, input }));
      } catch (err) {
        throw supervised.cutShort(err);
      }
      if (reply.ok) return reply.result;
      throw ApiError.fromBody(reply.error);
    },
    onEvent: (listener) => supervised.events.on('event', listener),
    async media(tail) {
      const { rpc } = await supervised.current();
      return rpc
        .request<string>((id) => ({ type: 'media', id, tail }))
        .catch((err: unknown) => {
          throw rpc.failed ? supervised.cutShort(err) : err;
        });
    },
    close: () => supervised.close(),
  };
}
