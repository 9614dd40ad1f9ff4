/**
 * Captioning through the real pipeline: the real encoder (ONNX, worker thread) and a real
 * decoder trained by the project's trainer on Flickr8k photos (tests/library/model.ts).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { tempDir, writeBrokenCorpus, writeTruncatedJpeg } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const modelDir = testModelDir();
const why = `Flickr8k (${FLICKR}; LENSCRIBE_DATASETS says where the datasets are) is not on this machine, so no real caption model can be trained`;

describe.skipIf(!modelDir)('captioning jobs (real encoder + trained decoder)', () => {
  let root: string;
  let photos: string;
  let lib: Library;

  beforeAll(async () => {
    root = tempDir();
    photos = join(root, 'photos');
    mkdirSync(join(photos, 'trip'), { recursive: true });
    for (const [i, p] of flickrPhotos(8, 200).entries())
      copyFileSync(join(FLICKR, p.file), join(photos, i < 4 ? '' : 'trip', `photo${i}.jpg`));
    copyFileSync(join(photos, 'photo0.jpg'), join(photos, 'trip', 'duplicate of photo0.jpg'));
    await writeBrokenCorpus(join(photos, 'broken'));
    await writeTruncatedJpeg(join(photos, 'broken', 'truncated.jpg'), 3);
    lib = Library.open(join(root, 'lib'), { registerDefaultModel: false, batchSize: 4 });
    lib.registerModel(modelDir!, { activate: true });
  });

  afterAll(async () => {
    await lib?.close();
  });

  it('captions a folder: captions with alternatives, thumbnails, shared features for duplicates, a specific error per bad file', async () => {
    const jobEvents: number[] = [];
    lib.on('job', (j) => jobEvents.push(j.done + j.failed));
    const { jobId, scan } = await lib.addFolder(photos);
    expect(scan.scanned).toBe(9 + 6);
    expect(jobId).not.toBeNull();
    const job = await lib.waitForJob(jobId!);
    expect(job.status).toBe('done');
    // 9 good photos, the truncated one (its header reads; it fails when decoded) and the 5 files
    // the scan could not read: the job counts those too, so it and the folder say the same.
    expect(job.total).toBe(15);
    expect(job.done).toBe(9);
    expect(job.failed).toBe(6);
    expect(lib.listFolders()[0].errorCount).toBe(job.failed);
    expect(jobEvents.length).toBeGreaterThanOrEqual(3);

    const page = lib.listPhotos({ limit: 100 });
    const good = page.items.filter((p) => !p.relPath.startsWith('broken/'));
    expect(good).toHaveLength(9);
    for (const p of good) {
      expect(p.status).toBe('captioned');
      expect(p.caption).toMatch(/^[a-z]+( [a-z]+)+$/);
      expect(p.captionSource).toBe(lib.activeModel()!.id);
      expect(p.thumb).toMatch(/^[0-9a-f]{64}\.webp$/);
      expect(existsSync(join(lib.thumbsDir(), p.thumb!))).toBe(true);
      const alts = await lib.alternatives(p.id);
      expect(alts.length).toBeGreaterThanOrEqual(1);
      expect(alts[0].text).toBe(p.caption);
    }
    const dup = good.find((p) => p.name === 'duplicate of photo0.jpg')!;
    const orig = good.find((p) => p.name === 'photo0.jpg')!;
    expect(dup.caption).toBe(orig.caption);
    expect(dup.thumb).toBe(orig.thumb);
    expect(lib.db.prepare('SELECT count(*) AS n FROM features').get()).toEqual({ n: 8 }); // 9 photos, 8 distinct contents

    const truncated = lib.getPhoto(lib.photoIdByPath(join(photos, 'broken', 'truncated.jpg'))!)!;
    expect(truncated.status).toBe('error');
    expect(truncated.error).toMatch(/^(truncated|corrupt): /);
    expect(Object.keys(lib.errorsByKind()).sort()).toEqual(
      ['corrupt', 'empty', 'not-image', 'too-large', 'truncated']
        .filter((k) => k !== (truncated.error!.startsWith('corrupt') ? 'truncated' : ''))
        .sort(),
    );

    // The captions are searchable at once.
    const word = orig.caption!.split(' ').sort((a, b) => b.length - a.length)[0];
    lib.db.exec(`INSERT INTO photos_fts(photos_fts, rank) VALUES ('integrity-check', 1)`);
    expect(lib.search(word, { similarWords: false }).hits.map((h) => h.photo.id)).toContain(orig.id);
  });

  it('a folder of only unreadable files gets a job that ends at once and counts them; a rescan of them unchanged adds no job', async () => {
    const bad = join(root, 'unreadable');
    const kinds = await writeBrokenCorpus(bad);
    const { folder, jobId } = await lib.addFolder(bad);
    expect(jobId).not.toBeNull();
    const job = await lib.waitForJob(jobId!);
    expect(job).toMatchObject({ status: 'done', total: 5, done: 0, failed: 5 });
    expect(lib.getFolder(folder.id)!.errorCount).toBe(job.failed);
    expect(
      lib
        .listPhotos({ folderId: folder.id, limit: 10 })
        .items.map((p) => [p.name, p.status])
        .sort(),
    ).toEqual(
      Object.keys(kinds)
        .map((name) => [name, 'error'])
        .sort(),
    );
    const jobsBefore = lib.listJobs().length;
    const again = await lib.rescan(folder.id);
    expect(again.jobId).toBeNull();
    expect(lib.listJobs()).toHaveLength(jobsBefore);
    expect(lib.getFolder(folder.id)!.errorCount).toBe(5);
    lib.removeFolder(folder.id);
  });

  it('re-captioning with another model never replaces a user caption, and reuses cached features', async () => {
    const target = lib.listPhotos({ limit: 100 }).items.find((p) => p.name === 'photo1.jpg')!;
    lib.setUserCaption(target.id, 'my sister on the pier in Brighton');
    // A second model: same weights under another name is another caption source.
    const second = join(root, 'second-model');
    cpSync(modelDir!, second, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(second, 'model.json'), 'utf8'));
    manifest.name = 'library-test-second';
    writeFileSync(join(second, 'model.json'), JSON.stringify(manifest));
    const info = lib.registerModel(second);
    const featuresBefore = lib.db.prepare('SELECT count(*) AS n FROM features').get();
    const { jobId } = lib.activateModel(info.id);
    expect(jobId).not.toBeNull();
    const job = await lib.waitForJob(jobId!);
    expect(job.status).toBe('done');
    expect(job.done).toBe(9);
    expect(lib.db.prepare('SELECT count(*) AS n FROM features').get()).toEqual(featuresBefore);
    const p = lib.getPhoto(target.id)!;
    expect(p.caption).toBe('my sister on the pier in Brighton');
    expect(p.captionSource).toBe('user');
    expect(p.history.map((h) => h.source)).toEqual([info.id, 'user', expect.stringMatching(/^library-test@/)]);
    const other = lib.listPhotos({ limit: 100 }).items.find((q) => q.name === 'photo2.jpg')!;
    expect(other.captionSource).toBe(info.id);
  });

  it('pauses, resumes and cancels a job between batches', async () => {
    const third = join(root, 'third-model');
    cpSync(modelDir!, third, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(third, 'model.json'), 'utf8'));
    manifest.name = 'library-test-third';
    writeFileSync(join(third, 'model.json'), JSON.stringify(manifest));
    const info = lib.registerModel(third);
    let paused = false;
    const off = lib.on('job', (j) => {
      if (!paused && j.status === 'running' && j.done > 0) {
        paused = true;
        lib.pauseJob(j.id);
      }
    });
    const { jobId } = lib.activateModel(info.id);
    await new Promise((r) => setTimeout(r, 100));
    await lib.runJobs();
    off();
    let job = lib.listJobs().find((j) => j.id === jobId)!;
    expect(job.status).toBe('paused');
    expect(job.done).toBeGreaterThan(0);
    expect(job.done).toBeLessThan(job.total);
    lib.resumeJob(jobId!);
    job = await lib.waitForJob(jobId!);
    expect(job.status).toBe('done');
    expect(job.done).toBe(job.total);

    // Cancel: a job for yet another model, cancelled at once — no caption is added.
    const fourth = join(root, 'fourth-model');
    cpSync(modelDir!, fourth, { recursive: true });
    const m4 = JSON.parse(readFileSync(join(fourth, 'model.json'), 'utf8'));
    m4.name = 'library-test-fourth';
    writeFileSync(join(fourth, 'model.json'), JSON.stringify(m4));
    const captionsBefore = lib.db.prepare('SELECT count(*) AS n FROM captions').get();
    const { jobId: cancelId } = lib.activateModel(lib.registerModel(fourth).id);
    expect(lib.cancelJob(cancelId!).status).toBe('cancelled');
    await lib.runJobs();
    expect(lib.listJobs().find((j) => j.id === cancelId)).toMatchObject({ status: 'cancelled', done: 0 });
    expect(lib.db.prepare('SELECT count(*) AS n FROM captions').get()).toEqual(captionsBefore);
    expect(lib.listPhotos({ status: 'captioned', limit: 100 }).total).toBe(9);
    expect(lib.queueCaptioning({ recaption: true, photoIds: [] })).toBeNull();

    // Finished jobs can be forgotten; a job still waiting stays, and the photos keep their captions.
    // A job waiting for another model (not started here): it must stay.
    const waiting = lib.stores.jobs.enqueue({
      modelId: 'other@test',
      recaption: true,
      photoIds: [lib.listPhotos({ status: 'captioned', limit: 1 }).items[0]!.id],
    })!;
    lib.pauseJob(waiting);
    const ended = lib.listJobs().filter((j) => j.status === 'done' || j.status === 'cancelled' || j.status === 'failed').length;
    expect(ended).toBeGreaterThanOrEqual(2);
    expect(lib.listJobs()[0]!.createdAt).toBeGreaterThan(Date.now() - 600_000);
    expect(lib.clearFinishedJobs()).toBe(ended);
    expect(lib.listJobs().map((j) => j.status)).toEqual(['paused']);
    expect(lib.db.prepare('SELECT count(*) AS n FROM job_items WHERE job_id NOT IN (SELECT id FROM jobs)').get()).toEqual({ n: 0 });
    expect(lib.listPhotos({ status: 'captioned', limit: 100 }).total).toBe(9);
    lib.cancelJob(waiting);
  });

  it("expands searches with the active model's own word embeddings (W_embed)", async () => {
    expect(await lib.expansionReady()).toBe(true);
    const { loadWordEmbeddings } = await import('../../src/inference/caption-pipeline.js');
    const table = (await loadWordEmbeddings(modelDir!))!;
    expect(table.vocab.slice(0, 4)).toEqual(['<pad>', '<start>', '<end>', '<unk>']);
    expect(table.vectors.length).toBe(table.vocab.length * table.dim);
    const r = lib.search('dog');
    for (const e of r.expanded) for (const w of e.similar) expect(table.vocab).toContain(w);
    expect(r.hits.filter((h) => !h.viaSimilar).every((h, i, a) => i === 0 || !a[i - 1].viaSimilar)).toBe(true);
  });
});

describe.skipIf(!!modelDir)('captioning jobs', () => {
  it.skip(why, () => {});
});
