/** Running and recent jobs: what each does and where, when it started, progress bar, rate, ETA, pause/resume/cancel; finished ones can be cleared. */
import type { ApiClient, Folder, Job } from '../../shared/api-contract.js';
import { formatDuration } from '../format.js';

const folderName = (path: string) => path.split(/[\\/]/).filter(Boolean).pop() ?? path;

/** "Captioning Trip", "Re-captioning with taught-3" (after a model was activated: teaching, a rollback). */
export function jobTitle(job: Job, folders: readonly Folder[]): string {
  const folder = folders.find((f) => f.id === job.folderId);
  if (job.kind === 'recaption') return `Re-captioning with ${job.modelId?.split('@')[0] ?? 'the active model'}`;
  if (job.kind === 'caption') return folder ? `Captioning ${folderName(folder.path)}` : 'Captioning';
  return job.kind;
}

/** "started 14:05", or with the day when it was not today. */
function startedAt(ms: number): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === new Date().toDateString()
    ? `started ${time}`
    : `started ${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

const finished = (job: Job) => job.status === 'done' || job.status === 'cancelled' || job.status === 'failed';

export function JobsPanel({
  client,
  jobs,
  folders,
  onCleared,
  onError,
}: {
  client: ApiClient;
  jobs: Job[];
  folders: readonly Folder[];
  /** The jobs left after finished ones were cleared. */
  onCleared(jobs: Job[]): void;
  onError(message: string): void;
}) {
  if (jobs.length === 0) return null;
  const act = (method: 'jobs.pause' | 'jobs.resume' | 'jobs.cancel', id: number) =>
    client.call(method, { id }).catch((err: Error) => onError(err.message));
  const clear = () => client.call('jobs.clearFinished').then(onCleared, (err: Error) => onError(err.message));
  return (
    <section className="jobs" aria-label="Jobs" data-testid="jobs">
      <div className="jobs-head">
        <h2>Jobs</h2>
        {jobs.some(finished) && (
          <button type="button" className="link-like small" onClick={() => void clear()} data-testid="jobs-clear">
            Clear finished
          </button>
        )}
      </div>
      {jobs.map((job) => {
        const pct = job.total > 0 ? Math.floor(((job.done + job.failed) / job.total) * 100) : job.status === 'done' ? 100 : 0;
        const live = job.status === 'running' || job.status === 'queued' || job.status === 'paused';
        return (
          <div className={`job job-${job.status}`} key={job.id} data-testid="job">
            <div className="job-title">
              <span data-testid="job-title">{jobTitle(job, folders)}</span>
              <span className="job-pct" data-testid="job-percent">
                {pct} %
              </span>
            </div>
            <div
              className="progress"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={pct}
              aria-label={`${jobTitle(job, folders)} progress`}
            >
              <div className="progress-fill" style={{ width: `${pct}%` }} />
            </div>
            <div className="job-meta small muted" data-testid="job-meta">
              <span data-testid="job-started">{startedAt(job.createdAt)}</span> · {(job.done + job.failed).toLocaleString()} /{' '}
              {job.total.toLocaleString()}
              {job.failed > 0 && <span className="error-text"> · {job.failed} failed</span>}
              {job.status === 'running' && job.rate !== null && <> · {job.rate.toFixed(1)}/s</>}
              {job.status === 'running' && <> · ETA {formatDuration(job.etaSeconds)}</>}
              {job.status === 'paused' && <> · paused</>}
              {job.status === 'done' && <> · done</>}
              {job.status === 'cancelled' && <> · cancelled</>}
              {job.status === 'failed' && <span className="error-text"> · failed{job.message ? `: ${job.message}` : ''}</span>}
            </div>
            {live && (
              <div className="button-row">
                {job.status === 'paused' ? (
                  <button onClick={() => act('jobs.resume', job.id)}>Resume</button>
                ) : (
                  <button onClick={() => act('jobs.pause', job.id)}>Pause</button>
                )}
                <button onClick={() => act('jobs.cancel', job.id)}>Cancel</button>
              </div>
            )}
          </div>
        );
      })}
    </section>
  );
}
