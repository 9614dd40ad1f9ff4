import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadCheckpoint } from '../../src/training/checkpoint.js';
import { makeBatches, train, type TokenCaption, type CaptionData, type TrainProgress } from '../../src/training/trainer.js';
import { Rng } from '../../src/model/rng.js';
import { END, PAD, START, type DecoderConfig } from '../../src/model/types.js';

const config: DecoderConfig = { featureDim: 12, embedDim: 16, hiddenDim: 24, layers: 2, vocabSize: 30, dropout: 0.1 };

/** Captions that depend on the image: word k of image i is a function of its feature's sign pattern. */
function dataset(images: number, seed: number): CaptionData {
  const rng = new Rng(seed);
  const D = config.featureDim;
  const features = new Float32Array(images * D).map(() => rng.normal());
  const captions: TokenCaption[] = [];
  for (let i = 0; i < images; i++) {
    for (let k = 0; k < 3; k++) {
      const len = 2 + rng.int(9);
      const tokens = Int32Array.from({ length: len }, (_, j) => 4 + ((features[i * D + (j % D)] > 0 ? j : j + 7) % (config.vocabSize - 4)));
      captions.push({ image: i, tokens });
    }
  }
  return { features, captions };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'lenscribe-trainer-'));

describe('trainer', () => {
  it('is deterministic: the same seed gives identical weights, another seed different ones', async () => {
    const data = dataset(40, 1);
    const run = (seed: number) => train({ config, train: data, epochs: 2, batchSize: 16, seed, tbpttWindow: 4 });
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    for (const k of Object.keys(a.params)) expect(Array.from(b.params[k]), k).toEqual(Array.from(a.params[k]));
    expect(Array.from(c.params.W_vocab)).not.toEqual(Array.from(a.params.W_vocab));
    expect(a.history.map((h) => h.trainLoss)).toEqual(b.history.map((h) => h.trainLoss));
  });

  it('lowers the loss, reports progress, and writes a loadable checkpoint atomically every epoch', async () => {
    const dir = tmp();
    const ckpt = join(dir, 'decoder.ckpt.safetensors');
    const events: TrainProgress[] = [];
    const written: number[] = [];
    const result = await train({
      config,
      train: dataset(60, 2),
      epochs: 4,
      batchSize: 20,
      seed: 3,
      learningRate: 5e-3,
      checkpointPath: ckpt,
      bestCheckpointPath: join(dir, 'best.safetensors'),
      onProgress: (p) => {
        events.push(p);
        if (p.phase === 'epoch') written.push(loadCheckpoint(ckpt).info.epoch);
      },
    });
    expect(result.stopReason).toBe('completed');
    expect(result.history).toHaveLength(4);
    expect(result.history[3].trainLoss).toBeLessThan(result.history[0].trainLoss);
    expect(written).toEqual([0, 1, 2, 3]);
    const trainEvents = events.filter((e) => e.phase === 'train');
    expect(trainEvents.length).toBe(4 * trainEvents[0].stepsPerEpoch);
    for (const e of trainEvents) {
      expect(e.tokensPerSecond).toBeGreaterThan(0);
      expect(e.etaSeconds).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(e.loss)).toBe(true);
    }
    expect(trainEvents.at(-1)!.etaSeconds).toBe(0);
    expect(events.filter((e) => e.phase === 'validate').map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    expect(events.map((e) => e.phase).lastIndexOf('validate')).toBe(events.length - 2);
    const last = loadCheckpoint(ckpt);
    expect(last.info.epoch).toBe(3);
    expect(last.config.hiddenDim).toBe(24);
    const best = loadCheckpoint(join(dir, 'best.safetensors'));
    expect(best.info.epoch).toBe(result.bestEpoch);
    expect(Array.from(best.params.W_vocab)).toEqual(Array.from(result.params.W_vocab));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stops on NaN, keeping the last good checkpoint and weights', async () => {
    const dir = tmp();
    const ckpt = join(dir, 'ckpt.safetensors');
    const data = dataset(30, 3);
    let good: Buffer | undefined;
    const result = await train({
      config,
      train: data,
      validationFraction: 0,
      epochs: 5,
      batchSize: 15,
      seed: 4,
      checkpointPath: ckpt,
      onProgress: (p) => {
        if (p.phase === 'epoch' && p.epoch === 1) {
          good = readFileSync(ckpt);
          data.features[5] = NaN; // a feature file went bad while training
        }
      },
    });
    expect(result.stopReason).toBe('non-finite');
    expect(result.message).toMatch(/epoch 3.*loss is NaN.*epoch 2/);
    expect(result.epochsRun).toBe(2);
    expect(readFileSync(ckpt).equals(good!)).toBe(true);
    const saved = loadCheckpoint(ckpt);
    for (const [k, v] of Object.entries(result.params)) {
      expect(v.every(Number.isFinite), k).toBe(true);
      expect(Array.from(saved.params[k]), k).toEqual(Array.from(v));
    }
  });

  it('stops early when the validation score stops improving, returning the best epoch', async () => {
    const scores = [0.1, 0.5, 0.4, 0.3, 0.45, 0.2, 0.9];
    const seen: number[] = [];
    const result = await train({
      config,
      train: dataset(30, 5),
      epochs: 7,
      batchSize: 30,
      seed: 6,
      patience: 3,
      validationScorer: ({ epoch, model }) => {
        expect(model.vocabSize).toBe(config.vocabSize);
        seen.push(epoch);
        return scores[epoch];
      },
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(result.stopReason).toBe('early-stopped');
    expect(result.bestEpoch).toBe(1);
    expect(result.bestScore).toBe(0.5);
  });

  it('uses minus the validation loss as the default score', async () => {
    const result = await train({ config, train: dataset(40, 6), epochs: 2, batchSize: 20, seed: 1, validationFraction: 0.2 });
    for (const h of result.history) expect(h.validationScore).toBe(-h.validationLoss!);
  });

  it('can be cancelled with an AbortSignal and returns the last good weights', async () => {
    const controller = new AbortController();
    let epochOne = -1;
    const result0 = (p: TrainProgress) => p.epoch;
    const result = await train({
      config,
      train: dataset(40, 7),
      epochs: 50,
      batchSize: 10,
      seed: 2,
      validationFraction: 0,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'epoch') epochOne = result0(p);
        if (p.step === 15) controller.abort(); // 12 steps per epoch: inside the second epoch
      },
    });
    expect(result.stopReason).toBe('cancelled');
    expect(result.steps).toBe(15);
    expect(result.epochsRun).toBe(1);
    expect(epochOne).toBe(0);
  });

  it('buckets captions by length: every caption once per epoch, little padding, a new order each epoch', () => {
    const rng = new Rng(3);
    const captions: TokenCaption[] = Array.from({ length: 1000 }, (_, i) => ({ image: i, tokens: new Int32Array(1 + rng.int(20)) }));
    const data = { features: new Float32Array(1000), captions };
    const order = new Rng(9);
    const e1 = makeBatches(data, 32, 20, order);
    const e2 = makeBatches(data, 32, 20, order);
    const seen = e1.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let real = 0,
      padded = 0;
    for (const b of e1) {
      const lens = Array.from(b, (i) => captions[i].tokens.length);
      real += lens.reduce((x, y) => x + y, 0);
      padded += Math.max(...lens) * lens.length;
    }
    expect(1 - real / padded).toBeLessThan(0.05);
    expect(e2.map((b) => b[0])).not.toEqual(e1.map((b) => b[0]));
  });

  it('updates only the parameters it is told to', async () => {
    const data = dataset(20, 11);
    const first = await train({ config, train: data, epochs: 1, batchSize: 20, seed: 1, validationFraction: 0 });
    const tuned = await train({
      config,
      train: data,
      epochs: 2,
      batchSize: 20,
      seed: 2,
      validationFraction: 0,
      initialParams: first.params,
      updateParam: (name) => name === 'W_vocab' || name === 'b_vocab',
    });
    expect(Array.from(tuned.params.Wh_0)).toEqual(Array.from(first.params.Wh_0));
    expect(Array.from(tuned.params.W_embed)).toEqual(Array.from(first.params.W_embed));
    expect(Array.from(tuned.params.W_vocab)).not.toEqual(Array.from(first.params.W_vocab));
    expect(Array.from(tuned.params.feature_mean)).toEqual(Array.from(first.params.feature_mean));
  });

  it('accepts captions with <start>/<end> already added, training exactly as without them', async () => {
    const data = dataset(20, 12);
    const wrapped = {
      features: data.features,
      captions: data.captions.map((c) => ({ image: c.image, tokens: Int32Array.from([START, ...c.tokens, END]) })),
    };
    const a = await train({ config, train: data, epochs: 1, batchSize: 16, seed: 3 });
    const b = await train({ config, train: wrapped, epochs: 1, batchSize: 16, seed: 3 });
    expect(Array.from(b.params.W_vocab)).toEqual(Array.from(a.params.W_vocab));
    const bad = { features: data.features, captions: [{ image: 0, tokens: Int32Array.from([5, PAD, 6]) }] };
    await expect(train({ config, train: bad, epochs: 1 })).rejects.toThrow(/special token/);
  });

  it('rejects captions whose ids exceed the vocabulary', async () => {
    const data = dataset(5, 8);
    data.captions[0].tokens[0] = 99;
    await expect(train({ config, train: data, epochs: 1 })).rejects.toThrow(/token id 99/);
  });

  it('runs in a worker thread (bundled the way the build bundles *.worker.ts)', async () => {
    // Node 20 does not apply `--import tsx` inside workers, so bundle the entry with esbuild as
    // scripts/build.mjs does, into a folder from which node_modules resolves.
    const dir = join(process.cwd(), 'node_modules', '.cache', 'lenscribe-tests');
    mkdirSync(dir, { recursive: true });
    const entry = join(dir, `train-${process.pid}.worker.ts`);
    const trainer = join(process.cwd(), 'src/training/trainer.ts');
    writeFileSync(
      entry,
      `import { parentPort } from 'node:worker_threads';
       import { train } from ${JSON.stringify(trainer)};
       const D = 12, features = new Float32Array(20 * D).map((_, i) => Math.sin(i));
       const captions = Array.from({ length: 20 }, (_, i) => ({ image: i, tokens: Int32Array.from([4 + (i % 5), 9, 10]) }));
       const r = await train({ config: ${JSON.stringify(config)}, train: { features, captions }, epochs: 2, batchSize: 8, validationFraction: 0 });
       parentPort!.postMessage({ stop: r.stopReason, loss: r.history.map((h) => h.trainLoss) });`,
    );
    const bundle = entry.replace(/\.ts$/, '.mjs');
    await build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const worker = new Worker(bundle);
    try {
      const msg = await new Promise<{ stop: string; loss: number[] }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(msg.stop).toBe('completed');
      expect(msg.loss[1]).toBeLessThan(msg.loss[0]);
    } finally {
      await worker.terminate();
      rmSync(entry, { force: true });
      rmSync(bundle, { force: true });
    }
  });
});
