/**
 * `lenscribe train --data <captions> --out <model dir>`: trains a caption decoder on captioned
 * photos and writes a complete model directory (src/model/model-dir.ts).
 *
 *   dataset (jsonl | Flickr8k token file | Karpathy JSON) -> validation split (hash of file names)
 *   -> encoder features, extracted once and cached on disk (src/inference/feature-cache.ts)
 *   -> vocabulary from the training captions -> trainer (src/training/trainer.ts), validating
 *      each epoch by CIDEr-D of greedy captions, keeping the best epoch's weights
 *   -> decoder saved with model-io, scored on the validation photos with beam search, model.json.
 *
 * The decoder directory is saved whenever an epoch beats the best so far, with a model.json
 * describing that epoch, so a run killed at any moment leaves a usable model.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../shared/errors.js';
import { ENCODER_NAMES, encoderDir, openEncoder, resolveOutputs, type Encoder } from '../../inference/encoder/index.js';
import { describeProblem, loadDataset, splitByHash, splitDeclared, type CaptionedImage } from '../../training/datasets.js';
import { extractFeatures } from '../../inference/feature-cache.js';
import { decoderCaptioner, evaluateCaptioner, validationCider } from '../../training/metrics/evaluate.js';
import { OnnxStepModel } from '../../model/onnx-step-model.js';
import {
  encoderFileRef,
  FLICKR8K_CREDIT,
  writeModelDir,
  type ManifestInput,
  type TrainingData,
  type ValidationMetrics,
} from '../../model/model-dir.js';
import { CONFIG_FILE, saveDecoder, VOCAB_FILE, WEIGHTS_FILE } from '../../model/decoder-io.js';
import { train, type Caption, type CaptionData, type TrainProgress } from '../../training/trainer.js';
import type { DecoderConfig, Params } from '../../model/types.js';
import { Vocabulary } from '../../model/vocab.js';
import type { CaptionScores } from '../../training/metrics/index.js';

export interface TrainCliOptions {
  data: string;
  out: string;
  images?: string;
  valFraction: string;
  valSplit: string;
  encoder: string;
  feature?: string;
  epochs: string;
  embed: string;
  hidden: string;
  layers: string;
  dropout: string;
  minCount: string;
  lr: string;
  lrDecay?: string;
  batch: string;
  seed: string;
  clip: string;
  maxWords: string;
  patience: string;
  tbptt?: string;
  beam: string;
  blockNgram: string;
  cache?: string;
  threads?: string;
  name?: string;
  credit?: string;
  exportData?: string;
  exportOnly?: boolean;
  flipAverage?: boolean;
  json?: boolean;
}

function num(value: string, flag: string, { int = false, min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    throw new UserError(
      `${flag} must be ${int ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` <= ${max}` : ''}; got "${value}"`,
    );
  }
  return n;
}

/** A one-line progress display on stderr: redrawn in place on a terminal, a line every 10 s otherwise. */
export class StatusLine {
  private last = 0;
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}
  update(text: string, force = false): void {
    const now = Date.now();
    if (this.stream.isTTY) {
      if (!force && now - this.last < 100) return;
      const cols = this.stream.columns || 100;
      this.stream.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
      this.shown = true;
    } else {
      if (!force && now - this.last < 10_000) return;
      this.stream.write(`${text}\n`);
    }
    this.last = now;
  }
  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
  log(text: string): void {
    this.done();
    this.stream.write(`${text}\n`);
  }
}

