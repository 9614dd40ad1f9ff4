/**
 * The jobs and job_items tables: the captioning queue as it is on disk. Kept apart from the
 * runner (jobs.ts) so the queue's SQL — what "queued", "todo" and "resumable" mean — is in one
 * place, and the runner only decides what to do next.
 */
import { isReadOnly, type DB } from './db.js';
import { FOLDER_ORDER } from './photos.js';

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface JobRow {
  id: number;
  kind: string;
  state: JobState;
  model_id: string | null;
  folder_id: number | null;
  message: string | null;
  total: number;
  done: number;
  failed: number;
  created_at: number;
}

/** A photo a job still has to caption. */
export interface JobItem {
  id: number;
  path: string;
  hash: string | null;
  status: string;
  thumb: string | null;
}

/** The kind of the job that activating a model queues: re-captioning with it (resumable like any job). */
export const ACTIVATION_JOB_KIND = 'recaption';
/** The user asked for some photos to be captioned again (the grid's selection). */
export const SELECTION_RECAPTION_KIND = 'recaption-selected';

export interface EnqueueOptions {
  modelId: string;
  /** 'caption' (default) or ACTIVATION_JOB_KIND. */
  kind?: string;
  folderId?: number;
  photoIds?: number[];
  recaption?: boolean;
  /** With recaption: also the photos whose caption is already this model's (captioned again with today's settings). */
  again?: boolean;
  /**
   * Photos of the scan this job follows whose file could not be read: the job counts them as
   * failed (so the job and the folder say the same number), and has nothing to do for them.
   */
  failedAtScan?: number[];
}

export class JobStore {
  constructor(private readonly db: DB) {}

  /** A job that was running when the process died resumes: its finished batches are committed. */
  requeueRunning(): void {
    if (isReadOnly(this.db)) return; // a library opened read-only is only read
    this.db.prepare(`UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'`).run(Date.now());
  }

  /**
   * Queue captioning of photos. recaption = false: photos still pending. recaption = true:
   * every photo whose newest model caption is missing or not from `modelId` (an older caption
   * from `modelId` deeper in the history does not count: the newest model caption is the one
   * shown when there is no user caption). User captions stay shown. Photos already waiting in
   * an unfinished job are not queued twice. Returns null when there is nothing to do or report.
   */
  enqueue(opts: EnqueueOptions): number | null {
    const now = Date.now();
    const conds: string[] = [];
    const params: Record<string, unknown> = { modelId: opts.modelId };
    conds.push(
      opts.recaption && opts.again
        ? `p.status IN ('pending', 'captioned')`
        : opts.recaption
          ? `p.status IN ('pending', 'captioned') AND (SELECT c.source FROM captions c WHERE c.photo_id = p.id AND c.is_user = 0
             ORDER BY c.id DESC LIMIT 1) IS NOT @modelId`
          : `p.status = 'pending'`,
    );
    if (opts.folderId !== undefined) {
      conds.push('p.folder_id = @folderId');
      params.folderId = opts.folderId;
    }
    if (opts.photoIds) {
      conds.push(`p.id IN (SELECT value FROM json_each(@ids))`);
      params.ids = JSON.stringify(opts.photoIds);
    }
    conds.push(`NOT EXISTS (SELECT 1 FROM job_items i JOIN jobs j ON j.id = i.job_id
                 WHERE i.photo_id = p.id AND i.state = 'todo' AND j.state IN ('queued', 'running', 'paused'))`);
    return this.db.transaction(() => {
      const job = this.db
        .prepare(
          `INSERT INTO jobs (kind, state, model_id, folder_id, created_at, updated_at) VALUES (@kind, 'queued', @modelId, @folderId, @now, @now)`,
        )
        .run({ kind: opts.kind ?? 'caption', modelId: opts.modelId, folderId: opts.folderId ?? null, now });
      const id = Number(job.lastInsertRowid);
      const n = this.db
        .prepare(
          `INSERT INTO job_items (job_id, photo_id, rank)
           SELECT @id, p.id, row_number() OVER (ORDER BY ${FOLDER_ORDER}) FROM photos p WHERE ${conds.join(' AND ')}`,
        )
        .run({ ...params, id }).changes;
      const failed = opts.failedAtScan?.length ? this.addFailedAtScan(id, opts.failedAtScan, opts.folderId) : 0;
      if (n + failed === 0) {
        this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
        return null;
      }
      this.db.prepare('UPDATE jobs SET total = ?, failed = ? WHERE id = ?').run(n + failed, failed, id);
      return id;
    })();
  }

