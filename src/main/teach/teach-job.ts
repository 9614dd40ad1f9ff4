/**
 * Teach Lenscribe, the library side: which photos are labeled, fine-tuning in a worker thread
 * (teach.worker.ts) with live progress, cancel, resume after a kill, and the model versions
 * it makes: activate (re-captions every photo without a user caption, as a resumable captioning
 * job; never a version that forgot more than the budget allows), roll back to the model a
 * version was taught from, discard.
 *
 * Persistence: `<library>/teach/state.json` (written atomically) says which run is going on, by
 * which process. New versions are written to `<library>/models/<name>.partial/` and renamed into
 * place complete; only then is the registry (the models table) touched, in one statement. So a
 * kill -9 at any moment leaves the database and the active model as they were; the next start
 * sees a 'running' state whose process is gone and offers `resume` (from the last epoch's
 * checkpoint) or `discard`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Emitter } from '../../shared/emitter.js';
import { UserError } from '../../shared/errors.js';
import type { ModelInfo } from '../../shared/api-contract.js';
import { loadModelDir, type ModelManifest } from '../../model/model-dir.js';
import { modelFeatureKey } from '../../inference/caption-pipeline.js';
import { loadCard } from '../../inference/encoder/index.js';
import {
  MIN_LABELED,
  TEACH_FILE,
  discardPartial,
  finishedRunOf,
  partialDirOf,
  resumableEpochs,
  splitLabeled,
  type TeachModelResult,
} from '../../training/teach.js';
import type { TeachMetrics } from '../../shared/api-contract.js';
import { ACTIVATION_JOB_KIND } from '../library/job-store.js';
import type { JobInfo } from '../library/jobs.js';
import type { Library } from '../library/library.js';
import type { LabeledPhoto, TeachOptions, TeachProgress, TeachResult, TeachState, TeachStatus } from '../../training/teach-types.js';
import { tooAlikeProblem } from '../../training/teach-labels.js';
import { forgettingProblem, teachVerdict } from '../../training/teach-verdict.js';
import { isProcessAlive } from '../../shared/process-alive.js';

export type { LabeledPhoto, TeachOptions, TeachProgress, TeachResult, TeachState, TeachStatus } from '../../training/teach-types.js';

/** What the worker is given (plain data). */
export interface TeachWorkerInput {
  baseDir: string;
  outDir: string;
  name: string;
  items: Array<{ id: number; path: string; caption: string; feature?: Float32Array }>;
  featureCacheDir: string;
  options: TeachOptions;
  resume: boolean;
  provenance: Record<string, unknown>;
}

export type TeachWorkerMessage =
  | { type: 'progress'; progress: TeachProgress }
  | { type: 'feature'; id: number; feature: Float32Array }
  | { type: 'done'; result: TeachModelResult }
  | { type: 'error'; message: string; kind: string };

interface StateFile {
  runId: string;
  pid: number;
  status: 'running' | 'ready' | 'idle';
  startedAt: string;
  baseModelId: string;
  baseDir: string;
  outDir: string;
  name: string;
  options: TeachOptions;
  result?: TeachResult;
  lastError?: string;
}

export type TeacherEvents = {
  progress: TeachProgress;
  /** The state changed (started, finished, failed, cancelled, discarded, activated). */
  state: TeachStatus['teach'];
};

export interface TeacherOptions {
  /** Run the fine-tune in this thread instead of a worker (tests of the engine use the worker). */
  featureCacheDir?: string;
}

/** A model directory's manifest (shape checked; the weights are hashed only when captioning loads them). */
function manifestOf(dir: string): ModelManifest {
  return loadModelDir(dir, { verify: false }).manifest;
}

export class Teacher {
  private readonly dir: string;
  private readonly statePath: string;
  private readonly modelsRoot: string;
  private worker: Worker | null = null;
  private progress: TeachProgress | null = null;
  private finished: Promise<TeachResult> | null = null;
  private closing = false;
  private readonly events = new Emitter<TeacherEvents>();

