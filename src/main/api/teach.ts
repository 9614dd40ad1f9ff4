/**
 * The API's side of "Teach Lenscribe" (issue 7): the contract's `teach.*` calls and the `teach`
 * event over the library's teach job (src/main/teach/teach-job.ts, which runs
 * src/training/teach.ts in a worker). This file only translates: the job's state into the
 * contract's TeachRun, and its progress reports into a live loss chart — the training loss as it
 * goes, smoothed, and the validation loss per epoch — sent to the UI at most a few times a second.
 */
import { basename } from 'node:path';
import {
  idleRun,
  type BeforeAfter,
  type LossPoint,
  type ModelInfo,
  type PhotoSummary,
  type TeachOverview,
  type TeachRun,
  type TeachRunResult,
} from '../../shared/api-contract.js';
import type { Teacher as TeachJob } from '../teach/teach-job.js';
import type { EpochPoint, TeachProgress, TeachResult, TeachState } from '../../training/teach-types.js';
import type { Library } from '../library/library.js';
import { teachVerdict } from '../../training/teach-verdict.js';

/** Minimum time between two `teach` events while steps stream in. */
const EVENT_MS = 200;
/** Points kept of the live training curve (older ones are thinned out beyond this). */
const MAX_POINTS = 1500;
/** Smoothing of the per-batch training loss drawn live (exponential moving average). */
const EMA = 0.15;
/** How long start/resume wait for the worker to be up, so their answer says 'running'. */
const START_ANSWER_MS = 15_000;

type Activated = { model: ModelInfo; jobId: number | null };

/** The `teach.*` calls (and the model switches that go through the teach job) over one library. */
export interface TeachApi {
  status(limit: number): TeachOverview;
  start(options: { epochs?: number }): Promise<TeachRun>;
  cancel(): Promise<TeachRun>;
  resume(): Promise<TeachRun>;
  discard(): Promise<TeachRun>;
  /** The waiting version; a 'worse' one only with confirmWorse. */
  activate(options?: { confirmWorse?: boolean }): Promise<Activated>;
  activateModel(id: string): Promise<Activated>;
  rollback(): Promise<Activated>;
  close(): void;
}

function summaryOf(library: Library, photoId: number): PhotoSummary | null {
  const p = library.getPhoto(photoId);
  if (!p) return null;
  return {
    id: p.id,
    folderId: p.folderId,
    relPath: p.relPath,
    name: p.name,
    status: p.status,
    caption: p.caption,
    captionSource: p.captionSource,
    thumb: p.thumb,
    width: p.width,
    height: p.height,
  };
}

/** Epoch-end points of the job's curve, on the same fractional-epoch axis as the live points. */
function epochCurves(curve: readonly EpochPoint[]): { train: LossPoint[]; validation: LossPoint[] } {
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v);
  return {
    train: curve.filter((c) => ok(c.trainLoss)).map((c) => ({ epoch: c.epoch + 1, loss: c.trainLoss })),
    validation: curve.filter((c) => ok(c.validationLoss)).map((c) => ({ epoch: c.epoch + 1, loss: c.validationLoss as number })),
  };
}

function runResultOf(library: Library, r: TeachResult): TeachRunResult {
  return {
    versionId: r.modelId,
    baseModel: r.baseModelId,
    trainPhotos: r.trainPhotos,
    validationPhotos: r.validationPhotos,
    newWords: r.newWords.map((w) => w.word),
    epochsRun: r.epochsRun,
    bestEpoch: r.bestEpoch,
    stopReason: r.stopReason,
    seconds: r.seconds,
    metrics: r.metrics,
    verdict: r.verdict ?? teachVerdict(r.metrics),
    beforeAfter: r.validationCaptions.map((v): BeforeAfter => {
      const photo = summaryOf(library, v.photoId);
      return {
        photoId: photo ? v.photoId : null,
        name: photo?.name ?? basename(v.path),
        thumb: photo?.thumb ?? null,
        reference: v.reference,
        before: v.before,
        after: v.after,
      };
    }),
  };
}

/** The current run's live progress: its smoothed per-step training curve (lost on restart: the epoch points in the job's state remain). */
class LiveRun {
  private key = '';
  private train: LossPoint[] = [];
  private ema: number | null = null;
  lastProgress: TeachProgress | null = null;

  /** A new run starts (progress reports carry no run id). */
  reset(): void {
    this.key = '';
    this.train = [];
    this.ema = null;
    this.lastProgress = null;
  }

  startedAs(runId: string): void {
    this.key = runId;
  }

  add(p: TeachProgress): void {
    this.lastProgress = p;
    if (p.phase !== 'train' || p.loss === null || !Number.isFinite(p.loss) || p.totalSteps <= 0 || p.epochs <= 0) return;
    this.ema = this.ema === null ? p.loss : this.ema + EMA * (p.loss - this.ema);
    this.train.push({ epoch: p.step / (p.totalSteps / p.epochs), loss: this.ema });
    if (this.train.length > MAX_POINTS) this.train = this.train.filter((_, i) => i % 2 === 1);
  }

