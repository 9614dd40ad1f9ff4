/**
 * The persistent captioning queue. Jobs and their items live in SQLite, so a killed process
 * resumes where it stopped: every batch's captions, feature-cache rows, photo statuses and item
 * states are written in one transaction. One job runs at a time, one batch in flight, the
 * heavy lifting in the pipeline's worker thread. Model captions are appended to the history;
 * the shown caption stays the user's when there is one (see the captions triggers).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptionOutcome, CaptionRequest, Captioner } from '../../inference/caption-pipeline.js';
import type { DB } from './db.js';

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface JobInfo {
  id: number;
  kind: string;
  status: JobState;
  folderId: number | null;
  modelId: string | null;
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

interface JobRow {
  id: number;
  kind: string;
  state: JobState;
  model_id: string | null;
  folder_id: number | null;
  message: string | null;
  total: number;
  done: number;
  failed: number;
}

export interface JobRunnerOptions {
  thumbsDir: string;
  batchSize: number;
  /** The captioner for a model id (created once and kept). Throws when the model is unusable. */
  captioner: (modelId: string) => Promise<Captioner>;
  onJob: (job: JobInfo) => void;
  onPhotos: (items: PhotoCaptioned[]) => void;
}

const RATE_WINDOW_MS = 15_000;

export class JobRunner {
  private running: Promise<void> | null = null;
  private readonly samples = new Map<number, Array<{ t: number; n: number }>>();
  private readonly waiters = new Map<number, Array<(job: JobInfo) => void>>();
  private closed = false;

  constructor(
    private readonly db: DB,
    private readonly options: JobRunnerOptions,
  ) {
    // A job that was running when the process died resumes: its finished batches are committed.
    db.prepare(`UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'`).run(Date.now());
  }

  /**
   * Queue captioning of photos. recaption = false: photos still pending. recaption = true:
   * every photo that has no caption from `modelId` yet (user captions stay shown).
   * Photos already waiting in an unfinished job are not queued twice. Returns null when
   * there is nothing to do.
   */
  enqueue(opts: { modelId: string; folderId?: number; photoIds?: number[]; recaption?: boolean }): number | null {
    const now = Date.now();
    const conds: string[] = [];
    const params: Record<string, unknown> = { modelId: opts.modelId };
    conds.push(
      opts.recaption
        ? `p.status IN ('pending', 'captioned') AND NOT EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = p.id AND c.source = @modelId)`
        : `p.status = 'pending'`,
    );
    if (opts.folderId !== undefined) {
      conds.push('p.folder_id = @folderId');
      params.folderId = opts.folderId;
    }
    if (opts.photoIds) (conds.push(`p.id IN (SELECT value FROM json_each(@ids))`), (params.ids = JSON.stringify(opts.photoIds)));
    conds.push(`NOT EXISTS (SELECT 1 FROM job_items i JOIN jobs j ON j.id = i.job_id
                 WHERE i.photo_id = p.id AND i.state = 'todo' AND j.state IN ('queued', 'running', 'paused'))`);
    return this.db.transaction(() => {
      const job = this.db
        .prepare(
          `INSERT INTO jobs (kind, state, model_id, folder_id, created_at, updated_at) VALUES ('caption', 'queued', @modelId, @folderId, @now, @now)`,
        )
        .run({ modelId: opts.modelId, folderId: opts.folderId ?? null, now });
      const id = Number(job.lastInsertRowid);
      const n = this.db
        .prepare(`INSERT INTO job_items (job_id, photo_id) SELECT @id, p.id FROM photos p WHERE ${conds.join(' AND ')} ORDER BY p.id`)
        .run({ ...params, id }).changes;
      if (n === 0) {
        this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
        return null;
      }
      this.db.prepare('UPDATE jobs SET total = ? WHERE id = ?').run(n, id);
      return id;
    })();
  }

  get(id: number): JobInfo | null {
    const row = this.db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
    return row ? this.info(row) : null;
  }

  list(limit = 50): JobInfo[] {
    return this.db
      .prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map((r) => this.info(r));
  }

