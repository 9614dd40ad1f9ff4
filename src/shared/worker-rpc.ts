/**
 * Request/reply over a worker's postMessage: each request carries a fresh id, the worker's reply
 * carries it back, and the matching promise settles. If the worker errors or exits, every request
 * still waiting is rejected, and so is every later one. Each protocol keeps its own message shapes:
 * the caller stamps the id into its request and says which worker messages are replies.
 */
import type { Transferable, Worker } from 'node:worker_threads';

/** A worker message read as a reply to request `id`: its value, or the error it reports. */
export type WorkerReply = { id: number; value: unknown } | { id: number; error: Error };

export interface WorkerRpcOptions<FromWorker> {
  /** Names the worker in the error that fails its requests when it exits: "<name> exited (code N)". */
  name: string;
  /** The reply a worker message carries, or undefined for messages that are not replies (logs, events). */
  readReply: (message: FromWorker) => WorkerReply | undefined;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class WorkerRpc<ToWorker, FromWorker> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(
    private readonly worker: Worker,
    options: WorkerRpcOptions<FromWorker>,
  ) {
    worker.on('message', (message: FromWorker) => {
      const reply = options.readReply(message);
      if (reply) this.settle(reply);
    });
    worker.on('error', (e: Error) => this.failAll(e));
    worker.on('exit', (code: number) => this.failAll(new Error(`${options.name} exited (code ${code})`)));
  }

  /** Why the worker can take no more requests (it errored or exited), or null while it can. */
  get failed(): Error | null {
    return this.failure;
  }

  /**
   * Sends the message `build(id)` makes and resolves with the value of the reply to that id.
   * `transfer` lists buffers moved to the worker (the caller must not use them afterwards).
   */
  request<T>(build: (id: number) => ToWorker, transfer: readonly Transferable[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage(build(id), [...transfer]);
    });
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if ('error' in reply) pending?.reject(reply.error);
    else pending?.resolve(reply.value);
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

export interface WorkerReadyOptions<FromWorker, Ready> {
  /** The worker's start-up result, when `message` announces it is ready. */
  readReady: (message: FromWorker) => Ready | undefined;
  /** The reason, when `message` says the worker failed to start. */
  readFailure: (message: FromWorker) => string | undefined;
  /** Messages that are neither (e.g. log lines sent while starting). */
  onOther?: (message: FromWorker) => void;
  /** The error message when the worker exits before it is ready. */
  exitMessage: (code: number) => string;
}

/**
 * Waits for a freshly started worker's ready message. On a failure message, an error or an exit
 * the worker is terminated and the promise rejects. The listeners are removed either way.
 */
export async function waitForWorkerReady<FromWorker, Ready>(
  worker: Worker,
  options: WorkerReadyOptions<FromWorker, Ready>,
): Promise<Ready> {
  let onMessage: (message: FromWorker) => void = () => {};
  let onError: (e: Error) => void = () => {};
  let onExit: (code: number) => void = () => {};
  try {
    return await new Promise<Ready>((resolve, reject) => {
      onMessage = (message) => {
        const ready = options.readReady(message);
        const failure = ready === undefined ? options.readFailure(message) : undefined;
        if (ready !== undefined) resolve(ready);
        else if (failure !== undefined) reject(new Error(failure));
        else options.onOther?.(message);
      };
      onError = reject;
      onExit = (code) => reject(new Error(options.exitMessage(code)));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (e) {
    await worker.terminate();
    throw e;
  } finally {
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  }
}