  /** The live points of run `runId`, after the epoch-end points from before it (a resumed run keeps its earlier epochs). */
  trainCurve(runId: string, epochs: readonly EpochPoint[]): LossPoint[] {
    const done = epochCurves(epochs).train;
    if (this.key !== runId || this.train.length === 0) return done;
    const from = this.train[0].epoch;
    return [...done.filter((p) => p.epoch < from), ...this.train];
  }
}

function runningRun(state: Extract<TeachState, { state: 'running' }>, live: LiveRun): TeachRun {
  const p = state.progress ?? live.lastProgress;
  const curve = p?.curve ?? [];
  return {
    ...idleRun,
    state: 'running',
    phase: p?.phase ?? 'prepare',
    baseModel: state.baseModelId,
    startedAt: state.startedAt,
    epoch: p?.epoch ?? 0,
    epochs: p?.epochs ?? 0,
    step: p?.step ?? 0,
    steps: p?.totalSteps ?? 0,
    loss: p?.loss ?? null,
    valLoss: p?.validationLoss ?? null,
    etaSeconds: p?.etaSeconds ?? null,
    train: live.trainCurve(state.runId, curve),
    validation: epochCurves(curve).validation,
    message: p?.message ?? null,
  };
}

/** The job's state as the contract's TeachRun. */
function teachRunOf(library: Library, state: TeachState, live: LiveRun): TeachRun {
  switch (state.state) {
    case 'idle':
      return { ...idleRun, result: state.last ? runResultOf(library, state.last) : null, message: state.lastError };
    case 'running':
      return runningRun(state, live);
    case 'interrupted':
      return {
        ...idleRun,
        state: 'interrupted',
        baseModel: state.baseModelId,
        startedAt: state.startedAt,
        epoch: state.epochsDone,
        canResume: state.canResume,
      };
    case 'ready': {
      const r = state.result;
      return {
        ...idleRun,
        state: 'ready',
        baseModel: r.baseModelId,
        epoch: r.epochsRun,
        epochs: r.epochsRun,
        train: live.trainCurve(state.runId, r.curve),
        validation: epochCurves(r.curve).validation,
        result: runResultOf(library, r),
      };
    }
  }
}

function overviewOf(library: Library, job: TeachJob, live: LiveRun, limit: number): TeachOverview {
  const s = job.status();
  const labeled: TeachOverview['labeled'] = [];
  for (const l of s.labeled.slice(0, limit)) {
    const photo = summaryOf(library, l.photoId);
    if (photo) labeled.push({ ...photo, caption: l.caption, validation: l.split === 'validation' });
  }
  return {
    labeledCount: s.labeled.length,
    trainCount: s.trainCount,
    validationCount: s.validationCount,
    minimumLabeled: s.minimumPhotos,
    labeled,
    activeModel: s.activeModelId,
    rollbackTo: s.rollbackTo,
    run: teachRunOf(library, s.teach, live),
  };
}

/** Sends the newest run to the UI: right away on a state change, at most once per EVENT_MS while steps stream in. */
class RunEvents {
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;

  constructor(private readonly sendRun: () => void) {}

  now(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastSent = Date.now();
    this.sendRun();
  }

  soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.now(), Math.max(0, EVENT_MS - (Date.now() - this.lastSent)));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export function createTeachApi(library: Library, job: TeachJob, emit: (run: TeachRun) => void): TeachApi {
  const live = new LiveRun();
  const current = (): TeachRun => teachRunOf(library, job.status().teach, live);
  const events = new RunEvents(() => emit(current()));
  let stateWaiters: Array<() => void> = [];

  const offProgress = job.on('progress', (p) => {
    live.add(p);
    events.soon();
  });
  const offState = job.on('state', () => {
    events.now();
    const waiters = stateWaiters;
    stateWaiters = [];
    for (const w of waiters) w();
  });

  /** Run `launch` (start/resume: they answer before the worker is up) and answer once the job reports its new state. */
  const launched = async (launch: () => { runId: string }): Promise<TeachRun> => {
    let timeout: NodeJS.Timeout | undefined;
    const changed = new Promise<void>((resolve) => {
      stateWaiters.push(resolve);
      timeout = setTimeout(resolve, START_ANSWER_MS);
    });
    try {
      live.reset();
      live.startedAs(launch().runId);
    } catch (err) {
      stateWaiters = [];
      clearTimeout(timeout);
      throw err;
    }
    await changed;
    clearTimeout(timeout);
    return current();
  };

  return {
    status: (limit) => overviewOf(library, job, live, limit),
    start: (options) => launched(() => job.start({ ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) })),
    cancel: async () => {
      job.cancel();
      return current();
    },
    resume: () => launched(() => job.resume()),
    discard: async () => {
      job.discard();
      return current();
    },
    activate: async (options = {}) => job.activate(undefined, options),
    activateModel: async (id) => job.activate(id),
    rollback: async () => job.rollback(),
    close() {
      offProgress();
      offState();
      events.stop();
    },
  };
}