  unfinished(): JobInfo[] {
    return this.db
      .prepare<[], JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running', 'paused') ORDER BY id`)
      .all()
      .map((r) => this.info(r));
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
      done: row.done,
      failed: row.failed,
      total: row.total,
      rate,
      etaSeconds: rate && rate > 0 && row.state === 'running' ? remaining / rate : null,
      message: row.message,
    };
  }

  private setState(id: number, state: JobState, message: string | null = null): JobInfo | null {
    this.db.prepare('UPDATE jobs SET state = ?, message = ?, updated_at = ? WHERE id = ?').run(state, message, Date.now(), id);
    const job = this.get(id);
    if (job) {
      this.options.onJob(job);
      if (state === 'done' || state === 'cancelled' || state === 'failed') {
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
    this.start();
    return out;
  }

  cancel(id: number): JobInfo | null {
    const job = this.get(id);
    if (!job || job.status === 'done' || job.status === 'cancelled' || job.status === 'failed') return job;
    return this.setState(id, 'cancelled');
  }

  /** Resolves when the job reaches done, cancelled or failed. */
  waitFor(id: number): Promise<JobInfo> {
    const job = this.get(id);
    if (!job) return Promise.reject(new Error(`no job ${id}`));
    if (job.status === 'done' || job.status === 'cancelled' || job.status === 'failed') return Promise.resolve(job);
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
      const row = this.db.prepare<[], JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id LIMIT 1`).get();
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
    const nextItems = this.db.prepare<
      [number, number],
      { id: number; path: string; hash: string | null; status: string; thumb: string | null }
    >(
      `SELECT p.id, p.path, p.hash, p.status, p.thumb FROM job_items i JOIN photos p ON p.id = i.photo_id
       WHERE i.job_id = ? AND i.state = 'todo' ORDER BY i.photo_id LIMIT ?`,
    );
    const cached = this.db.prepare<[string, string], { data: Buffer }>('SELECT data FROM features WHERE hash = ? AND encoder_id = ?');
    for (;;) {
      const state = (this.db.prepare('SELECT state FROM jobs WHERE id = ?').get(id) as { state: JobState } | undefined)?.state;
      if (state !== 'running' || this.closed) return; // paused, cancelled, or shutting down
      const items = nextItems.all(id, this.options.batchSize);
      if (items.length === 0) {
        this.setState(id, 'done');
        return;
      }
      const requests: CaptionRequest[] = [];
      const skipped: number[] = [];
      for (const it of items) {
        if (it.status === 'missing' || it.status === 'error' || !it.hash) {
          skipped.push(it.id);
          continue;
        }
        const hit = cached.get(it.hash, captioner.encoderId);
        const thumbName = `${it.hash}.webp`;
        const haveThumb = existsSync(join(this.options.thumbsDir, thumbName));
        requests.push({
          id: it.id,
          path: it.path,
          feature: hit
            ? new Float32Array(hit.data.buffer.slice(hit.data.byteOffset, hit.data.byteOffset + hit.data.byteLength))
            : undefined,
          thumbPath: haveThumb ? undefined : join(this.options.thumbsDir, thumbName),
        });
      }
      let outcomes: CaptionOutcome[];
      try {
        outcomes = requests.length ? await captioner.caption(requests) : [];
      } catch (err) {
        // The pipeline itself failed (not one photo): stop the job, keep it resumable.
        this.setState(id, 'failed', `captioning stopped: ${(err as Error).message}`);
        return;
      }
      const byId = new Map(items.map((it) => [it.id, it]));
      const events: PhotoCaptioned[] = [];
      this.db.transaction(() => {
        const now = Date.now();
        const setItem = this.db.prepare('UPDATE job_items SET state = ? WHERE job_id = ? AND photo_id = ?');
        for (const pid of skipped) setItem.run('skipped', id, pid);
        let done = skipped.length;
        let failed = 0;
        for (const o of outcomes) {
          const it = byId.get(o.id);
          if (!it) continue;
          if (o.ok) {
            if (o.feature && it.hash) {
              this.db
                .prepare('INSERT OR IGNORE INTO features (hash, encoder_id, dim, data, created_at) VALUES (?, ?, ?, ?, ?)')
                .run(
                  it.hash,
                  captioner.encoderId,
                  o.feature.length,
                  Buffer.from(o.feature.buffer, o.feature.byteOffset, o.feature.byteLength),
                  now,
                );
            }
            this.db
              .prepare(
                'INSERT INTO captions (photo_id, text, source, is_user, score, alternatives, created_at) VALUES (?, ?, ?, 0, ?, ?, ?)',
              )
              .run(it.id, o.caption, captioner.modelId, o.score, JSON.stringify(o.alternatives), now);
            const thumb = o.thumbWritten || existsSync(join(this.options.thumbsDir, `${it.hash}.webp`)) ? `${it.hash}.webp` : it.thumb;
            this.db
              .prepare(
                `UPDATE photos SET status = 'captioned', error_kind = NULL, error = NULL, thumb = ?, updated_at = ? WHERE id = ? AND status != 'missing'`,
              )
              .run(thumb, now, it.id);
            setItem.run('done', id, it.id);
            done++;
            const shown = this.db.prepare('SELECT caption FROM photos WHERE id = ?').get(it.id) as { caption: string | null };
            events.push({ photoId: it.id, path: it.path, status: 'captioned', caption: shown.caption, kind: null, error: null });
          } else {
            this.db
              .prepare(`UPDATE photos SET status = 'error', error_kind = ?, error = ?, updated_at = ? WHERE id = ?`)
              .run(o.kind, o.message, now, it.id);
            setItem.run('error', id, it.id);
            failed++;
            events.push({ photoId: it.id, path: it.path, status: 'error', caption: null, kind: o.kind, error: o.message });
          }
        }
        // Items the captioner did not answer for stay 'todo' and are retried next batch.
        this.db.prepare('UPDATE jobs SET done = done + ?, failed = failed + ?, updated_at = ? WHERE id = ?').run(done, failed, now, id);
      })();
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
}
