/**
 * Teaching survives kills (issue 17, items 3 and 4), with the real CLI (dist/, `node scripts/build.mjs`),
 * real Flickr8k photos, a small real model with a replay set and a real SQLite library:
 *  - SIGKILL during `teach --activate`'s re-captioning, then the same command again: it finishes
 *    the activation (no second model taught on top), every photo without a user caption ends with
 *    the active model's caption, user captions untouched, no job left pinned to another model;
 *  - SIGKILL during training and again while saving, then `--resume`: the run ends exactly as the
 *    same run uninterrupted (epochs, best epoch, scores), and a version beyond the forgetting
 *    budget is not activated even with --confirm-worse.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../src/main/library/library.js';
import { defaultModelDir } from '../../src/shared/paths.js';
import { readTrainingStateSummary } from '../../src/training/checkpoint.js';
import { runKilled } from '../faults/processes.js';
import { tempDir } from '../library/fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from '../library/model.js';

const shared = testModelDir();
const CLI = resolve('dist/cli.js');
/** Features of the replay photos, kept between runs (the test model's encoder, read-only once written). */
const REPLAY_CACHE = join(tmpdir(), 'lenscribe-teach-recovery-cache');
const open = (libDir: string) => Library.open(libDir, { registerDefaultModel: false, importMetadata: false, autoCaption: false });
/**
 * One onnxruntime thread for every CLI run here: the products' rounding differs with the thread
 * count, and a teaching run at a large step amplifies it (the forgetting figure below was -0.31 on
 * 2 threads in one run and -0.08 in another, on the same machine); on one thread it repeats.
 */
const ENV = { ...process.env, LENSCRIBE_THREADS: '1' };
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: ENV });
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

/** Starts the CLI and SIGKILLs it the moment `ready()` holds (polled every few ms); resolves with what it printed. */
async function killWhen(args: string[], ready: () => boolean, what: string): Promise<{ stderr: string }> {
  const run = await runKilled([CLI, ...args], ready, { env: ENV });
  expect(run.ended, `the CLI ended before ${what}: ${run.stderr}`).toBe('SIGKILL');
  return { stderr: run.stderr };
}

