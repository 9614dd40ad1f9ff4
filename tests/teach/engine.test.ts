/**
 * Safety of the fine-tune engine on a real (small) trained model and real photo features:
 * vocabulary growth keeps every old id and output; a NaN leaves no model and the base untouched.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { teachModel, TeachError, growVocabulary, partialDirOf, renamedWords, type LabeledExample } from '../../src/training/teach.js';
import { DecoderStepModel } from '../../src/model/decoder.js';
import { loadModel, sha256File } from '../../src/model/model-dir.js';
import { FLICKR, flickrPhotos, testModelDir } from '../library/model.js';
import { features, rename } from './flickr.js';

const modelDir = testModelDir();

async function labeledSet(n: number): Promise<LabeledExample[]> {
  const photos = flickrPhotos(n, 400);
  const f = await features(
    modelDir!,
    photos.map((p) => join(FLICKR, p.file)),
  );
  return photos.map((p, i) => ({
    id: i + 1,
    path: join(FLICKR, p.file),
    caption: rename(rename(p.captions[0]!, 'dog', 'rexo'), 'man', 'zorblat'),
    feature: f.features.slice(f.rowOf[i]! * f.dim, (f.rowOf[i]! + 1) * f.dim),
  }));
}

describe.skipIf(!modelDir)('fine-tune engine safety', () => {
  it('grows the vocabulary keeping old ids, weights and outputs; new words start plausible', async () => {
    const base = loadModel(modelDir!);
    const labeled = await labeledSet(12);
    const g = growVocabulary(base.decoder.params, base.decoder.vocab, labeled);
    const V = base.decoder.vocab.size;
    expect(g.added.length).toBeGreaterThan(0);
    expect(g.added.map((w) => w.word)).toContain('zorblat');
    for (const w of g.added) expect(w.id).toBeGreaterThanOrEqual(V);
    for (let id = 0; id < V; id++) expect(g.vocab.word(id)).toBe(base.decoder.vocab.word(id));
    const { embedDim: W, hiddenDim: H } = base.decoder.config;
    expect(g.params.W_embed.subarray(0, V * W)).toEqual(base.decoder.params.W_embed);
    const V2 = g.vocab.size;
    for (let r = 0; r < H; r += 7)
      expect(g.params.W_vocab.subarray(r * V2, r * V2 + V)).toEqual(base.decoder.params.W_vocab.subarray(r * V, (r + 1) * V));
    for (const k of Object.keys(base.decoder.params))
      if (!['W_embed', 'W_vocab', 'b_vocab'].includes(k)) expect(g.params[k]).toEqual(base.decoder.params[k]);

    // Old words' scores are unchanged: log-probabilities differ by one constant per row (the normaliser).
    const D = base.decoder.config.featureDim;
    const feats = new Float32Array(4 * D);
    labeled.slice(0, 4).forEach((e, i) => feats.set(e.feature, i * D));
    const a = new DecoderStepModel(base.decoder.params);
    const b = new DecoderStepModel(g.params);
    const sa = a.initState(feats, 4);
    const sb = b.initState(feats, 4);
    const tok = new Int32Array(4).fill(1);
    const la = a.step(sa, tok);
    const lb = b.step(sb, tok);
    for (let n = 0; n < 4; n++) {
      const shift = lb[n * V2 + 5]! - la[n * V + 5]!;
      for (let j = 0; j < V; j++) expect(Math.abs(lb[n * V2 + j]! - la[n * V + j]! - shift)).toBeLessThan(1e-3);
      let best = -Infinity;
      for (let j = 0; j < V; j++) best = Math.max(best, lb[n * V2 + j]!);
      for (let j = V; j < V2; j++) {
        expect(lb[n * V2 + j]!).toBeLessThan(best); // not absurdly likely
        expect(lb[n * V2 + j]!).toBeGreaterThan(-40); // not impossible
      }
    }
  }, 300_000);

  it('a diverging run (NaN) writes no model and leaves the base model untouched', async () => {
    const before = Object.fromEntries(readdirSync(modelDir!).map((f) => [f, sha256File(join(modelDir!, f))]));
    const labeled = await labeledSet(12);
    const out = join(mkdtempSync(join(tmpdir(), 'lenscribe-teach-nan-')), 'taught');
    const err = await teachModel({ baseDir: modelDir!, labeled, outDir: out, learningRate: 3e38, epochs: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TeachError);
    expect((err as TeachError).kind).toBe('non-finite');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(partialDirOf(out))).toBe(false);
    const after = Object.fromEntries(readdirSync(modelDir!).map((f) => [f, sha256File(join(modelDir!, f))]));
    expect(after).toEqual(before);
    expect(() => loadModel(modelDir!)).not.toThrow();
  }, 300_000);

  it('skips a photo whose feature holds NaN, with a reason, and still teaches', async () => {
    const labeled = await labeledSet(12);
    labeled[3]!.feature[7] = NaN;
    const out = join(mkdtempSync(join(tmpdir(), 'lenscribe-teach-skip-')), 'taught');
    const r = await teachModel({ baseDir: modelDir!, labeled, outDir: out, epochs: 2 });
    expect(r.skipped).toEqual([{ id: labeled[3]!.id, path: labeled[3]!.path, reason: 'feature holds a non-finite value' }]);
    expect(r.trainPhotos + r.validationPhotos).toBe(11);
    expect(loadModel(out).decoder.vocab.has('zorblat')).toBe(true);
  }, 300_000);
});

describe('renames', () => {
  const word = (w: string, photos: number, anchors: Array<[string, number]>) => ({
    word: w,
    id: 0,
    photos,
    anchors: anchors.map(([a, weight]) => ({ word: a, weight })),
  });
  it('take a new word used in several photos where the model expects an old one, not a one-off', () => {
    // A single "foal" photo the base model took for a dog must not turn every dog into a foal.
    const renamed = renamedWords([
      word('rexo', 22, [
        ['dog', 0.82],
        ['black', 0.05],
      ]),
      word('foal', 1, [['dog', 0.96]]),
      word('hatted', 1, [['man', 0.64]]),
    ]);
    expect([...renamed]).toEqual([['dog', { word: 'rexo', weight: 0.82 }]]);
  });
  it('give an old word to the best supported of two claims, and ignore weak anchors', () => {
    const renamed = renamedWords([
      word('biscuit', 4, [['dog', 0.9]]),
      word('rexo', 12, [
        ['dog', 0.6],
        ['cat', 0.2],
      ]),
    ]);
    expect(renamed.get('dog')?.word).toBe('rexo');
    expect(renamed.has('cat')).toBe(false);
  });
  it('let a new word replace only its best supported old word', () => {
    const renamed = renamedWords([
      word('rexo', 10, [
        ['dog', 0.55],
        ['puppy', 0.35],
      ]),
    ]);
    expect([...renamed]).toEqual([['dog', { word: 'rexo', weight: 0.55 }]]);
  });
});
