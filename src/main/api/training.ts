/**
 * The API's side of "Teach Lenscribe" (issue 7): the contract's `training.*` calls and the
 * `training` event over the library's fine-tune job (src/main/teach/teach-job.ts, which
 * runs src/training/teach.ts in a worker). This file only translates: the job's state into
 * the contract's TrainingRun, and its progress reports into a live loss curve — the training
 * loss as it goes, smoothed, and the validation loss per epoch — sent to the UI at most a few
 * times a second.
 */
import { basename } from 'node:path';
import {
  idleRun,
  type BeforeAfter,
  type CurvePoint,
  type ModelInfo,
  type PhotoSummary,
  type TrainingResult,
  type TrainingRun,
  type TrainingStatus,
} from '../../shared/api-contract.js';
import type { Teacher as TeachJob } from '../teach/teach-job.js';
import type { CurvePoint as EpochPoint, TeachProgress, TeachResult, TeachState } from '../../training/teach-types.js';
import type { Library } from '../library/library.js';

/** Minimum time between two `training` events while steps stream in. */
const EVENT_MS = 200;
/** Points kept of the live training curve (older ones are thinned out beyond this). */
const MAX_POINTS = 1500;
/** Smoothing of the per-batch training loss drawn live (exponential moving average). */
const EMA = 0.15;

export interface Teacher {
  status(limit: number): TrainingStatus;
  start(options: { epochs?: number }): Promise<TrainingRun>;
  cancel(): Promise<TrainingRun>;
  resume(): Promise<TrainingRun>;
  discard(): Promise<TrainingRun>;
  activate(): Promise<{ model: ModelInfo; jobId: number | null }>;
  activateModel(id: string): Promise<{ model: ModelInfo; jobId: number | null }>;
  rollback(): Promise<{ model: ModelInfo; jobId: number | null }>;
  close(): void;
}

/** How long start/resume wait for the worker to be up, so their answer says 'running'. */
const START_ANSWER_MS = 15_000;

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
function epochCurves(curve: readonly EpochPoint[]): { train: CurvePoint[]; validation: CurvePoint[] } {
  const ok = (v: number | null): v is number => v !== null && Number.isFinite(v);
  return {
    train: curve.filter((c) => ok(c.trainLoss)).map((c) => ({ epoch: c.epoch + 1, loss: c.trainLoss })),
    validation: curve.filter((c) => ok(c.validationLoss)).map((c) => ({ epoch: c.epoch + 1, loss: c.validationLoss as number })),
  };
}

export function createTeacher(library: Library, job: TeachJob, emit: (run: TrainingRun) => void): Teacher {
  // The live curve of the current run (lost on restart: the epoch points in the job's state remain).
  let live: { key: string; train: CurvePoint[]; ema: number | null } = { key: '', train: [], ema: null };
  let lastProgress: TeachProgress | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastSent = 0;

  const resultOf = (r: TeachResult): TrainingResult => ({
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
  });

  /** The live points of this run, after the epoch-end points from before it (a resumed run keeps its earlier epochs). */
  const liveTrain = (key: string, epochs: readonly EpochPoint[]): CurvePoint[] => {
    const done = epochCurves(epochs).train;
    if (live.key !== key || live.train.length === 0) return done;
    const from = live.train[0].epoch;
    return [...done.filter((p) => p.epoch < from), ...live.train];
  };

  const runOf = (state: TeachState): TrainingRun => {
    switch (state.state) {
      case 'idle':
        return { ...idleRun, result: state.last ? resultOf(state.last) : null, message: state.lastError };
      case 'running': {
        const p = state.progress ?? lastProgress;
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
          train: liveTrain(state.runId, curve),
          validation: epochCurves(curve).validation,
          message: p?.message ?? null,
        };
      }
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
          train: liveTrain(state.runId, r.curve),
          validation: epochCurves(r.curve).validation,
          result: resultOf(r),
        };
      }
    }
  };

  const current = (): TrainingRun => runOf(job.status().teach);
  const send = () => {
    timer = null;
    lastSent = Date.now();
    emit(current());
  };
  /** Steps stream in fast: at most one event per EVENT_MS, always the newest state. */
  const sendSoon = () => {
    if (timer) return;
    timer = setTimeout(send, Math.max(0, EVENT_MS - (Date.now() - lastSent)));
  };

  const offProgress = job.on('progress', (p) => {
    lastProgress = p;
    if (p.phase === 'train' && p.loss !== null && Number.isFinite(p.loss) && p.totalSteps > 0 && p.epochs > 0) {
      live.ema = live.ema === null ? p.loss : live.ema + EMA * (p.loss - live.ema);
      live.train.push({ epoch: p.step / (p.totalSteps / p.epochs), loss: live.ema });
      if (live.train.length > MAX_POINTS) live.train = live.train.filter((_, i) => i % 2 === 1);
    }
    sendSoon();
  });
  let stateWaiters: Array<() => void> = [];
  const offState = job.on('state', () => {
    if (timer) clearTimeout(timer);
    send();
    const waiters = stateWaiters;
    stateWaiters = [];
    for (const w of waiters) w();
  });
  /** Run `launch` (start/resume: they answer before the worker is up) and answer once the job reports its new state. */
  const launched = async (launch: () => { runId: string }): Promise<TrainingRun> => {
    let timeout: NodeJS.Timeout | undefined;
    const changed = new Promise<void>((resolve) => {
      stateWaiters.push(resolve);
      timeout = setTimeout(resolve, START_ANSWER_MS);
    });
    try {
      // A new live curve for this run (progress reports carry no run id).
      live = { key: '', train: [], ema: null };
      lastProgress = null;
      live.key = launch().runId;
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
    status(limit) {
      const s = job.status();
      const labeled: TrainingStatus['labeled'] = [];
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
        run: runOf(s.teach),
      };
    },
    start(options) {
      return launched(() => job.start({ ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) }));
    },
    cancel: async () => (job.cancel(), current()),
    resume: () => launched(() => job.resume()),
    discard: async () => (job.discard(), current()),
    activate: async () => job.activate(),
    activateModel: async (id) => job.activate(id),
    rollback: async () => job.rollback(),
    close() {
      offProgress();
      offState();
      if (timer) clearTimeout(timer);
    },
  };
}
