/**
 * The renderer's job and folder state (src/renderer/jobState.ts) when snapshots arrive out of
 * order: a list fetched over HTTP answers after the event stream told of newer progress, events
 * come in any order, ids come back after finished jobs were cleared. Each case feeds the
 * adversarial order that left the Jobs panel at "0 / 6 · running" while the core said done.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/shared/api-contract.js';
import { EMPTY_JOB_BOOK, laterJob, missedProgress, newerOf, withJobEvent, withJobList, type JobBook } from '../../src/renderer/jobState.js';

const CREATED = 1_796_000_000_000;

function job(id: number, status: Job['status'], done: number, extra: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'caption',
    status,
    folderId: 1,
    modelId: 'default@1',
    createdAt: CREATED + id,
    done,
    failed: 0,
    total: 6,
    rate: null,
    etaSeconds: null,
    message: null,
    ...extra,
  };
}

/** The events in arrival order, each stamped by the clock as it arrives (after `from`). */
function events(book: JobBook, from: number, ...jobs: Job[]): JobBook {
  return jobs.reduce((b, j, i) => withJobEvent(b, j, from + 1 + i), book);
}

const shown = (book: JobBook, id: number) => {
  const j = book.jobs.get(id);
  return j && `${j.status} ${j.done + j.failed}/${j.total}`;
};

describe('job snapshots merged out of order', () => {
  it('a jobs.list sent before the events and answered after them does not undo them', () => {
    // Stamp 1: the initial jobs.list is sent. Stamps 2-4: the stream reports the whole job. Then the list answers.
    let book = events(EMPTY_JOB_BOOK, 1, job(1, 'running', 0), job(1, 'running', 6), job(1, 'done', 6));
    book = withJobList(book, [job(1, 'running', 0)], 1);
    expect(shown(book, 1)).toBe('done 6/6');
  });

  it('a finished job never goes back to running, whatever order its events come in', () => {
    const book = events(EMPTY_JOB_BOOK, 0, job(1, 'running', 6), job(1, 'done', 6), job(1, 'running', 0), job(1, 'running', 3));
    expect(shown(book, 1)).toBe('done 6/6');
  });

  it('progress never moves backwards within a running job', () => {
    const book = events(EMPTY_JOB_BOOK, 0, job(1, 'running', 4), job(1, 'running', 2));
    expect(shown(book, 1)).toBe('running 4/6');
  });

  it('a list answered late keeps a job it does not know of, when an event told of it after the list was asked for', () => {
    let book = withJobEvent(EMPTY_JOB_BOOK, job(1, 'done', 6), 1);
    // Stamp 2: jobs.list sent. Stamp 3: a new job's first event.
    book = withJobEvent(book, job(2, 'queued', 0), 3);
    book = withJobList(book, [job(1, 'done', 6)], 2);
    expect(shown(book, 2)).toBe('queued 0/6');
    expect(shown(book, 1)).toBe('done 6/6');
  });

  it('a list drops the jobs it no longer has that nothing newer told of (Clear finished)', () => {
    let book = events(EMPTY_JOB_BOOK, 0, job(1, 'done', 6), job(2, 'running', 1));
    book = withJobList(book, [job(2, 'running', 2)], 3);
    expect([...book.jobs.keys()]).toEqual([2]);
    expect(shown(book, 2)).toBe('running 2/6');
  });

  it('a list asked for before Clear finished and answered after it does not bring the cleared jobs back', () => {
    let book = events(EMPTY_JOB_BOOK, 0, job(1, 'done', 6), job(2, 'running', 1));
    // Stamp 3: a jobs.list sent. Stamp 4: jobs.clearFinished answers. Then the older list answers.
    book = withJobList(book, [job(2, 'running', 2)], 4);
    book = withJobList(book, [job(2, 'running', 3), job(1, 'done', 6)], 3);
    expect([...book.jobs.keys()]).toEqual([2]);
    expect(shown(book, 2)).toBe('running 3/6');
  });

  it('with the same progress, the snapshot stamped later wins: a pause is not undone by a list asked for before it', () => {
    let book = withJobEvent(EMPTY_JOB_BOOK, job(1, 'running', 3), 1);
    // Stamp 2: jobs.list sent. Stamp 3: the pause's event. The list then answers with the job still running.
    book = withJobEvent(book, job(1, 'paused', 3), 3);
    book = withJobList(book, [job(1, 'running', 3)], 2);
    expect(shown(book, 1)).toBe('paused 3/6');
    // A list asked for after the pause reports the resume (same progress): it wins.
    book = withJobList(book, [job(1, 'queued', 3)], 4);
    expect(shown(book, 1)).toBe('queued 3/6');
  });

  it('a list further along than the events (some were missed) is taken, and says so', () => {
    const book = withJobEvent(EMPTY_JOB_BOOK, job(1, 'running', 0), 2);
    expect(missedProgress(book, [job(1, 'done', 6)])).toBe(true);
    expect(shown(withJobList(book, [job(1, 'done', 6)], 1), 1)).toBe('done 6/6');
    expect(missedProgress(withJobEvent(book, job(1, 'done', 6), 3), [job(1, 'running', 0)])).toBe(false);
    expect(missedProgress(book, [job(1, 'running', 0)])).toBe(false);
  });

  it('an id used again after the finished job was cleared is a new job, not an old snapshot', () => {
    const old = job(5, 'done', 6);
    const reborn = job(5, 'queued', 0, { createdAt: old.createdAt + 60_000, total: 3 });
    let book = withJobEvent(EMPTY_JOB_BOOK, old, 1);
    book = withJobEvent(book, reborn, 2);
    expect(shown(book, 5)).toBe('queued 0/3');
    // And a late list holding the old job does not bring it back.
    book = withJobList(book, [old], 1);
    expect(shown(book, 5)).toBe('queued 0/3');
    expect(laterJob(old, reborn)).toBe(reborn);
  });
});

describe('stamped snapshots (the folder list)', () => {
  it('a refetch answered after a newer event or a later refetch is dropped', () => {
    let folders = { value: 'initial', stamp: 0 };
    // Stamp 1: folders.list sent. Stamp 2: a folders event arrives. Stamp 3: another folders.list sent.
    folders = newerOf(folders, 'event', 2);
    folders = newerOf(folders, 'list sent at 1', 1);
    expect(folders.value).toBe('event');
    folders = newerOf(folders, 'list sent at 3', 3);
    expect(folders.value).toBe('list sent at 3');
  });
});
