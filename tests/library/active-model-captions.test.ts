/**
 * The shown caption follows the active model: the user's caption if any, else the active
 * model's. Activating a model and rolling back to the one a version was taught from both start
 * a re-captioning job, even though every photo already has the older model's caption somewhere
 * in its history; afterwards every photo without a user caption shows the active model's.
 * Real photos, a real trained model (tests/library/model.ts) under two names, a real library.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { Teacher } from '../../src/main/teach/teach-job.js';
import { tempDir } from './fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './model.js';

const modelDir = testModelDir();
const USER_CAPTION = 'grandma feeding the ducks at the lake';

describe.skipIf(!modelDir)('captions follow the active model (activate, roll back)', () => {
  let root: string;
  let lib: Library;
  let userPhoto: number;

  beforeAll(() => {
    root = tempDir('lenscribe-active-model-');
    const photos = join(root, 'photos');
    mkdirSync(photos, { recursive: true });
    for (const [i, p] of flickrPhotos(6, 220).entries()) copyFileSync(join(FLICKR, p.file), join(photos, `photo${i}.jpg`));
    lib = Library.open(join(root, 'lib'), { registerDefaultModel: false, batchSize: 4 });
  });

  afterAll(async () => {
    await lib?.close();
  });

  /** Model B: the same weights under another name (another caption source), taught from `baseId` as far as its manifest says. */
  function registerTaughtCopy(baseId: string): string {
    const dir = join(root, 'taught-model');
    cpSync(modelDir!, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    manifest.name = 'library-test-taught';
    manifest.training = { ...manifest.training, options: { ...manifest.training?.options, baseModelId: baseId } };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    return lib.registerModel(dir).id;
  }

  function expectShown(modelId: string): void {
    const items = lib.listPhotos({ limit: 100 }).items;
    expect(items).toHaveLength(6);
    for (const p of items) {
      expect(p.status).toBe('captioned');
      if (p.id === userPhoto) {
        expect(p.caption).toBe(USER_CAPTION);
        expect(p.captionSource).toBe('user');
      } else {
        expect(p.captionSource).toBe(modelId);
        expect(lib.getPhoto(p.id)!.history[0].source).toBe(modelId);
      }
    }
  }

  it("shows model A's captions, then B's after activating B, then A's again after rolling back; user captions stay", async () => {
    const a = lib.registerModel(modelDir!, { activate: true }).id;
    const added = await lib.addFolder(join(root, 'photos'));
    expect((await lib.waitForJob(added.jobId!)).status).toBe('done');
    userPhoto = lib.listPhotos({ limit: 100 }).items[0].id;
    lib.setUserCaption(userPhoto, USER_CAPTION);
    expectShown(a);

    const b = registerTaughtCopy(a);
    expect(b).not.toBe(a);
    const activated = lib.activateModel(b);
    expect(activated.jobId).not.toBeNull();
    expect((await lib.waitForJob(activated.jobId!)).status).toBe('done');
    expectShown(b);

    // Roll back through teaching, as the Teach page's "Roll back to default" does.
    const rolledBack = new Teacher(lib).rollback();
    expect(rolledBack.model.id).toBe(a);
    expect(rolledBack.jobId).not.toBeNull();
    const job = await lib.waitForJob(rolledBack.jobId!);
    expect(job).toMatchObject({ status: 'done', modelId: a, done: 5, failed: 0 });
    expectShown(a);

    // Activating B again also re-captions (B's older captions are behind A's newer ones).
    const again = lib.activateModel(b);
    expect(again.jobId).not.toBeNull();
    expect((await lib.waitForJob(again.jobId!)).status).toBe('done');
    expectShown(b);
    // Nothing is stale any more: re-captioning with the active model finds nothing to do.
    expect(lib.queueCaptioning({ recaption: true })).toBeNull();
  });

  it("cancels the replaced model's unfinished job, so it cannot bring that model's captions back", async () => {
    const b = lib.activeModel()!.id;
    const a = lib.listModels().find((m) => m.id !== b)!.id;
    // A job for A still waiting in the queue (queued, not started: the previous activation's, say).
    const stale = lib.jobs.enqueue({ modelId: a, recaption: true });
    expect(stale).not.toBeNull();
    lib.activateModel(b);
    await lib.runJobs();
    expect(lib.jobs.get(stale!)!.status).toBe('cancelled');
    expectShown(b);
  });
});
