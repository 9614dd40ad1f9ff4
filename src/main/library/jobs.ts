/**
 * The persistent captioning queue's runner. Jobs and their items live in SQLite (job-store.ts),
 * so a killed process resumes where it stopped: every batch's captions, feature-cache rows,
 * photo statuses and item states are written in one transaction. One job runs at a time, one
 * batch in flight, the heavy lifting in the pipeline's worker thread. Model captions are
 * appended to the history; the shown caption stays the user's when there is one (see the
 * captions triggers).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptionOutcome, CaptionRequest, Captioner } from '../../inference/caption-pipeline.js';
import type { CaptionStore } from './captions.js';
import type { FeatureTable } from './feature-table.js';
import type { EnqueueOptions, JobItem, JobRow, JobState, JobStore } from './job-store.js';
import type { PhotoStore } from './photos.js';
import type { DerivedTag, TagStore } from './tags.js';

export type { JobState } from './job-store.js';

export interface JobInfo {
  id: number;
  kind: string;
  status: JobState;
  folderId: number | null;
  modelId: string | null;
  /** When the job was queued (ms since the epoch). */
  createdAt: number;
  done: number;
  failed: number;
  total: number;
  /** Photos per second over the recent window, or null before there is one. */
  rate: number | null;
  etaSeconds: number | null;
  message: string | null;
}

/** Emitted after every batch and on every state change. */
export interface PhotoCaptioned {
  photoId: number;
  path: string;
  status: 'captioned' | 'error';
  caption: string | null;
  kind: string | null;
  error: string | null;
}

/** The stores a batch writes to. */
export interface JobTables {
  jobs: JobStore;
  photos: PhotoStore;
  captions: CaptionStore;
  features: FeatureTable;
  tags: TagStore;
}

export interface JobRunnerOptions {
  thumbsDir: string;
  batchSize: number;
  /** The captioner for a model id (created once and kept). Throws when the model is unusable. */
  captioner: (modelId: string) => Promise<Captioner>;
  onJob: (job: JobInfo) => void;
  onPhotos: (items: PhotoCaptioned[]) => void;
  /** The model's tags for a photo's features (tag-derivation.ts), replaced with each caption it writes. */
  deriveTags: (modelId: string, feature: Float32Array, objectCounts?: readonly number[]) => DerivedTag[];
}

const RATE_WINDOW_MS = 15_000;

function isFinal(state: JobState): boolean {
  return state === 'done' || state === 'cancelled' || state === 'failed';
}

export class JobRunner {
  private running: Promise<void> | null = null;
  private readonly samples = new Map<number, Array<{ t: number; n: number }>>();
  private readonly waiters = new Map<number, Array<(job: JobInfo) => void>>();
  private closed = false;
  private readonly store: JobStore;

  constructor(
    private readonly tables: JobTables,
    private readonly options: JobRunnerOptions,
  ) {
    this.store = tables.jobs;
    this.store.requeueRunning();
  }

  /** See JobStore.enqueue. */
  enqueue(opts: EnqueueOptions): number | null {
    return this.store.enqueue(opts);
  }

  get(id: number): JobInfo | null {
    const row = this.store.row(id);
    return row ? this.info(row) : null;
  }

  list(limit = 50): JobInfo[] {
    return this.store.recent(limit).map((r) => this.info(r));
  }

  unfinished(): JobInfo[] {
    return this.store.unfinished().map((r) => this.info(r));
  }

  /** Forget the jobs that ended; returns how many. */
  clearFinished(): number {
    const n = this.store.clearFinished();
    for (const id of [...this.samples.keys()]) if (!this.store.row(id)) this.samples.delete(id);
    return n;
  }

  private info(row: JobRow): JobInfo {
    const s = this.samples.get(row.id);
    let rate: number | null = null;
    if (s && s.length >= 2) {
      const a = s[0];
      const b = s[s.length - 1];
      if (b.t > a.t) rate = ((b.n - a.n) * 1000) / (b.t - a.t);
    }
    const remaining = row.total - row.done - row.failed;
    return {
      id: row.id,
      kind: row.kind,
      status: row.state,
      folderId: row.folder_id,
      modelId: row.model_id,
      createdAt: row.created_at,
      done: row.done,
      failed: row.failed,
      total: row.total,
      rate,
      etaSeconds: rate && rate > 0 && row.state === 'running' ? remaining / rate : null,
      message: row.message,
    };
  }

  private setState(id: number, state: JobState, message: string | null = null): JobInfo | null {
    this.store.setState(id, state, message);
    const job = this.get(id);
    if (job) {
      this.options.onJob(job);
      if (isFinal(state)) {
        for (const w of this.waiters.get(id) ?? []) w(job);
        this.waiters.delete(id);
      }
    }
    return job;
  }

  pause(id: number): JobInfo | null {
    const job = this.get(id);
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return job;
    return this.setState(id, 'paused');
  }

  resume(id: number): JobInfo | null {
    const job = this.get(id);
    if (!job || job.status !== 'paused') return job;
    const out = this.setState(id, 'queued');
    void this.start();
    return out;
  }

  cancel(id: number, message: string | null = null): JobInfo | null {
    const job = this.get(id);
    if (!job || isFinal(job.status)) return job;
    return this.setState(id, 'cancelled', message);
  }