export function bar(frac: number, width = 24): string {
  const f = Math.max(0, Math.min(1, frac));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const t = Math.round(s);
  if (t >= 3600) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${t}s`;
}

/** Extract (or read from the cache) features for images; report failures; return rows aligned to `images`. */
export async function featuresFor(
  encoder: Encoder,
  images: CaptionedImage[],
  outputs: string[],
  cacheDir: string | undefined,
  status: StatusLine,
  label: string,
  flip: 'none' | 'average' = 'none',
): Promise<{ features: Float32Array; dim: number; kept: CaptionedImage[]; failures: number; seconds: number; computed: number }> {
  const r = await extractFeatures(
    encoder,
    images.map((i) => i.path),
    {
      ...(cacheDir ? { cacheDir } : {}),
      outputs,
      flip,
      onProgress: (p) =>
        status.update(
          `${label} ${bar(p.done / Math.max(1, p.total))} ${p.done}/${p.total}` +
            `${p.cached ? ` (${p.cached} cached)` : ''}${p.rate ? ` ${p.rate.toFixed(0)} photos/s ETA ${formatSeconds(p.eta)}` : ''}${p.failed ? ` ${p.failed} failed` : ''}`,
        ),
    },
  );
  status.done();
  for (const f of r.failures.slice(0, 5)) status.log(`lenscribe: skipped ${f.path}: ${f.kind}: ${f.message}`);
  if (r.failures.length > 5) status.log(`lenscribe: … and ${r.failures.length - 5} more photos skipped`);
  const kept = images.filter((_, i) => r.rowOf[i] >= 0);
  return { features: r.features, dim: r.dim, kept, failures: r.failures.length, seconds: r.seconds, computed: r.computed };
}

function toCaptionData(images: CaptionedImage[], features: Float32Array, vocab: Vocabulary): CaptionData {
  const captions: Caption[] = [];
  images.forEach((img, image) => {
    for (const text of img.captions) {
      const ids = vocab.encode(text);
      if (ids.length <= 2) continue; // no words
      captions.push({ image, tokens: ids.slice(1, -1) });
    }
  });
  return { features, captions };
}

export async function runTrain(opts: TrainCliOptions): Promise<void> {
  const t0 = performance.now();
  const out = resolve(opts.out);
  const valFraction = num(opts.valFraction, '--val-fraction', { min: 0, max: 0.9 });
  const epochs = num(opts.epochs, '--epochs', { int: true, min: 1 });
  const embed = num(opts.embed, '--embed', { int: true, min: 1 });
  const hidden = num(opts.hidden, '--hidden', { int: true, min: 1 });
  const layers = num(opts.layers, '--layers', { int: true, min: 1, max: 8 });
  const dropout = num(opts.dropout, '--dropout', { min: 0, max: 0.95 });
  const minCount = num(opts.minCount, '--min-count', { int: true, min: 1 });
  const lr = num(opts.lr, '--lr', { min: 1e-7, max: 1 });
  const lrDecay = opts.lrDecay !== undefined ? num(opts.lrDecay, '--lr-decay', { min: 0.01, max: 1 }) : undefined;
  const batch = num(opts.batch, '--batch', { int: true, min: 1 });
  const seed = num(opts.seed, '--seed', { int: true, min: 0 });
  const clip = num(opts.clip, '--clip', { min: 0 });
  const maxWords = num(opts.maxWords, '--max-words', { int: true, min: 1 });
  const patience = num(opts.patience, '--patience', { int: true, min: 1 });
  const tbptt = opts.tbptt !== undefined ? num(opts.tbptt, '--tbptt', { int: true, min: 1 }) : undefined;
  const beam = num(opts.beam, '--beam', { int: true, min: 1, max: 20 });
  const noRepeatNgram = num(opts.blockNgram, '--block-ngram', { int: true, min: 0, max: 10 });
  const threads = opts.threads !== undefined ? num(opts.threads, '--threads', { int: true, min: 0 }) : undefined;
  if (!existsSync(join(encoderDir(opts.encoder), 'card.json'))) {
    throw new UserError(
      `--encoder ${opts.encoder}: no ${join(encoderDir(opts.encoder), 'card.json')} (bundled: ${ENCODER_NAMES.join(', ')}; see docs/model-format.md to add your own)`,
    );
  }
  if (opts.valSplit !== 'hash' && opts.valSplit !== 'declared')
    throw new UserError(`--val-split must be "hash" or "declared"; got "${opts.valSplit}"`);
  const status = new StatusLine();

  // 1. Data and split.
  const ds = loadDataset(opts.data, opts.images ? { imagesDir: opts.images } : {});
  for (const p of ds.problems.slice(0, 5)) status.log(`lenscribe: ${ds.source}: ${describeProblem(p)} (skipped)`);
  if (ds.problems.length > 5) status.log(`lenscribe: … and ${ds.problems.length - 5} more problems in ${ds.source} (skipped)`);
  const split = opts.valSplit === 'declared' ? splitDeclared(ds.images) : splitByHash(ds.images, valFraction);
  if (split.train.length === 0) throw new UserError('no training photos left after the validation split');
  status.log(
    `data: ${ds.images.length} photos (${ds.format}), ${split.train.length} train, ${split.val.length} validation (${opts.valSplit === 'declared' ? 'declared split' : `hash split, fraction ${valFraction}`})`,
  );

  // 2. Features (cached).
  const encoder = await openEncoder({ name: opts.encoder, ...(threads !== undefined ? { threads } : {}), log: (line) => status.log(line) });
  let trainF, valF;
  let outputs: Array<{ name: string; dims: number[] }>;
  try {
    outputs = resolveOutputs(
      encoder.card,
      (opts.feature ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ).map((o) => ({ name: o.name, dims: o.dims }));
    const grid = outputs.find((o) => o.dims.length > 1);
    if (grid)
      throw new UserError(
        `--feature ${grid.name} is a spatial grid; the decoder takes pooled features (${encoder.card.outputs
          .filter((o) => o.kind === 'pooled')
          .map((o) => o.name)
          .join(', ')})`,
      );
    const names = outputs.map((o) => o.name);
    const flip = opts.flipAverage ? 'average' : 'none';
    trainF = await featuresFor(encoder, split.train, names, opts.cache, status, 'features (train)', flip);
    valF = split.val.length > 0 ? await featuresFor(encoder, split.val, names, opts.cache, status, 'features (val)  ', flip) : undefined;
  } finally {
    await encoder.close();
  }
  const D = trainF.dim;
  const featureSeconds = trainF.seconds + (valF?.seconds ?? 0);
  status.log(
    `features: ${outputs.map((o) => `${o.name} (${o.dims.join('×')})`).join(' + ')} = ${D}-d, ${trainF.computed + (valF?.computed ?? 0)} computed, ${featureSeconds.toFixed(1)} s`,
  );

  // 3. Vocabulary and caption ids.
  const vocab = Vocabulary.build(
    trainF.kept.flatMap((i) => i.captions),
    { minCount },
  );
  const trainData = toCaptionData(trainF.kept, trainF.features, vocab);
  const valData = valF ? toCaptionData(valF.kept, valF.features, vocab) : undefined;
  const valRefs = valF?.kept.map((i) => i.captions) ?? [];
  status.log(`vocabulary: ${vocab.size} tokens (min count ${minCount}); ${trainData.captions.length} training captions`);

  if (opts.exportData) {
    exportTrainingData(opts.exportData, {
      D,
      maxWords,
      vocab,
      trainData,
      valData,
      options: { epochs, embed, hidden, layers, dropout, lr, batch, seed, clip, maxWords },
    });
    status.log(`exported the training tensors to ${resolve(opts.exportData)} (for tools/pytorch-parity.py)`);
    if (opts.exportOnly) return;
  } else if (opts.exportOnly) {
    throw new UserError('--export-only needs --export-data <dir>');
  }

  // 4. Train, validating by CIDEr-D of greedy captions, saving the best epoch as a model.
  const config: DecoderConfig = { featureDim: D, embedDim: embed, hiddenDim: hidden, layers, vocabSize: vocab.size, dropout };
  const credit: TrainingData = {
    ...(opts.credit === 'flickr8k' || /flickr8k/i.test(opts.data) ? FLICKR8K_CREDIT : { name: basename(opts.data) }),
    trainImages: trainF.kept.length,
    trainCaptions: trainData.captions.length,
    valImages: valF?.kept.length ?? 0,
  };
  const splitText = opts.valSplit === 'declared' ? "the dataset's declared val split" : `hash split of file names, fraction ${valFraction}`;
  const command = `lenscribe train ${process.argv.slice(process.argv.indexOf('train') + 1).join(' ')}`.trim();
  const trainOptions = {
    flipAverage: opts.flipAverage === true,
    epochs,
    embed,
    hidden,
    layers,
    dropout,
    minCount,
    lr,
    lrDecay,
    batch,
    seed,
    clip,
    maxWords,
    patience,
    tbptt,
    beam,
    noRepeatNgram,
    encoder: opts.encoder,
    feature: outputs.map((o) => o.name),
    valFraction,
    valSplit: opts.valSplit,
  };
  const card = encoder.card;
  mkdirSync(out, { recursive: true });
  const manifestBase = (metrics: ValidationMetrics | undefined, extra: Partial<ManifestInput['training']>): ManifestInput => ({
    name: opts.name ?? basename(out),
    description: `Show-and-Tell LSTM decoder over ${card.architecture} features, trained by lenscribe train`,
    encoder: {
      name: card.name,
      file: encoderFileRef(out, join(encoderDir(card.name), card.file)),
      sha256: card.sha256,
      input: { name: card.input.name, size: card.input.size, layout: card.input.layout, dtype: card.input.dtype },
      preprocessing: card.preprocessing,
    },
    features: { outputs, dim: D, ...(opts.flipAverage ? { flipAverage: true } : {}) },
    decoder: { architecture: 'show-and-tell-lstm', config, weights: WEIGHTS_FILE, vocabulary: VOCAB_FILE, maxLength: maxWords },
    decoding: { beam, noRepeatNgram },
    training: { data: credit, command, options: trainOptions, ...extra },
    ...(metrics ? { metrics } : {}),
  });
  const saveModel = (params: Params<Float32Array>, metrics: ValidationMetrics | undefined, extra: Partial<ManifestInput['training']>) => {
    saveDecoder(out, {
      config,
      params,
      vocab,
      feature: {
        encoder: card.name,
        encoderId: encoder.id,
        outputs: outputs.map((o) => o.name),
        dim: D,
        preprocessing: card.preprocessing,
      },
      training: { epochs: extra.epochs, bestEpoch: extra.bestEpoch },
    });
    writeModelDir(out, manifestBase(metrics, extra), [CONFIG_FILE]);
  };

  const valN = valF?.kept.length ?? 0;
  let lastValCider: number | undefined;
  const onProgress = (p: TrainProgress) => {
    if (p.phase === 'train') {
      const inEpoch = p.step - p.epoch * p.stepsPerEpoch;
      status.update(
        `epoch ${p.epoch + 1}/${p.epochs} ${bar(inEpoch / p.stepsPerEpoch)} loss ${p.epochLoss.toFixed(3)} ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s ETA ${formatSeconds(p.etaSeconds)}` +
          (lastValCider !== undefined ? ` (val CIDEr-D ${lastValCider.toFixed(3)})` : ''),
      );
    } else if (p.phase === 'epoch') {
      lastValCider = p.validationScore;
      status.log(
        `epoch ${p.epoch + 1}/${p.epochs}: train loss ${p.loss.toFixed(3)}` +
          (p.validationLoss !== undefined
            ? `, val loss ${p.validationLoss.toFixed(3)}, val CIDEr-D ${p.validationScore?.toFixed(4)} (greedy)${p.best ? ' *best, saved' : ''}`
            : '') +
          `, ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s`,
      );
    }
  };

  const controller = new AbortController();
  const onSigint = () => {
    status.log('lenscribe: stopping after this batch (Ctrl-C again to kill); the best epoch so far is kept');
    controller.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const tTrain = performance.now();
  let result;
  try {
    result = await train({
      config,
      train: trainData,
      ...(valData && valData.captions.length > 0 ? { validation: valData } : { validationFraction: 0 }),
      seed,
      epochs,
      batchSize: batch,
      maxWords,
      learningRate: lrDecay !== undefined ? { kind: 'step', base: lr, factor: lrDecay, everyEpochs: 1 } : lr,
      clipNorm: clip,
      patience,
      ...(tbptt !== undefined ? { tbpttWindow: tbptt } : {}),
      ...(valN > 0
        ? {
            // Greedy captions through the ONNX step model (weights packed once per epoch).
            validationScorer: ({ params }) =>
              validationCider(decoderCaptioner(new OnnxStepModel(params), vocab, D, { beam: 1, maxWords }), valF!.features, valN, valRefs),
            bestCheckpointPath: out,
            writeCheckpoint: (_path: string, params: Params<Float32Array>, _config: DecoderConfig, info) =>
              saveModel(
                params,
                { split: splitText, images: valN, cider: info.score ?? 0, beam: 1 },
                { epochs: info.epoch + 1, bestEpoch: info.epoch + 1 },
              ),
          }
        : {}),
      onProgress,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
    status.done();
  }
  const trainSeconds = (performance.now() - tTrain) / 1000;
  if (result.stopReason === 'non-finite') status.log(`lenscribe: ${result.message}`);
  if (result.stopReason === 'cancelled') status.log(`lenscribe: cancelled after ${result.epochsRun} epochs`);

  // 5. Final validation figures with beam search on the best weights; model.json with them.
  const history = result.history.map((h) => ({
    epoch: h.epoch + 1,
    trainLoss: h.trainLoss,
    ...(h.validationLoss !== undefined ? { valLoss: h.validationLoss } : {}),
    ...(h.validationScore !== undefined ? { valCider: h.validationScore } : {}),
    seconds: h.seconds,
  }));
  let metrics: (ValidationMetrics & CaptionScores) | undefined;
  if (valN > 0) {
    status.update(`scoring ${valN} validation photos (beam ${beam}) …`, true);
    const captioner = decoderCaptioner(new OnnxStepModel(result.params), vocab, D, { beam, maxWords, noRepeatNgram });
    const evalResult = await evaluateCaptioner(captioner, valF!.features, valN, valRefs);
    const best = result.history.find((h) => h.epoch === result.bestEpoch);
    metrics = {
      split: splitText,
      ...evalResult.scores,
      ...(best?.validationLoss !== undefined ? { loss: best.validationLoss } : {}),
      beam,
      noRepeatNgram,
    };
    status.done();
  }
  saveModel(result.params, metrics, {
    epochs: result.epochsRun,
    bestEpoch: result.bestEpoch + 1,
    history,
    seconds: { features: round1(featureSeconds), training: round1(trainSeconds), total: round1((performance.now() - t0) / 1000) },
  });
  const summary = {
    out,
    epochs: result.epochsRun,
    best_epoch: result.bestEpoch + 1,
    stop: result.stopReason,
    vocab: vocab.size,
    train_images: trainF.kept.length,
    val_images: valN,
    seconds: round1((performance.now() - t0) / 1000),
    ...(metrics
      ? {
          bleu1: metrics.bleu1,
          bleu2: metrics.bleu2,
          bleu3: metrics.bleu3,
          bleu4: metrics.bleu4,
          rouge_l: metrics.rouge_l,
          cider: metrics.cider,
        }
      : {}),
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `model written to ${out} (best epoch ${summary.best_epoch} of ${summary.epochs}, ${summary.stop}, ${formatSeconds(summary.seconds)})\n`,
    );
    if (metrics) process.stdout.write(formatScores(metrics, `validation, ${valN} photos, beam ${metrics.beam}`));
  }
  if (result.stopReason === 'non-finite') process.exitCode = 2;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The exact tensors the trainer sees, for an independent implementation to train on
 * (tools/pytorch-parity.py): per split `<split>_features.f32` (images×D), `<split>_captions.i32`
 * (captions×(maxWords+2): <start> words <end> <pad>…, cut to maxWords words like the trainer
 * does) and `<split>_image.i32` (each caption's image row); meta.json; vocab.json.
 */
function exportTrainingData(
  dir: string,
  x: { D: number; maxWords: number; vocab: Vocabulary; trainData: CaptionData; valData?: CaptionData; options: Record<string, number> },
): void {
  mkdirSync(dir, { recursive: true });
  const T = x.maxWords + 2;
  const meta: Record<string, unknown> = { D: x.D, T, V: x.vocab.size, pad: 0, start: 1, end: 2, options: x.options };
  const write = (name: string, data: CaptionData) => {
    const n = data.captions.length;
    const caps = new Int32Array(n * T);
    const img = new Int32Array(n);
    data.captions.forEach((c, i) => {
      const words = Math.min(c.tokens.length, x.maxWords);
      caps[i * T] = 1;
      caps.set(c.tokens.subarray(0, words), i * T + 1);
      caps[i * T + words + 1] = 2;
      img[i] = c.image;
    });
    writeFileSync(
      join(dir, `${name}_features.f32`),
      new Uint8Array(data.features.buffer, data.features.byteOffset, data.features.byteLength),
    );
    writeFileSync(join(dir, `${name}_captions.i32`), new Uint8Array(caps.buffer));
    writeFileSync(join(dir, `${name}_image.i32`), new Uint8Array(img.buffer));
    meta[name] = { images: data.features.length / x.D, captions: n };
  };
  write('train', x.trainData);
  if (x.valData) write('val', x.valData);
  writeFileSync(join(dir, 'vocab.json'), x.vocab.serialize());
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

export function formatScores(
  s: { bleu1: number; bleu2: number; bleu3: number; bleu4: number; rouge_l: number; cider: number },
  title: string,
): string {
  return (
    `${title}:\n` +
    `  BLEU-1  ${s.bleu1.toFixed(4)}\n  BLEU-2  ${s.bleu2.toFixed(4)}\n  BLEU-3  ${s.bleu3.toFixed(4)}\n  BLEU-4  ${s.bleu4.toFixed(4)}\n` +
    `  ROUGE-L ${s.rouge_l.toFixed(4)}\n  CIDEr-D ${s.cider.toFixed(4)}  (coco scale)\n`
  );
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a caption decoder on captioned photos and write a model directory')
    .requiredOption('--data <file>', 'captions: our .jsonl ({"file","captions"}), Flickr8k.token.txt, or a Karpathy-split JSON')
    .requiredOption('--out <dir>', 'model directory to write (e.g. models/default)')
    .option('--images <dir>', 'folder holding the photos (default: next to the captions file)')
    .option('--val-fraction <f>', 'share of photos held out for validation, chosen by a hash of the file name', '0.05')
    .option('--val-split <how>', '"hash" (by --val-fraction) or "declared" (the Karpathy JSON\'s own val split)', 'hash')
    .option('--encoder <name>', `image encoder in models/encoders/ (bundled: ${ENCODER_NAMES.join(', ')})`, 'mobilenet_v3_centernet')
    .option(
      '--feature <names>',
      'encoder outputs to concatenate (names or roles such as final/imagenet/objects), comma-separated (default: every pooled output of the encoder, in card order)',
    )
    .option('--flip-average', "features are the mean of the photo's and its mirror image's (training and captioning)")
    .option('--epochs <n>', 'maximum epochs', '20')
    .option('--embed <n>', 'word embedding size', '256')
    .option('--hidden <n>', 'LSTM hidden size', '512')
    .option('--layers <n>', 'stacked LSTM layers', '1')
    .option('--dropout <p>', 'dropout in training', '0.5')
    .option('--min-count <n>', 'words seen fewer times become <unk>', '5')
    .option('--lr <rate>', 'Adam learning rate', '2e-3')
    .option('--lr-decay <factor>', 'multiply the learning rate by this after every epoch')
    .option('--batch <n>', 'captions per batch', '128')
    .option('--seed <n>', 'random seed (initialisation, batch order, dropout)', '1')
    .option('--clip <norm>', 'gradient clipping by global L2 norm', '5')
    .option('--max-words <n>', 'longest caption trained and generated, in words', '20')
    .option('--patience <n>', 'stop after this many epochs without a better validation CIDEr-D', '3')
    .option('--tbptt <steps>', 'truncated backpropagation window (default: full BPTT)')
    .option('--beam <k>', "beam width for the final validation figures and the model's default", '3')
    .option(
      '--block-ngram <n>',
      "the model's default repeat blocking: no n-gram twice in a caption, no word on both sides of and/or (0 = off)",
      '3',
    )
    .option('--cache <dir>', 'feature cache folder (default: the user cache folder)')
    .option('--threads <n>', 'encoder threads (0 = all cores)')
    .option('--name <name>', 'model name in model.json (default: the folder name)')
    .option('--credit <dataset>', 'credit the training data as this dataset (flickr8k)')
    .option('--export-data <dir>', 'also write the exact training tensors there (for tools/pytorch-parity.py)')
    .option('--export-only', 'stop after --export-data (no training)')
    .option('--json', 'print a one-line JSON summary at the end')
    .action(async (opts: TrainCliOptions) => {
      await runTrain(opts);
    });
}
