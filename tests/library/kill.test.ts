/**
 * A kill at any moment leaves a consistent library and a resumable job: `lenscribe caption`
 * is SIGKILLed after its first batch is committed, then run again.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const modelDir = testModelDir();
const PHOTOS = 48;

describe.skipIf(!modelDir)('SIGKILL mid-job', () => {
  it('keeps the database intact and the user captions, and the job completes on restart', async () => {
    const d = tempDir();
    const photos = join(d, 'photos');
    mkdirSync(photos);
    flickrPhotos(PHOTOS, 500).forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(photos, `p${String(i).padStart(2, '0')}.jpg`)));
    const libDir = join(d, 'lib');
    const lib = Library.open(libDir, { registerDefaultModel: false });
    lib.registerModel(modelDir!, { activate: true });
    await lib.addFolder(photos, { caption: false });
    const mine = lib.listPhotos({ limit: 100 }).items.filter((_, i) => i % 10 === 0);
    for (const p of mine) lib.setUserCaption(p.id, `my own words for ${p.name}`);
    await lib.close();

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'caption', photos, '--library', libDir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : code)));
    // Wait until at least one batch is committed (a second connection reads the WAL).
    const watcher = new Database(join(libDir, 'library.db'), { readonly: true });
    const end = Date.now() + 120_000;
    let done = 0;
    while (Date.now() < end) {
      done = (watcher.prepare(`SELECT coalesce(max(done), 0) AS n FROM jobs`).get() as { n: number }).n;
      if (done > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    watcher.close();
    expect(done).toBeGreaterThan(0);

    // Straight after the kill: consistent, nothing of the user's lost, the job left unfinished.
    const raw = new Database(join(libDir, 'library.db'));
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`);
    const job = raw.prepare('SELECT state, done, failed, total FROM jobs').get() as { state: string; done: number; total: number };
    expect(job.state).toBe('running');
    expect(job.done).toBeLessThan(PHOTOS);
    expect((raw.prepare(`SELECT count(*) AS n FROM job_items WHERE state = 'done'`).get() as { n: number }).n).toBe(job.done);
    expect((raw.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'captioned'`).get() as { n: number }).n).toBe(job.done);
    expect((raw.prepare(`SELECT count(*) AS n FROM captions WHERE is_user = 1`).get() as { n: number }).n).toBe(mine.length);
    raw.close();

    // Restart: the interrupted job resumes and finishes; user captions still shown.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'caption', photos, '--library', libDir, '--json'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(PHOTOS);
    expect(lines.every((l) => l.status === 'captioned')).toBe(true);
    const after = Library.open(libDir, { registerDefaultModel: false });
    try {
      const jobs = after.listJobs();
      expect(jobs).toHaveLength(1); // resumed, not started over
      expect(jobs[0]).toMatchObject({ status: 'done', done: PHOTOS, total: PHOTOS, failed: 0 });
      for (const p of mine) {
        const now = after.getPhoto(p.id)!;
        expect(now.caption).toBe(`my own words for ${p.name}`);
        expect(now.status).toBe('captioned');
      }
      // Each photo captioned exactly once by the model, even the ones of the killed batch.
      expect(after.db.prepare(`SELECT count(*) AS n FROM captions WHERE is_user = 0`).get()).toEqual({ n: PHOTOS });
      expect(after.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await after.close();
    }
  });
});
