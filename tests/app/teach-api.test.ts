/**
 * The contract's teach calls over a real library and a real (small) caption model trained by
 * the project's own trainer (tests/library/model.ts): labels set through `captions.set`, then
 * `teach.start` in the fine-tune worker with `teach` events streaming, the before/after
 * table, activate / rollback, cancel, and the conflicts the state machine refuses.
 * Independent of models/default; skipped when the Flickr8k dataset is absent.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiEvent, type PhotoPage, type TeachRun, type TeachOverview } from '../../src/shared/api-contract.js';
import { openApiHost } from '../../src/main/api/host.js';
import { flickrPhotos, FLICKR, testModelDir } from '../library/model.js';

const modelDir = existsSync(join(FLICKR, 'captions.jsonl')) ? testModelDir() : null;
let dir: string;
let host: Awaited<ReturnType<typeof openApiHost>>;
const runs: TeachRun[] = [];
const call = <T>(method: string, input: unknown = {}) => host.dispatch(method, input) as Promise<T>;
const status = () => call<TeachOverview>('teach.status', { limit: 100 });

async function untilState(state: TeachRun['state'], timeout = 300_000): Promise<TeachOverview> {
  const until = Date.now() + timeout;
  for (;;) {
    const s = await status();
    if (s.run.state === state) return s;
    if (Date.now() > until) throw new Error(`teaching stayed ${s.run.state}: ${s.run.message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  if (!modelDir) return;
  dir = mkdtempSync(join(tmpdir(), 'lenscribe-teach-api-'));
  const photos = join(dir, 'photos');
  mkdirSync(photos);
  const rows = flickrPhotos(40, 500);
  for (const r of rows) copyFileSync(join(FLICKR, r.file), join(photos, basename(r.file)));
  host = await openApiHost({
    libraryDir: join(dir, 'library'),
    capabilities: { pickFolder: false, dropFolders: false },
    watch: false,
    libraryOptions: { autoCaption: false, registerDefaultModel: false, importMetadata: false },
  });
  host.library.registerModel(modelDir, { activate: true });
  host.onEvent((e: ApiEvent) => e.kind === 'teach' && runs.push(e.run));
  await call('folders.add', { path: photos });
  const list = await call<PhotoPage>('photos.list', { limit: 100 });
  const byName = new Map(list.items.map((p) => [p.name, p.id]));
  for (const r of rows.slice(0, 12))
    await call('captions.set', { photoId: byName.get(basename(r.file)), text: r.captions[0]!.replace(/\bdog\b/gi, 'rexo') });
}, 900_000);

afterAll(async () => {
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!modelDir)('teach calls over a library', () => {
  it('reports the labeled set and its deterministic split', async () => {
    const s = await status();
    expect(s.labeledCount).toBe(12);
    expect(s.labeled).toHaveLength(12);
    expect(s.validationCount).toBeGreaterThanOrEqual(3);
    expect(s.labeled.filter((p) => p.validation)).toHaveLength(s.validationCount);
    expect(s.trainCount + s.validationCount).toBe(12);
    expect(s.run.state).toBe('idle');
    expect((await status()).labeled.map((p) => [p.id, p.validation])).toEqual(s.labeled.map((p) => [p.id, p.validation]));
    expect((await call<TeachOverview>('teach.status', { limit: 2 })).labeled).toHaveLength(2);
  });

  it('refuses what the state does not allow, with a conflict', async () => {
    for (const m of ['teach.activate', 'models.rollback']) {
      const err = await call(m).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('conflict');
    }
  });

  it('trains in the worker, streaming progress, and ends with a version waiting for the user', { timeout: 600_000 }, async () => {
    const base = (await status()).activeModel;
    const started = await call<TeachRun>('teach.start', { epochs: 3 });
    expect(started.state).toBe('running');
    const twice = await call('teach.start', {}).catch((e) => e);
    expect((twice as ApiError).code).toBe('conflict');
    const s = await untilState('ready');
    const steps = runs.filter((r) => r.state === 'running' && r.step > 0);
    expect(steps.length).toBeGreaterThan(1);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.step).toBeGreaterThanOrEqual(steps[i - 1]!.step);
    const last = runs[runs.length - 1]!;
    expect(last.state).toBe('ready');
    expect(last.train.length).toBeGreaterThan(0);
    expect(last.validation.length).toBeGreaterThanOrEqual(1);
    for (const p of [...last.train, ...last.validation]) expect(Number.isFinite(p.loss) && p.epoch > 0 && p.epoch <= 3).toBe(true);
    const r = s.run.result!;
    expect(r.baseModel).toBe(base);
    expect(r.newWords).toContain('rexo');
    expect(r.beforeAfter).toHaveLength(s.validationCount);
    for (const row of r.beforeAfter) {
      expect(row.photoId).not.toBeNull();
      expect(row.before.length).toBeGreaterThan(0);
      expect(row.after.length).toBeGreaterThan(0);
    }
    expect(s.activeModel).toBe(base);
    // Every finished run carries its verdict, with the figures (src/training/teach-verdict.ts).
    expect(['better', 'mixed', 'worse']).toContain(r.verdict.kind);
    expect(r.verdict.reason).toMatch(new RegExp(`^(Better|Mixed|Worse): on your ${s.validationCount} held-back photos CIDEr-D `));
    const bad = await call('teach.activate', { confirmWorse: 'yes' }).catch((e) => e);
    expect((bad as ApiError).code).toBe('invalid_input');
    expect((await status()).activeModel).toBe(base);
  });

  it('activates the new version and rolls back to the base', { timeout: 120_000 }, async () => {
    const { result } = (await status()).run;
    const base = result!.baseModel;
    // A worse version needs the explicit confirmation (tests/app/teach-verdict-e2e.test.ts); this one is not worse.
    expect(result!.verdict.kind).not.toBe('worse');
    const a = await call<{ model: { id: string }; jobId: number | null }>('teach.activate');
    expect(a.model.id).toBe(result!.versionId);
    expect(a.jobId).not.toBeNull();
    const s = await status();
    expect(s.activeModel).toBe(result!.versionId);
    expect(s.run.state).toBe('idle');
    expect(s.rollbackTo).toBe(base);
    const back = await call<{ model: { id: string } }>('models.rollback');
    expect(back.model.id).toBe(base);
    expect((await status()).activeModel).toBe(base);
  });

  it('cancels a run: back to idle, no new version', { timeout: 300_000 }, async () => {
    const before = (await call<Array<{ id: string }>>('models.list')).map((m) => m.id);
    runs.length = 0;
    await call('teach.start', { epochs: 10 });
    await call<TeachRun>('teach.cancel');
    const s = await untilState('idle');
    expect(s.run.message).toBeNull();
    expect((await call<Array<{ id: string }>>('models.list')).map((m) => m.id)).toEqual(before);
    expect(runs[runs.length - 1]!.state).toBe('idle');
  });
});
