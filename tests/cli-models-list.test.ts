/**
 * `lenscribe models list` puts figures side by side only when the models were measured on the
 * same photos (issue 13): a real trained model, a real teach run from it (with a replay set of
 * real Flickr8k photo features), both registered in a real library, listed by the CLI.
 */
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../src/main/library/library.js';
import { loadModelDir } from '../src/model/model-dir.js';
import { defaultModelDir } from '../src/shared/paths.js';
import { buildReplaySet, REPLAY_FILE, saveReplaySet, teachModel, type TeachModelResult } from '../src/training/teach.js';
import { tempDir } from './library/fixtures.js';
import { FLICKR, flickrPhotos, testModelDir } from './library/model.js';
import { features, row } from './teach/flickr.js';

const modelDir = testModelDir();
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { encoding: 'utf8', timeout: 60_000 });

/** Features and captions of `n` Flickr8k photos after the first `skip`. */
async function photos(n: number, skip: number) {
  const list = flickrPhotos(n, skip);
  const f = await features(
    modelDir!,
    list.map((p) => join(FLICKR, p.file)),
  );
  return list.map((p, i) => ({ path: join(FLICKR, p.file), captions: p.captions, feature: row(f, i) }));
}

const concat = (rows: Float32Array[]) => {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  rows.reduce((at, r) => (out.set(r, at), at + r.length), 0);
  return out;
};

describe.skipIf(!modelDir)('lenscribe models list', () => {
  let lib: string;
  let defaultId: string;
  let baseId: string;
  let taughtId: string;
  let taught: TeachModelResult;

  beforeAll(async () => {
    const root = tempDir('lenscribe-cli-models-');
    const base = join(root, 'base');
    cpSync(modelDir!, base, { recursive: true });
    // The base model's replay set: 20 of its training photos, 8 validation photos to measure forgetting on.
    const [train, val] = [await photos(20, 0), await photos(8, 300)];
    const dim = train[0]!.feature.length;
    const replay = buildReplaySet(
      { features: concat(train.map((p) => p.feature)), captions: train.map((p) => p.captions) },
      { features: concat(val.map((p) => p.feature)), captions: val.map((p) => p.captions) },
      dim,
      { source: 'Flickr8k test photos' },
    );
    saveReplaySet(join(base, REPLAY_FILE), replay);

    lib = join(root, 'lib');
    // The library registers models/default itself, measured on Flickr8k's 328 validation photos.
    const library = Library.open(lib, { autoCaption: false });
    try {
      defaultId = library.listModels()[0]!.id;
      baseId = library.registerModel(base, { activate: true }).id;
      const labeled = (await photos(12, 400)).map((p, i) => ({ id: i + 1, path: p.path, caption: p.captions[0]!, feature: p.feature }));
      const out = join(root, 'taught');
      taught = await teachModel({ baseDir: base, labeled, outDir: out, epochs: 2, name: 'mine', provenance: { baseModelId: baseId } });
      taughtId = library.registerModel(out).id;
    } finally {
      await library.close();
    }
  }, 300_000);

  it('prints one block per photo set; the held-back figure is only next to the base model on the same photos', () => {
    const r = cli(['models', 'list', '--library', lib]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const blocks = r.stdout.split('\n\n');
    expect(blocks[0]!.split('\n').map((l) => `${l.slice(0, 2)}${l.slice(2).split(' ')[0]}`)).toEqual([
      `  ${defaultId}`,
      `* ${baseId}`,
      `  ${taughtId}`,
    ]);
    const block = (title: string) => {
      const b = blocks.find((x) => x.startsWith(`CIDEr-D and BLEU-4 on ${title}:\n`));
      expect(b, `a block "${title}" in:\n${r.stdout}`).toBeDefined();
      return b!.trim().split('\n').slice(1);
    };
    const cider = (x: number) => x.toFixed(4);
    const { user, base } = taught.metrics;
    // The default's figure on its 328 Flickr8k photos (its card's, as shipped) is next to no other model's.
    const shipped = loadModelDir(defaultModelDir, { verify: false }).manifest.metrics!;
    const flickr = block('Flickr8k val, 328 photos (beam 3)');
    expect(flickr).toHaveLength(1);
    expect(flickr[0]!.replace(/ +/g, ' ')).toBe(` ${defaultId} CIDEr-D ${cider(shipped.cider)} BLEU-4 ${cider(shipped.bleu4!)}`);
    // The base model's own figure from training (its 35 validation photos, beam 3) stands alone.
    const trained = block('captions.jsonl val, 35 photos (beam 3)');
    expect(trained).toHaveLength(1);
    expect(trained[0]).toMatch(new RegExp(`^  ${baseId} +CIDEr-D 0\\.\\d{4}  BLEU-4 0\\.\\d{4}$`));
    // Held back from teaching: both models on the same few photos, as teach measured them.
    const heldBack = block(`your ${user.after.images} held-back photos, taught into ${taughtId} (greedy)`);
    expect(heldBack.map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      [baseId, 'CIDEr-D', cider(user.before.cider)],
      [taughtId, 'CIDEr-D', cider(user.after.cider)],
    ]);
    // The replay set's validation photos: the forgetting check, both models again.
    const replay = block('captions.jsonl val, 8 photos (greedy)');
    expect(replay.map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      [baseId, 'CIDEr-D', cider(base!.before.cider)],
      [taughtId, 'CIDEr-D', cider(base!.after.cider)],
    ]);
    expect(blocks).toHaveLength(5);
  }, 60_000);

  it('--json gives the models and the score sets, each set one photo count and each model once', () => {
    const r = cli(['models', 'list', '--library', lib, '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      models: Array<{ id: string; active: boolean }>;
      scores: Array<{ photos: string; images: number; decoding: string; scores: Array<{ modelId: string; cider: number }> }>;
    };
    expect(out.models.map((m) => [m.id, m.active])).toEqual([
      [defaultId, false],
      [baseId, true],
      [taughtId, false],
    ]);
    expect(out.scores.map((s) => [s.images, s.decoding, s.scores.map((x) => x.modelId)])).toEqual([
      [328, 'beam 3', [defaultId]],
      [35, 'beam 3', [baseId]],
      [taught.metrics.user.after.images, 'greedy', [baseId, taughtId]],
      [8, 'greedy', [baseId, taughtId]],
    ]);
  }, 60_000);
});