  /** Items already failed for the photos among `photoIds` that are still failed (and in the folder); how many. */
  private addFailedAtScan(jobId: number, photoIds: number[], folderId: number | undefined): number {
    return this.db
      .prepare(
        `INSERT OR IGNORE INTO job_items (job_id, photo_id, state)
         SELECT @jobId, p.id, 'error' FROM photos p
         WHERE p.id IN (SELECT value FROM json_each(@ids)) AND p.status = 'error' AND (@folderId IS NULL OR p.folder_id = @folderId)`,
      )
      .run({ jobId, ids: JSON.stringify(photoIds), folderId: folderId ?? null }).changes;
  }

  row(id: number): JobRow | undefined {
    return this.db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  }

  /** Newest first. */
  recent(limit: number): JobRow[] {
    return this.db.prepare<[number], JobRow>('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit);
  }

  /** Delete the jobs that ended (done, cancelled, failed) with their items; the photos keep what the jobs wrote. */
  clearFinished(): number {
    return this.db.prepare(`DELETE FROM jobs WHERE state IN ('done', 'cancelled', 'failed')`).run().changes;
  }

  unfinished(): JobRow[] {
    return this.db.prepare<[], JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running', 'paused') ORDER BY id`).all();
  }

  /** The oldest job that should run now. */
  next(): JobRow | undefined {
    return this.db.prepare<[], JobRow>(`SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id LIMIT 1`).get();
  }

  state(id: number): JobState | undefined {
    return (this.db.prepare('SELECT state FROM jobs WHERE id = ?').get(id) as { state: JobState } | undefined)?.state;
  }

  setState(id: number, state: JobState, message: string | null): void {
    this.db.prepare('UPDATE jobs SET state = ?, message = ?, updated_at = ? WHERE id = ?').run(state, message, Date.now(), id);
  }

  /** The next photos of a job still to do: those last on the user's screen first, then in folder order (the grid's). */
  todo(id: number, limit: number): JobItem[] {
    return this.db
      .prepare<[number, number], JobItem>(
        `SELECT p.id, p.path, p.hash, p.status, p.thumb FROM job_items i JOIN photos p ON p.id = i.photo_id
         WHERE i.job_id = ? AND i.state = 'todo' ORDER BY i.wanted DESC, i.rank, i.photo_id LIMIT ?`,
      )
      .all(id, limit);
  }

  /** These photos are on the user's screen now: any job still to caption them takes them next. How many were waiting. */
  want(photoIds: readonly number[], now = Date.now()): number {
    return this.db
      .prepare(`UPDATE job_items SET wanted = ? WHERE state = 'todo' AND photo_id IN (SELECT value FROM json_each(?))`)
      .run(now, JSON.stringify(photoIds)).changes;
  }

  setItem(jobId: number, photoId: number, state: 'done' | 'error' | 'skipped'): void {
    this.db.prepare('UPDATE job_items SET state = ? WHERE job_id = ? AND photo_id = ?').run(state, jobId, photoId);
  }

  addCounts(id: number, done: number, failed: number, now: number): void {
    this.db.prepare('UPDATE jobs SET done = done + ?, failed = failed + ?, updated_at = ? WHERE id = ?').run(done, failed, now, id);
  }

  /** Run `fn` as one transaction: a batch's captions, features, statuses and item states land together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
