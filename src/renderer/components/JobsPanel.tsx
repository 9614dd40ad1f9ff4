/** Running and recent jobs: progress bar, rate, ETA, and pause/resume/cancel. */
import type { ApiClient, Job } from '../../shared/api-contract.js';
import { formatDuration } from '../format.js';

const kindLabel: Record<string, string> = { caption: 'Captioning', scan: 'Scanning', recaption: 'Re-captioning' };

export function JobsPanel({ client, jobs, onError }: { client: ApiClient; jobs: Job[]; onError(message: string): void }) {
  if (jobs.length === 0) return null;
  const act = (method: 'jobs.pause' | 'jobs.resume' | 'jobs.cancel', id: number) =>
    client.call(method, { id }).catch((err: Error) => onError(err.message));
  return (
    <section className="jobs" aria-label="Jobs" data-testid="jobs">
      <h2>Jobs</h2>
      {jobs.map((job) => {
        const pct = job.total > 0 ? Math.floor(((job.done + job.failed) / job.total) * 100) : job.status === 'done' ? 100 : 0;
        const live = job.status === 'running' || job.status === 'queued' || job.status === 'paused';
        return (
          <div className={`job job-${job.status}`} key={job.id} data-testid="job">
            <div className="job-title">
              <span>{kindLabel[job.kind] ?? job.kind}</span>
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
              aria-label={`${kindLabel[job.kind] ?? job.kind} progress`}
            >
              <div className="progress-fill" style={{ width: `${pct}%` }} />
            </div>
            <div className="job-meta small muted">
              {(job.done + job.failed).toLocaleString()} / {job.total.toLocaleString()}
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
