/**
 * What the renderer knows of the jobs (and the folder list) when snapshots come from two channels
 * with no order between them: the event stream, and lists fetched over HTTP. A list asked for
 * before an event can answer after it; applied as it came, it put a finished job back to
 * "0 / 6 · running" for good (a finished job sends no further event to correct it).
 *
 * Every snapshot carries a stamp from one clock in the renderer: an event the tick it arrived, a
 * fetched list the tick its request was sent. Of two snapshots of one job the further along wins
 * (a job's done + failed never decreases and a finished job never runs again); when they are as
 * far along (a pause, a resume), the later stamp wins.
 */
import type { Job } from '../shared/api-contract.js';

export interface JobBook {
  jobs: ReadonlyMap<number, Job>;
  /** Per job id: the stamp of the snapshot kept. */
  stamps: ReadonlyMap<number, number>;
  /** The stamp of the newest whole list applied. */
  listedAt: number;
}

export const EMPTY_JOB_BOOK: JobBook = { jobs: new Map(), stamps: new Map(), listedAt: -Infinity };

export const isFinished = (job: Job): boolean => job.status === 'done' || job.status === 'cancelled' || job.status === 'failed';

/**
 * The later of two snapshots of a job id, or null when neither is further along. An id can come
 * back for a new job once the finished one was cleared (SQLite reuses the largest rowid): the
 * one created later is then the newer.
 */
export function laterJob(a: Job, b: Job): Job | null {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? a : b;
  if (isFinished(a) !== isFinished(b)) return isFinished(a) ? a : b;
  const progressA = a.done + a.failed;
  const progressB = b.done + b.failed;
  if (progressA !== progressB) return progressA > progressB ? a : b;
  return null;
}

/** Which of the kept snapshot and an incoming one stays, and with which stamp. */
function pick(book: JobBook, incoming: Job, stamp: number): [Job, number] {
  const kept = book.jobs.get(incoming.id);
  const keptStamp = book.stamps.get(incoming.id) ?? -Infinity;
  if (!kept) return [incoming, stamp];
  const later = laterJob(kept, incoming);
  if (later === kept || (later === null && keptStamp > stamp)) return [kept, keptStamp];
  return [incoming, stamp];
}

/** A 'job' event, stamped when it arrived. */
export function withJobEvent(book: JobBook, job: Job, stamp: number): JobBook {
  const [j, s] = pick(book, job, stamp);
  return { ...book, jobs: new Map(book.jobs).set(j.id, j), stamps: new Map(book.stamps).set(j.id, s) };
}

/**
 * A list of jobs from the core (jobs.list, jobs.clearFinished), stamped when it was asked for.
 * It is the whole list: a job it lacks is gone (cleared), unless an event after the request told
 * of it (a job queued since). A list older than one already applied only updates the jobs kept
 * (it must not bring back jobs cleared since).
 */
export function withJobList(book: JobBook, list: readonly Job[], stamp: number): JobBook {
  const stale = stamp < book.listedAt;
  const jobs = new Map<number, Job>(stale ? book.jobs : []);
  const stamps = new Map<number, number>(stale ? book.stamps : []);
  for (const listed of list) {
    if (stale && !book.jobs.has(listed.id)) continue;
    const [j, s] = pick(book, listed, stamp);
    jobs.set(j.id, j);
    stamps.set(j.id, s);
  }
  for (const [id, j] of book.jobs) {
    const s = book.stamps.get(id) ?? -Infinity;
    if (!jobs.has(id) && s > stamp) {
      jobs.set(id, j);
      stamps.set(id, s);
    }
  }
  return { jobs, stamps, listedAt: Math.max(book.listedAt, stamp) };
}

/** Whether `list` has a job further along than the book: events were missed (the stream opened late or reconnected). */
export function missedProgress(book: JobBook, list: readonly Job[]): boolean {
  return list.some((listed) => {
    const kept = book.jobs.get(listed.id);
    return !kept || laterJob(kept, listed) === listed;
  });
}

/** A value that is replaced whole (the folder list), with the stamp of the snapshot it came from. */
export interface Stamped<T> {
  value: T;
  stamp: number;
}

/** The incoming snapshot, unless what is kept is from later (a refetch answered after a newer event or refetch). */
export function newerOf<T>(current: Stamped<T>, value: T, stamp: number): Stamped<T> {
  return stamp > current.stamp ? { value, stamp } : current;
}