/** A private copy of the test model with a replay set, shared by the tests of this file. */
let baseDir = '';
beforeAll(() => {
  if (!shared) return;
  const d = tempDir('lenscribe-teach-recovery-base-');
  baseDir = join(d, 'base-model');
  cpSync(shared, baseDir, { recursive: true });
  const data = join(d, 'train.jsonl');
  writeFileSync(
    data,
    flickrPhotos(300)
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const r = cli(['models', 'replay', baseDir, '--data', data, '--images', FLICKR, '--train-images', '120', '--cache', REPLAY_CACHE]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

/** A library over `photos` Flickr8k photos, the first 12 with the user's own captions (dogs renamed "rexo"), the base model active. */
async function library(d: string, photos: number): Promise<{ libDir: string; userIds: number[] }> {
  const dir = join(d, 'photos');
  mkdirSync(dir);
  const picked = flickrPhotos(photos, 600);
  picked.forEach((p, i) => copyFileSync(join(FLICKR, p.file), join(dir, `p${String(i).padStart(2, '0')}.jpg`)));
  const libDir = join(d, 'lib');
  const lib = open(libDir);
  lib.registerModel(baseDir, { activate: true });
  await lib.addFolder(dir, { caption: false });
  const userIds = lib
    .listPhotos({ limit: 100 })
    .items.slice(0, 12)
    .map((p, i) => {
      lib.setUserCaption(p.id, picked[i]!.captions[0]!.replace(/\bdog\b/gi, 'rexo'));
      return p.id;
    });
  await lib.close();
  return { libDir, userIds };
}

describe.skipIf(!shared || !existsSync(CLI))('teaching survives kills', () => {
  it('a kill during --activate re-captioning: the rerun finishes the activation, teaches nothing on top, leaves no stale job', async () => {
    const d = tempDir('lenscribe-teach-recovery-activate-');
    const { libDir, userIds } = await library(d, 60);
    // Every photo first shows the base model's caption (the features are cached then).
    const first = cli(['caption', join(d, 'photos'), '--library', libDir]);
    expect(first.status, first.stderr).toBe(0);

    const watcher = new Database(join(libDir, 'library.db'), { readonly: true });
    // The activation's re-captioning job (the first run's caption job is done by now).
    const recaptioning = watcher.prepare(`SELECT done, total FROM jobs WHERE state = 'running'`);
    const midway = () => {
      const j = recaptioning.get() as { done: number; total: number } | undefined;
      // At most half done: the kill lands some milliseconds after the poll, and the job must
      // still be unfinished then.
      return j !== undefined && j.done > 0 && j.done <= j.total / 2;
    };
    // A small step, so the version stays within the forgetting budget and may be activated.
    const teach = ['teach', '--library', libDir, '--epochs', '1', '--lr', '1e-4', '--activate', '--confirm-worse', '--json'];
    await killWhen(teach, midway, 're-captioning was half done');
    watcher.close();

    const raw = new Database(join(libDir, 'library.db'));
    const active = (raw.prepare('SELECT id FROM models WHERE active = 1').get() as { id: string }).id;
    // The CLI opens the library as a user would, so the bundled default model is registered too.
    const taughtAndBase = `SELECT count(*) AS n FROM models WHERE path != '${defaultModelDir.replace(/'/g, "''")}'`;
    const models = (raw.prepare(taughtAndBase).get() as { n: number }).n;
    const notShowing = (id: string) =>
      (
        raw
          .prepare(
            `SELECT count(*) AS n FROM photos p WHERE (SELECT c.source FROM captions c WHERE c.photo_id = p.id AND c.is_user = 0
             ORDER BY c.id DESC LIMIT 1) IS NOT ? AND NOT EXISTS (SELECT 1 FROM captions u WHERE u.photo_id = p.id AND u.is_user = 1)`,
          )
          .get(id) as { n: number }
      ).n;
    expect(models).toBe(2);
    expect(notShowing(active)).toBeGreaterThan(0); // photos still showing the base model's caption
    raw.close();

    const again = cli(teach);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/activation of .* was interrupted; finishing it/);
    const summary = lastJson(again.stdout);
    expect(summary).toMatchObject({ model: active, activated: true, finished_interrupted_activation: true });
    expect(summary.recaptioned).toBe(48);

    const after = new Database(join(libDir, 'library.db'), { readonly: true });
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((after.prepare(taughtAndBase).get() as { n: number }).n).toBe(2); // nothing taught on top
    expect((after.prepare('SELECT id FROM models WHERE active = 1').get() as { id: string }).id).toBe(active);
    const unfinished = after.prepare(`SELECT id, model_id FROM jobs WHERE state IN ('queued', 'running', 'paused')`).all();
    expect(unfinished).toEqual([]);
    after.close();
    const lib = open(libDir);
    try {
      for (const p of lib.listPhotos({ limit: 100 }).items) expect(p.captionSource, p.name).toBe(userIds.includes(p.id) ? 'user' : active);
      expect(lib.stores.captions.newestUserCaptions()).toHaveLength(12);
    } finally {
      await lib.close();
    }
  }, 180_000);

  it('a job left pinned to a model no longer active moves to the active model, saying so', async () => {
    const d = tempDir('lenscribe-teach-recovery-stale-');
    const { libDir } = await library(d, 20);
    const other = join(d, 'other-model');
    cpSync(baseDir, other, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(other, 'model.json'), 'utf8')) as { name: string };
    writeFileSync(join(other, 'model.json'), JSON.stringify({ ...manifest, name: 'other' })); // another id, same weights
    const lib = open(libDir);
    const otherId = lib.registerModel(other).id;
    const stale = lib.jobs.enqueue({ modelId: lib.activeModel()!.id, recaption: true });
    // What a process killed between activating a model and its job left before activation was one transaction.
    lib.stores.models.activate(otherId);
    await lib.close();

    const warnings: string[] = [];
    const again = Library.open(libDir, { registerDefaultModel: false, importMetadata: false, autoCaption: false });
    again.on('warning', (m) => warnings.push(m));
    await new Promise((r) => setImmediate(r));
    try {
      expect(again.jobs.get(stale!)!.status).toBe('cancelled');
      const moved = again.jobs.unfinished();
      expect(moved).toHaveLength(1);
      expect(moved[0]!.modelId).toBe(otherId);
      expect(moved[0]!.total).toBe(20);
      expect(warnings.join('\n')).toMatch(new RegExp(`job ${stale} was pinned to model .*no longer active.*moved to job ${moved[0]!.id}`));
    } finally {
      await again.close();
    }
  }, 60_000);

  it('--resume after kills in training and while saving ends as the uninterrupted run; over the forgetting budget it is not activated', async () => {
    const d = tempDir('lenscribe-teach-recovery-resume-');
    const { libDir } = await library(d, 16);
    // Two libraries over the same photos (the split hashes their paths): one uninterrupted, one killed twice.
    const libKilled = join(d, 'lib-killed');
    cpSync(libDir, libKilled, { recursive: true });
    // A large step forgets: the run early-stops, its best epoch is not its last, and it forgets
    // beyond the budget. At 5e-2 the forgetting sat near the budget (-0.08 to -0.39 from run to
    // run, -0.09 once with other tests running beside it); at 1.5e-1 it is -0.46, alone or not.
    const opts = ['--epochs', '8', '--lr', '1.5e-1', '--json'];
    const whole = cli(['teach', '--library', libDir, ...opts]);
    expect(whole.status, whole.stderr).toBe(0);
    const expected = lastJson(whole.stdout);

    const partial = () => {
      const m = join(libKilled, 'models');
      const p = existsSync(m) ? readdirSync(m).find((f) => f.endsWith('.partial')) : undefined;
      return p ? join(m, p) : null;
    };
    await killWhen(
      ['teach', '--library', libKilled, ...opts],
      () => {
        const p = partial();
        return p !== null && (readTrainingStateSummary(join(p, 'training-state.safetensors'))?.epochsDone ?? 0) >= 2;
      },
      'two epochs were saved',
    );
    // Resumed, then killed as the new version is written (its training state still beside it).
    await killWhen(
      ['teach', '--library', libKilled, '--resume', ...opts],
      () => {
        const p = partial();
        return p !== null && existsSync(join(p, 'weights.safetensors'));
      },
      'the new version was being saved',
    );
    // Until the new version is complete and renamed into place, its training state stays beside it.
    const saving = partial();
    if (saving) expect(readTrainingStateSummary(join(saving, 'training-state.safetensors'))?.epochsDone).toBeGreaterThanOrEqual(2);
    const resumed = cli(['teach', '--library', libKilled, '--resume', '--activate', '--confirm-worse', ...opts]);
    const got = lastJson(resumed.stdout);
    for (const k of [
      'epochs',
      'best_epoch',
      'stop',
      'user_cider_after',
      'user_loss_after',
      'base_cider_after',
      'base_cider_change_renamed',
    ])
      expect(got[k], k).toEqual(expected[k]);
    console.log(
      JSON.stringify({ forgetting: expected.base_cider_change_renamed, best_epoch: expected.best_epoch, epochs: expected.epochs }),
    );
    expect(expected.best_epoch).toBeLessThan(expected.epochs as number);

    // Forgetting beyond the 10 % budget: refused even with --confirm-worse (exit 2), the base model stays active.
    expect(expected.base_cider_change_renamed as number).toBeLessThan(-0.1);
    expect(resumed.status, resumed.stderr).toBe(2);
    expect(got.activated).toBe(false);
    expect(resumed.stderr).toMatch(/not activated: .*forgot too much: general photos dropped [\d.]+ %, beyond the 10 % allowed/);
    const lib = open(libKilled);
    try {
      expect(lib.activeModel()!.path).toBe(baseDir);
      expect(lib.listModels().map((m) => m.id)).toContain(got.model);
    } finally {
      await lib.close();
    }
  }, 180_000);
});
