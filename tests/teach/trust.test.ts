/**
 * Issue 13's teaching trust on a real (small) trained model and real Flickr8k photo features:
 * function words ("our") never become new words; labels too few, (nearly) one sentence, or
 * (nearly) what the model already says end the run before training, saying so; the new
 * version keeps the epoch with the best held-back score (also across a resume after an
 * interruption), not the last one; and every run carries its verdict.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { growVocabulary, resumableEpochs, teachModel, TeachError, type LabeledExample } from '../../src/training/teach.js';
import { distinctCaptions, nothingNewProblem, tooAlikeProblem } from '../../src/training/teach-labels.js';
import { FUNCTION_WORDS } from '../../src/training/function-words.js';
import { decoderCaptioner } from '../../src/training/metrics/evaluate.js';
import { OnnxStepModel } from '../../src/model/onnx-step-model.js';
import { loadModel } from '../../src/model/model-dir.js';
import { Library } from '../../src/main/library/library.js';
import { Teacher } from '../../src/main/teach/teach-job.js';
import { UserError } from '../../src/shared/errors.js';
import { FLICKR, flickrPhotos, testModelDir } from '../library/model.js';
import { features, rename } from './flickr.js';

const modelDir = testModelDir();
const out = (tag: string) => join(mkdtempSync(join(tmpdir(), `lenscribe-teach-${tag}-`)), 'taught');

async function labeledSet(n: number, caption: (flickr: string, i: number) => string): Promise<LabeledExample[]> {
  const photos = flickrPhotos(n, 400);
  const f = await features(
    modelDir!,
    photos.map((p) => join(FLICKR, p.file)),
  );
  return photos.map((p, i) => ({
    id: i + 1,
    path: join(FLICKR, p.file),
    caption: caption(p.captions[0]!, i),
    feature: f.features.slice(f.rowOf[i]! * f.dim, (f.rowOf[i]! + 1) * f.dim),
  }));
}

const rexo = (c: string) => rename(rename(c, 'dog', 'rexo'), 'man', 'zorblat');

async function rejection(labeled: LabeledExample[]): Promise<TeachError> {
  const err = await teachModel({ baseDir: modelDir!, labeled, outDir: out('reject'), epochs: 1 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TeachError);
  expect((err as TeachError).kind).toBe('input');
  return err as TeachError;
}

describe('labels that cannot teach anything (text only)', () => {
  it('counts near-duplicate captions once and says when they are too alike', () => {
    expect(distinctCaptions(['A dog runs on the grass .', 'a dog runs on grass', 'Rexo on the beach', 'Rexo on the sofa'])).toBe(3);
    expect(tooAlikeProblem(Array(8).fill('Rexo in our garden'))).toBe(
      'Your 8 labels are nearly the same sentence; teaching needs at least 3 different captions.',
    );
    expect(tooAlikeProblem(['Rexo on the beach', 'Rexo on the sofa', 'Rexo in the snow'])).toBeNull();
    expect(nothingNewProblem(['a dog runs', 'a man sits', 'a girl jumps'], ['a dog runs .', 'the man sits', 'a boy swims'])).toBe(
      'Your 3 labels nearly repeat what the model already says (only 1 in other words); teaching needs at least 3 captions that say something the model does not.',
    );
  });

  it('lists "our", "their" and the other closed classes as function words', () => {
    for (const w of ['our', 'their', 'the', 'of', 'and', 'is', 'could', 'whose', 'ourselves', 'three'])
      expect(FUNCTION_WORDS.has(w)).toBe(true);
    for (const w of ['dog', 'rexo', 'beach', 'running']) expect(FUNCTION_WORDS.has(w)).toBe(false);
  });
});

describe.skipIf(!modelDir)('teaching trust on a real model', () => {
  it('never grows a function word ("our", "ours", "whose") into a new word', async () => {
    const base = loadModel(modelDir!);
    for (const w of ['our', 'ours', 'whose']) expect(base.decoder.vocab.has(w)).toBe(false); // else the test proves nothing
    const labeled = await labeledSet(12, (c, i) => `${rexo(c)} with our ${i % 2 ? 'friends' : 'zorblat'} , whose is ours`);
    const g = growVocabulary(base.decoder.params, base.decoder.vocab, labeled);
    const words = g.added.map((w) => w.word);
    expect(words).toContain('zorblat');
    for (const w of ['our', 'ours', 'whose']) {
      expect(words).not.toContain(w);
      expect(g.vocab.has(w)).toBe(false);
    }
    const r = await teachModel({ baseDir: modelDir!, labeled, outDir: out('our'), epochs: 1 });
    expect(r.newWords.map((w) => w.word)).not.toContain('our');
  }, 120_000);

  it('the teach job refuses to start on labels that are one sentence, before any worker starts', async () => {
    const d = mkdtempSync(join(tmpdir(), 'lenscribe-teach-alike-'));
    const photos = join(d, 'photos');
    mkdirSync(photos);
    for (const p of flickrPhotos(8, 400)) copyFileSync(join(FLICKR, p.file), join(photos, basename(p.file)));
    const lib = Library.open(join(d, 'lib'), { registerDefaultModel: false, importMetadata: false });
    try {
      lib.registerModel(modelDir!, { activate: true });
      await lib.addFolder(photos, { caption: false });
      for (const p of lib.listPhotos({ limit: 100 }).items) lib.setUserCaption(p.id, 'Rexo in our garden');
      const job = new Teacher(lib);
      expect(() => job.start()).toThrow(
        new UserError('Your 8 labels are nearly the same sentence; teaching needs at least 3 different captions.'),
      );
      expect(job.status().teach.state).toBe('idle');
    } finally {
      await lib.close();
    }
  }, 60_000);

  it('ends a run whose labels are too few, saying so', async () => {
    const err = await rejection(await labeledSet(5, rexo));
    expect(err.message).toBe('Your 5 usable labels are too few: teaching needs at least 6 photos with your own captions.');
  }, 60_000);

  it('ends a run whose labels are all (nearly) the same sentence, saying so', async () => {
    const err = await rejection(await labeledSet(8, (_, i) => (i % 2 ? 'Rexo in our garden' : 'rexo in the garden .')));
    expect(err.message).toBe('Your 8 labels are nearly the same sentence; teaching needs at least 3 different captions.');
  }, 60_000);

  it("ends a run whose labels only repeat the model's own captions, saying so", async () => {
    const labeled = await labeledSet(10, (c) => c);
    const base = loadModel(modelDir!);
    const D = base.decoder.config.featureDim;
    const feats = new Float32Array(labeled.length * D);
    labeled.forEach((e, i) => feats.set(e.feature, i * D));
    const model = new OnnxStepModel(base.decoder.params);
    const said = decoderCaptioner(model, base.decoder.vocab, D, { beam: 1 })(feats, labeled.length) as string[];
    model.dispose();
    expect(distinctCaptions(said)).toBeGreaterThanOrEqual(3); // the model does not say one sentence for all
    // The user accepted the model's captions as their own, but for one photo.
    const echo = labeled.map((e, i) => ({ ...e, caption: i === 0 ? rexo(e.caption) : said[i]! }));
    const err = await rejection(echo);
    expect(err.message).toBe(
      'Your 10 labels nearly repeat what the model already says (only 1 in other words); teaching needs at least 3 captions that say something the model does not.',
    );
  }, 60_000);

  it('keeps the epoch with the best held-back score, not the last one, and reports it', async () => {
    const labeled = await labeledSet(12, rexo);
    const r = await teachModel({ baseDir: modelDir!, labeled, outDir: out('best'), epochs: 6, patience: 10, learningRate: 1e-2 });
    expect(r.epochsRun).toBe(6);
    const scores = r.curve.map((c) => c.score!);
    const best = scores.indexOf(Math.max(...scores));
    expect(best).not.toBe(5); // the last epoch is not the best here: keeping it would be the old mistake
    expect(r.bestEpoch).toBe(best);
    expect(r.metrics.user.after.cider).toBeCloseTo(r.curve[best]!.heldBackCider!, 3);
    expect(r.manifest.training.bestEpoch).toBe(best + 1);
    expect(['better', 'mixed', 'worse']).toContain(r.verdict.kind);
  }, 120_000);

  it('keeps the best epoch from before an interruption when the resumed epochs are worse', async () => {
    const labeled = await labeledSet(12, rexo);
    const dir = out('resume');
    const options = { baseDir: modelDir!, labeled, outDir: dir, epochs: 6, patience: 10, learningRate: 1e-3 };
    // Interrupted during its third epoch: two epochs are checkpointed.
    const stop = new AbortController();
    const cut = await teachModel({
      ...options,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.curve.length >= 2) stop.abort();
      },
    }).catch((e: unknown) => e);
    expect((cut as TeachError).kind).toBe('cancelled');
    expect(resumableEpochs(dir)).toBe(2);
    const r = await teachModel({ ...options, resume: true });
    expect(r.epochsRun).toBe(6);
    // With these photos and seed the first two epochs score best (measured): the resumed ones must not displace them.
    expect(r.bestEpoch).toBeLessThan(2);
    const scores = r.curve.map((c) => c.score!);
    expect(r.bestEpoch).toBe(scores.indexOf(Math.max(...scores)));
    const best = r.bestEpoch;
    expect(r.metrics.user.after.cider).toBeCloseTo(r.curve[best]!.heldBackCider!, 3);
  }, 120_000);
});