  /** The photos a job still has to caption. */
  todoPhotoIds(id: number): number[] {
    return this.store.todo(id, -1).map((it) => it.id); // SQLite: a negative LIMIT is none
  }

  /** Resolves when the job reaches done, cancelled or failed. */
  waitFor(id: number): Promise<JobInfo> {
    const job = this.get(id);
    if (!job) return Promise.reject(new Error(`no job ${id}`));
    if (isFinal(job.status)) return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /** Run queued jobs until none is left (idempotent; returns the running loop). */
  start(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Stop after the batch in flight (the job stays resumable). */
  async stop(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const row = this.store.next();
      if (!row) return;
      await this.runJob(row);
    }
  }

  private async runJob(row: JobRow): Promise<void> {
    const id = row.id;
    this.setState(id, 'running');
    let captioner: Captioner;
    try {
      captioner = await this.options.captioner(row.model_id ?? '');
    } catch (err) {
      this.setState(id, 'failed', (err as Error).message);
      return;
    }
    const samples = [{ t: Date.now(), n: row.done + row.failed }];
    this.samples.set(id, samples);
    for (;;) {
      if (this.store.state(id) !== 'running' || this.closed) return; // paused, cancelled, or shutting down
      const items = this.store.todo(id, this.options.batchSize);
      if (items.length === 0) {
        this.setState(id, 'done');
        return;
      }
      const { requests, skipped } = this.requestsFor(items, captioner.encoderId);
      let outcomes: CaptionOutcome[];
      try {
        outcomes = requests.length ? await captioner.caption(requests) : [];
      } catch (err) {
        // The pipeline itself failed (not one photo): stop the job, keep it resumable.
        this.setState(id, 'failed', `captioning stopped: ${(err as Error).message}`);
        return;
      }
      const events = this.recordBatch(id, items, skipped, outcomes, captioner);
      const job = this.get(id)!;
      samples.push({ t: Date.now(), n: job.done + job.failed });
      while (samples.length > 2 && samples[samples.length - 1].t - samples[0].t > RATE_WINDOW_MS) samples.shift();
      if (events.length) this.options.onPhotos(events);
      this.options.onJob(this.get(id)!);
      if (outcomes.length < requests.length && outcomes.length === 0) {
        this.setState(id, 'failed', 'the captioner returned no results');
        return;
      }
    }
  }

  /** What to ask the captioner for (with cached features and missing thumbnails), and the items it cannot do. */
  private requestsFor(items: JobItem[], encoderId: string): { requests: CaptionRequest[]; skipped: number[] } {
    const requests: CaptionRequest[] = [];
    const skipped: number[] = [];
    for (const it of items) {
      if (it.status === 'missing' || it.status === 'error' || !it.hash) {
        skipped.push(it.id);
        continue;
      }
      const thumbPath = join(this.options.thumbsDir, `${it.hash}.webp`);
      requests.push({
        id: it.id,
        path: it.path,
        feature: this.tables.features.get(it.hash, encoderId),
        thumbPath: existsSync(thumbPath) ? undefined : thumbPath,
      });
    }
    return { requests, skipped };
  }

  /** One batch's results, in one transaction. Items the captioner did not answer for stay 'todo' and are retried next batch. */
  private recordBatch(id: number, items: JobItem[], skipped: number[], outcomes: CaptionOutcome[], captioner: Captioner): PhotoCaptioned[] {
    const { photos, captions, features, tags } = this.tables;
    const byId = new Map(items.map((it) => [it.id, it]));
    const events: PhotoCaptioned[] = [];
    this.store.transaction(() => {
      const now = Date.now();
      for (const pid of skipped) this.store.setItem(id, pid, 'skipped');
      let done = skipped.length;
      let failed = 0;
      for (const o of outcomes) {
        const it = byId.get(o.id);
        if (!it) continue;
        if (o.ok) {
          if (o.feature && it.hash) features.put(it.hash, captioner.encoderId, o.feature, now);
          captions.addModel(it.id, { text: o.caption, modelId: captioner.modelId, score: o.score, alternatives: o.alternatives }, now);
          const feature = o.feature ?? (it.hash ? features.get(it.hash, captioner.encoderId) : undefined);
          if (feature)
            tags.replaceModel(it.id, captioner.modelId, this.options.deriveTags(captioner.modelId, feature, o.objectCounts), now);
          const thumb = o.thumbWritten || existsSync(join(this.options.thumbsDir, `${it.hash}.webp`)) ? `${it.hash}.webp` : it.thumb;
          photos.markCaptioned(it.id, thumb, now);
          this.store.setItem(id, it.id, 'done');
          done++;
          events.push({ photoId: it.id, path: it.path, status: 'captioned', caption: photos.shownCaption(it.id), kind: null, error: null });
        } else {
          photos.markFailed(it.id, o.kind, o.message, now);
          this.store.setItem(id, it.id, 'error');
          failed++;
          events.push({ photoId: it.id, path: it.path, status: 'error', caption: null, kind: o.kind, error: o.message });
        }
      }
      this.store.addCounts(id, done, failed, now);
    });
    return events;
  }
}