  constructor(
    readonly library: Library,
    private readonly options: TeacherOptions = {},
  ) {
    this.dir = join(library.dir, 'teach');
    this.statePath = join(this.dir, 'state.json');
    this.modelsRoot = join(library.dir, 'models');
  }

  on<K extends keyof TeacherEvents>(event: K, listener: (payload: TeacherEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  // ---------------------------------------------------------------- state file

  private readState(): StateFile | null {
    try {
      return JSON.parse(readFileSync(this.statePath, 'utf8')) as StateFile;
    } catch {
      return null;
    }
  }

  private writeState(s: StateFile | null): void {
    mkdirSync(this.dir, { recursive: true });
    if (!s) {
      rmSync(this.statePath, { force: true });
      return;
    }
    const tmp = `${this.statePath}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(s, null, 1));
    renameSync(tmp, this.statePath);
  }

  // ---------------------------------------------------------------- what is labeled

  /** Photos with a user caption (typed in the app or imported), with their split side. */
  labeled(): LabeledPhoto[] {
    const rows = this.library.stores.captions.newestUserCaptions();
    const { validation } = splitLabeled(rows);
    const held = new Set(validation.map((r) => r.id));
    return rows.map((r) => ({ photoId: r.id, path: r.path, caption: r.caption, split: held.has(r.id) ? 'validation' : 'train' }));
  }

  private teachState(): TeachState {
    const s = this.readState();
    if (!s || s.status === 'idle') return { state: 'idle', last: s?.result ?? null, lastError: s?.lastError ?? null };
    if (s.status === 'ready' && s.result) {
      // Activated, but killed before the state file said so: nothing is waiting.
      if (this.library.activeModel()?.id === s.result.modelId) return { state: 'idle', last: s.result, lastError: null };
      return { state: 'ready', runId: s.runId, result: s.result };
    }
    if (s.status === 'running' && ((s.pid === process.pid && this.worker) || (s.pid !== process.pid && isProcessAlive(s.pid)))) {
      return { state: 'running', runId: s.runId, startedAt: s.startedAt, baseModelId: s.baseModelId, progress: this.progress };
    }
    const epochs = resumableEpochs(s.outDir);
    // Killed after its model was complete, before the library registered it: resuming registers it.
    const complete = existsSync(join(s.outDir, TEACH_FILE));
    return {
      state: 'interrupted',
      runId: s.runId,
      startedAt: s.startedAt,
      baseModelId: s.baseModelId,
      epochsDone: epochs ?? 0,
      canResume: (epochs !== null || complete) && existsSync(s.baseDir),
    };
  }

  status(): TeachStatus {
    const labeled = this.labeled();
    const active = this.library.activeModel();
    let rollbackTo: string | null = null;
    try {
      rollbackTo = active ? this.baseOf(active.path) : null;
    } catch {
      rollbackTo = null;
    }
    return {
      labeled,
      trainCount: labeled.filter((l) => l.split === 'train').length,
      validationCount: labeled.filter((l) => l.split === 'validation').length,
      minimumPhotos: MIN_LABELED,
      activeModelId: active?.id ?? null,
      rollbackTo,
      teach: this.teachState(),
    };
  }

  // ---------------------------------------------------------------- running

  /** Start fine-tuning the active model on the labeled photos (in a worker). */
  start(options: TeachOptions = {}): { runId: string } {
    const st = this.teachState();
    if (st.state === 'running') throw new UserError('a fine-tune is already running');
    if (st.state === 'interrupted') throw new UserError('an interrupted fine-tune is waiting: resume it or discard it first');
    const base = this.library.activeModel();
    if (!base) throw new UserError('no caption model is active: there is nothing to teach');
    const labeled = this.labeled();
    if (labeled.length < MIN_LABELED)
      throw new UserError(`teaching needs at least ${MIN_LABELED} photos with your own captions; there are ${labeled.length}`);
    const alike = tooAlikeProblem(labeled.map((l) => l.caption));
    if (alike) throw new UserError(alike);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    const baseName = basename(base.path).replace(/-taught-\d{8}-\d{6}$/, '');
    const name = `${baseName}-taught-${stamp}`;
    const state: StateFile = {
      runId: name,
      pid: process.pid,
      status: 'running',
      startedAt: new Date().toISOString(),
      baseModelId: base.id,
      baseDir: base.path,
      outDir: join(this.modelsRoot, name),
      name,
      options,
    };
    this.launch(state, false);
    return { runId: name };
  }

  /** Continue an interrupted run from its last finished epoch. */
  resume(): { runId: string } {
    const st = this.teachState();
    if (st.state !== 'interrupted') throw new UserError('there is no interrupted fine-tune to resume');
    const s = this.readState()!;
    const finished = finishedRunOf(s.outDir);
    if (finished) {
      this.finished = Promise.resolve(this.finish(s, finished));
      this.events.emit('state', this.teachState());
      return { runId: s.runId };
    }
    if (!st.canResume) {
      // Died before its first epoch finished: start the same run over.
      discardPartial(s.outDir);
    }
    this.launch({ ...s, pid: process.pid, status: 'running' }, st.canResume);
    return { runId: s.runId };
  }

  /** Discard an interrupted run, or a finished version that was never activated. */
  discard(): { discarded: string | null } {
    const st = this.teachState();
    const s = this.readState();
    if (st.state === 'running') throw new UserError('a fine-tune is running: cancel it first');
    if (!s) return { discarded: null };
    if (st.state === 'interrupted') discardPartial(s.outDir);
    if (st.state === 'ready') this.discardModel(st.result.modelId);
    this.writeState({ ...s, status: 'idle', result: undefined, lastError: undefined });
    this.events.emit('state', this.teachState());
    return { discarded: s.runId };
  }

  /** Stop the running fine-tune after the batch in flight; nothing is written. */
  cancel(): { cancelled: boolean } {
    if (!this.worker) return { cancelled: false };
    this.worker.postMessage({ type: 'cancel' });
    return { cancelled: true };
  }

  /** Resolves with the result of the run in progress (rejects if it fails or is cancelled). */
  wait(): Promise<TeachResult> {
    if (!this.finished) return Promise.reject(new UserError('no fine-tune is running'));
    return this.finished;
  }

  private launch(state: StateFile, resume: boolean): void {
    const items = this.labeled().map((l) => ({
      id: l.photoId,
      path: l.path,
      caption: l.caption,
      feature: this.cachedFeature(l.photoId, state.baseDir),
    }));
    mkdirSync(this.modelsRoot, { recursive: true });
    this.writeState(state);
    this.progress = null;
    const input: TeachWorkerInput = {
      baseDir: state.baseDir,
      outDir: state.outDir,
      name: state.name,
      items: items.map((i) => (i.feature ? i : { id: i.id, path: i.path, caption: i.caption })),
      featureCacheDir: this.options.featureCacheDir ?? join(this.library.dir, 'cache', 'features'),
      options: state.options,
      resume,
      provenance: { baseModelId: state.baseModelId, baseDir: state.baseDir },
    };
    this.finished = new Promise<TeachResult>((resolvePromise, reject) => {
      void startTeachWorker(input).then((worker) => {
        this.worker = worker;
        this.events.emit('state', this.teachState());
        let settled = false;
        const end = (fn: () => void) => {
          if (settled) return;
          settled = true;
          this.worker = null;
          void worker.terminate();
          fn();
          this.events.emit('state', this.teachState());
        };
        worker.on('message', (m: TeachWorkerMessage) => {
          if (m.type === 'progress') {
            this.progress = m.progress;
            this.events.emit('progress', m.progress);
          } else if (m.type === 'feature') this.storeFeature(m.id, state.baseDir, m.feature);
          else if (m.type === 'done') {
            end(() => {
              try {
                const result = this.finish(state, m.result);
                resolvePromise(result);
              } catch (e) {
                this.writeState({ ...state, status: 'idle', lastError: (e as Error).message });
                reject(e);
              }
            });
          } else if (m.type === 'error') {
            end(() => {
              // Cancelled or failed: the partial directory goes unless there is an epoch to resume from after a crash.
              discardPartial(state.outDir);
              this.writeState({ ...state, status: 'idle', lastError: m.kind === 'cancelled' ? undefined : m.message });
              reject(new UserError(m.message));
            });
          }
        });
        worker.on('error', (e) =>
          end(() => {
            this.writeState({ ...state, status: 'idle', lastError: e.message });
            reject(e);
          }),
        );
        worker.on('exit', (code) =>
          end(() => {
            // Closing the library leaves the run resumable, like a kill would.
            if (!this.closing) this.writeState({ ...state, status: 'idle', lastError: `fine-tune worker exited (code ${code})` });
            reject(new Error(`fine-tune worker exited (code ${code})`));
          }),
        );
      }, reject);
    });
    this.finished.catch(() => undefined);
  }

  /** Registers the new version (not active) and records the result. */
  private finish(state: StateFile, r: TeachModelResult): TeachResult {
    const info = this.library.registerModel(r.outDir);
    const byId = new Map(this.labeled().map((l) => [l.photoId, l.path]));
    const result: TeachResult = {
      modelId: info.id,
      modelName: info.name,
      modelDir: r.outDir,
      baseModelId: state.baseModelId,
      trainPhotos: r.trainPhotos,
      validationPhotos: r.validationPhotos,
      replayCaptions: r.replayCaptions,
      newWords: r.newWords,
      epochsRun: r.epochsRun,
      bestEpoch: r.bestEpoch,
      stopReason: r.stopReason,
      seconds: r.seconds,
      metrics: r.metrics,
      verdict: r.verdict,
      validationCaptions: r.validationCaptions.map((v) => ({
        photoId: v.id,
        path: byId.get(v.id) ?? v.path,
        reference: v.reference,
        before: v.before,
        after: v.after,
      })),
      curve: r.curve,
    };
    this.writeState({ ...state, status: 'ready', result });
    return result;
  }

  // ---------------------------------------------------------------- features the library caches

  /** The library's features table key for a model's stored vectors: the caption pipeline's (features, then concept scores). */
  private featureKey(baseDir: string): string | null {
    try {
      const m = manifestOf(baseDir);
      return modelFeatureKey(m, loadCard(m.encoder.name));
    } catch {
      return null;
    }
  }

  private cachedFeature(photoId: number, baseDir: string): Float32Array | undefined {
    const key = this.featureKey(baseDir);
    if (!key) return undefined;
    return this.library.stores.features.ofPhoto(photoId, key);
  }

  private storeFeature(photoId: number, baseDir: string, feature: Float32Array): void {
    const key = this.featureKey(baseDir);
    if (!key) return;
    try {
      this.library.stores.features.putForPhoto(photoId, key, feature);
    } catch {
      // the cache is a convenience
    }
  }

  // ---------------------------------------------------------------- model versions

  /** The model a version was taught from (model.json), or null for a model not made by teaching. */
  private baseOf(modelDir: string): string | null {
    const id = manifestOf(modelDir).training?.options?.baseModelId;
    return typeof id === 'string' && this.library.listModels().some((x) => x.id === id) ? id : null;
  }

  /**
   * Make a model active (default: the version the last fine-tune made) and queue re-captioning
   * of every photo without a user caption; the job is resumable like any captioning job. The
   * waiting version, when its verdict is 'worse', only with `confirmWorse` (a second, explicit yes).
   */
  activate(modelId?: string, { confirmWorse = false }: { confirmWorse?: boolean } = {}): { model: ModelInfo; jobId: number | null } {
    let id = modelId;
    const s = this.readState();
    if (!id) {
      if (s?.status !== 'ready' || !s.result) throw new UserError('no new model version is waiting to be activated');
      id = s.result.modelId;
    }
    const waiting = s?.status === 'ready' && s.result?.modelId === id ? s.result : null;
    if (waiting && !confirmWorse) {
      const verdict = waiting.verdict ?? teachVerdict(waiting.metrics);
      if (verdict.kind === 'worse')
        throw new UserError(`${verdict.reason} The new version was not activated: confirm to use it anyway, or discard it.`);
    }
    // The forgetting budget holds for whatever is activated; confirming a worse verdict does not lift it.
    const metrics = waiting?.metrics ?? this.taughtMetrics(id);
    const forgot = metrics ? forgettingProblem(metrics) : null;
    if (forgot) throw new UserError(`${id} was not activated: ${forgot}. Discard it, or teach again with fewer epochs or a lower --lr.`, 2);
    return this.makeActive(id, s);
  }

  /** Go back to the model the active version was taught from (re-captioning like activate; it was in use before, so no budget check). */
  rollback(): { model: ModelInfo; jobId: number | null } {
    const active = this.library.activeModel();
    if (!active) throw new UserError('no model is active');
    const base = this.baseOf(active.path);
    if (!base) throw new UserError(`the active model ${active.id} was not made by teaching: there is nothing to roll back to`);
    return this.makeActive(base, this.readState());
  }

  /**
   * One step (Captioning.activate's transaction): the model becomes active and an activation job
   * records it, re-captioning every photo without a user caption whose caption is another
   * model's. A kill after it leaves that job queued: pendingActivation() finds it, and the next
   * run of the queue (any start of the app, `lenscribe caption`, `teach`) finishes it.
   */
  private makeActive(id: string, s: StateFile | null): { model: ModelInfo; jobId: number | null } {
    const photoIds = this.library.stores.photos.withoutUserCaption();
    const { model, jobId } = this.library.activateModel(id, { photoIds });
    if (s && s.status === 'ready' && s.result?.modelId === id) this.writeState({ ...s, status: 'idle' });
    this.events.emit('state', this.teachState());
    return { model, jobId };
  }

  /** The activation job still re-captioning for the active model (a kill stopped it), or null. */
  pendingActivation(): JobInfo | null {
    const active = this.library.activeModel();
    if (!active) return null;
    return this.library.jobs.unfinished().find((j) => j.kind === ACTIVATION_JOB_KIND && j.modelId === active.id) ?? null;
  }

  /** The before/after figures a taught version recorded (teach.json), or null for a model not made by teaching. */
  private taughtMetrics(id: string): TeachMetrics | null {
    const row = this.library.stores.models.get(id);
    if (!row) return null;
    try {
      const teach = JSON.parse(readFileSync(join(row.path, TEACH_FILE), 'utf8')) as { metrics?: TeachMetrics };
      return teach.metrics ?? null;
    } catch {
      return null;
    }
  }

  /** Remove a version that is not active from the registry and delete its directory (only versions this library made). */
  discardModel(id: string): void {
    const row = this.library.stores.models.get(id);
    if (!row) throw new UserError(`no model ${id}`);
    if (row.active) throw new UserError(`model ${id} is active: activate another one (or roll back) first`);
    const inside =
      resolve(row.path).startsWith(resolve(this.modelsRoot) + '/') || resolve(row.path).startsWith(resolve(this.modelsRoot) + '\\');
    this.library.stores.models.removeInactive(id);
    if (inside) rmSync(row.path, { recursive: true, force: true });
  }

  /** Stop a running fine-tune (it stays resumable) and wait for the worker to end. */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.closing = true;
    await w.terminate();
  }
}

async function startTeachWorker(workerData: TeachWorkerInput): Promise<Worker> {
  const { startWorker } = await import('../../shared/worker.js');
  return startWorker(import.meta.url, './teach.worker.ts', { workerData });
}

export { partialDirOf };
