/**
 * `lenscribe train --data <captions> --out <model dir>`: trains a caption decoder on captioned
 * photos and writes a complete model directory (src/model/model-dir.ts).
 *
 *   dataset (jsonl | Flickr8k token file | Karpathy JSON) -> validation split (hash of file names)
 *   -> encoder features, extracted once and cached on disk (src/inference/feature-cache.ts)
 *   -> with --concepts: each photo's K concept scores (src/cli/train-concepts.ts), the decoder's
 *      concept input; with --text: text-only captions (src/training/text-captions.ts), a sample of
 *      --text-ratio per photo caption, their concepts read from their words and noised like a
 *      detector's (src/training/concept-noise.ts)
 *   -> vocabulary from the training captions (photo and text) -> trainer (src/training/trainer.ts),
 *      validating each epoch by CIDEr-D of greedy captions, keeping the best epoch's weights
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
import { loadDataset, splitByHash, splitDeclared, type CaptionedImage } from '../../training/datasets.js';
import { decoderCaptioner, evaluateCaptioner, validationCider } from '../../training/metrics/evaluate.js';
import {
  encoderFileRef,
  FLICKR8K_CREDIT,
  storedOutputNames,
  storedRowInputs,
  writeModelDir,
  type ManifestInput,
  type TrainingData,
  type ValidationMetrics,
} from '../../model/model-dir.js';
import { CONFIG_FILE, saveDecoder, VOCAB_FILE, WEIGHTS_FILE } from '../../model/decoder-io.js';
import { OnnxStepModel } from '../../model/onnx-step-model.js';
import { ATTENTION_DIM, trainGrids, type TrainGrids } from '../train-grid.js';
import {
  train,
  trainingFeatureStats,
  type TokenCaption,
  type CaptionData,
  type TrainProgress,
  type TrainResult,
} from '../../training/trainer.js';
import type { DecoderConfig, Params } from '../../model/types.js';
import { Vocabulary } from '../../model/vocab.js';
import type { CaptionScores } from '../../training/metrics/index.js';
import { logDatasetProblems, splitFeatures, type PhotoFeatures } from '../dataset-features.js';
import { CONCEPT_COUNT } from '../../model/concepts/visual-concepts.js';
import { Rng } from '../../model/rng.js';
import { DEFAULT_CONCEPT_NOISE } from '../../training/concept-noise.js';
import { loadTextCaptions, sampleTextCaptions, textTokenCaptions } from '../../training/text-captions.js';
import { CONCEPT_OUTPUT, conceptOutputFor } from '../train-concepts.js';
import { bar, formatDuration, formatScores, jsonLine, parseNumber, printable, StatusLine, withExample } from '../ui.js';

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
  concepts?: boolean;
  attention?: boolean;
  text?: string[];
  textRatio: string;
  pretrain: string;
  featureSwap: string;
  json?: boolean;
}

function toCaptionData(
  images: CaptionedImage[],
  features: Float32Array,
  vocab: Vocabulary,
  concepts?: Float32Array,
  memory?: Float32Array,
  cells?: number,
): CaptionData {
  const captions: TokenCaption[] = [];
  images.forEach((img, image) => {
    for (const text of img.captions) {
      const ids = vocab.encode(text);
      if (ids.length <= 2) continue; // no words
      captions.push({ image, tokens: ids.slice(1, -1) });
    }
  });
  return { features, captions, ...(concepts ? { concepts } : {}), ...(memory && cells ? { memory, cells } : {}) };
}

/** The numeric flags of `lenscribe train`, checked. */
interface TrainSettings {
  valFraction: number;
  epochs: number;
  embed: number;
  hidden: number;
  layers: number;
  dropout: number;
  minCount: number;
  lr: number;
  lrDecay: number | undefined;
  batch: number;
  seed: number;
  clip: number;
  maxWords: number;
  patience: number;
  tbptt: number | undefined;
  beam: number;
  noRepeatNgram: number;
  threads: number | undefined;
  textRatio: number;
  pretrain: number;
  featureSwap: number;
}

function parseTrainSettings(opts: TrainCliOptions): TrainSettings {
  const settings: TrainSettings = {
    valFraction: parseNumber(opts.valFraction, '--val-fraction', { min: 0, max: 0.9 }),
    epochs: parseNumber(opts.epochs, '--epochs', { int: true, min: 1 }),
    embed: parseNumber(opts.embed, '--embed', { int: true, min: 1 }),
    hidden: parseNumber(opts.hidden, '--hidden', { int: true, min: 1 }),
    layers: parseNumber(opts.layers, '--layers', { int: true, min: 1, max: 8 }),
    dropout: parseNumber(opts.dropout, '--dropout', { min: 0, max: 0.95 }),
    minCount: parseNumber(opts.minCount, '--min-count', { int: true, min: 1 }),
    lr: parseNumber(opts.lr, '--lr', { min: 1e-7, max: 1 }),
    lrDecay: opts.lrDecay !== undefined ? parseNumber(opts.lrDecay, '--lr-decay', { min: 0.01, max: 1 }) : undefined,
    batch: parseNumber(opts.batch, '--batch', { int: true, min: 1 }),
    seed: parseNumber(opts.seed, '--seed', { int: true, min: 0 }),
    clip: parseNumber(opts.clip, '--clip', { min: 0 }),
    maxWords: parseNumber(opts.maxWords, '--max-words', { int: true, min: 1 }),
    patience: parseNumber(opts.patience, '--patience', { int: true, min: 1 }),
    tbptt: opts.tbptt !== undefined ? parseNumber(opts.tbptt, '--tbptt', { int: true, min: 1 }) : undefined,
    beam: parseNumber(opts.beam, '--beam', { int: true, min: 1, max: 20 }),
    noRepeatNgram: parseNumber(opts.blockNgram, '--block-ngram', { int: true, min: 0, max: 10 }),
    threads: opts.threads !== undefined ? parseNumber(opts.threads, '--threads', { int: true, min: 0 }) : undefined,
    textRatio: parseNumber(opts.textRatio, '--text-ratio', { min: 0, max: 100 }),
    pretrain: parseNumber(opts.pretrain, '--pretrain', { min: 0, max: 100 }),
    featureSwap: parseNumber(opts.featureSwap, '--feature-swap', { min: 0, max: 1 }),
  };
  if (settings.featureSwap > 0 && !opts.concepts)
    throw new UserError('--feature-swap needs --concepts: a swapped feature is only told apart by the concepts kept');
  if (settings.pretrain > 0 && !opts.text) throw new UserError('--pretrain needs --text: the language pass reads the text-only captions');
  if (opts.text && !opts.concepts)
    throw new UserError('--text needs --concepts: a text-only caption reaches the decoder only through the concepts its words name');
  if (opts.exportData && opts.concepts) throw new UserError('--export-data does not write concept scores; leave out --concepts');
  if (opts.flipAverage && opts.concepts)
    throw new UserError('--flip-average with --concepts: captioning does not average concept scores over the mirror image; leave one out');
  if (opts.attention && (opts.flipAverage || opts.exportData || settings.pretrain > 0))
    throw new UserError('--attention cannot be combined with --flip-average, --export-data or --pretrain');
  if (!existsSync(join(encoderDir(opts.encoder), 'card.json'))) {
    throw new UserError(
      `--encoder ${opts.encoder}: no ${join(encoderDir(opts.encoder), 'card.json')} (bundled: ${ENCODER_NAMES.join(', ')}; see docs/model-format.md to add your own)`,
    );
  }
  if (opts.valSplit !== 'hash' && opts.valSplit !== 'declared')
    throw new UserError(`--val-split must be "hash" or "declared"; got "${opts.valSplit}"`);
  return settings;
}

/** 1. The dataset and its train/validation split. */
function loadSplit(opts: TrainCliOptions, valFraction: number, status: StatusLine): { train: CaptionedImage[]; val: CaptionedImage[] } {
  const ds = loadDataset(opts.data, opts.images ? { imagesDir: opts.images } : {});
  logDatasetProblems(ds, status);
  const split = opts.valSplit === 'declared' ? splitDeclared(ds.images) : splitByHash(ds.images, valFraction);
  if (split.train.length === 0) throw new UserError('no training photos left after the validation split');
  status.log(
    `data: ${ds.images.length} photos (${ds.format}), ${split.train.length} train, ${split.val.length} validation (${opts.valSplit === 'declared' ? 'declared split' : `hash split, fraction ${valFraction}`})`,
  );
  return split;
}

/** The encoder outputs the decoder is conditioned on (pooled ones only). */
function chosenOutputs(encoder: Encoder, feature: string | undefined): Array<{ name: string; dims: number[] }> {
  const outputs = resolveOutputs(
    encoder.card,
    (feature ?? '')
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
  return outputs;
}

/** 2. Encoder features of both sides of the split (cached). */
async function trainFeatures(
  opts: TrainCliOptions,
  split: { train: CaptionedImage[]; val: CaptionedImage[] },
  s: TrainSettings,
  status: StatusLine,
) {
  const threads = s.threads;
  const encoder = await openEncoder({ name: opts.encoder, ...(threads !== undefined ? { threads } : {}), log: (line) => status.log(line) });
  let outputs: Array<{ name: string; dims: number[] }>;
  let conceptOutput: string | undefined;
  try {
    outputs = chosenOutputs(encoder, opts.feature);
    // The concept scores are the decoder's concept input, not part of its feature.
    if (opts.concepts && !opts.feature) outputs = outputs.filter((o) => o.name !== CONCEPT_OUTPUT);
    conceptOutput = opts.concepts ? conceptOutputFor(encoder.card) : undefined;
  } catch (err) {
    await encoder.close();
    throw err;
  }
  // One encoder pass for the features and the concept scores (the last K columns, split off below).
  const names = storedOutputNames(conceptOutput ? { outputs, conceptOutput } : { outputs });
  const both = await splitFeatures(encoder, split, names, { cacheDir: opts.cache, status, flip: opts.flipAverage ? 'average' : 'none' });
  const K = conceptOutput ? CONCEPT_COUNT : 0;
  const [train, val] = [splitConcepts(both.train, K), both.val && splitConcepts(both.val, K)];
  const [trainF, valF] = [train.features, val?.features];
  const featureSeconds = trainF.seconds + (valF?.seconds ?? 0);
  status.log(
    `features: ${outputs.map((o) => `${o.name} (${o.dims.join('×')})`).join(' + ')} = ${trainF.dim}-d, ${trainF.computed + (valF?.computed ?? 0)} computed, ${featureSeconds.toFixed(1)} s`,
  );
  const concepts = conceptOutput ? { output: conceptOutput, train: train.concepts!, val: val?.concepts } : undefined;
  if (concepts) status.log(`concepts: ${K} scores per photo, ${opts.encoder}'s ${conceptOutput} output (the decoder's concept input)`);
  return { encoder, outputs, trainF, valF, featureSeconds, concepts };
}

/** Rows of [feature | K concept scores] as the features alone and the concepts alone (K = 0: unchanged, no concepts). */
function splitConcepts(f: PhotoFeatures, K: number): { features: PhotoFeatures; concepts?: Float32Array } {
  if (K === 0) return { features: f };
  const { features, concepts } = storedRowInputs(f.features, f.kept.length, f.dim - K, K);
  return { features: { ...f, features, dim: f.dim - K }, ...(concepts ? { concepts } : {}) };
}

/**
 * 2c. With --text: the text-only captions, a seeded sample of --text-ratio per photo caption, and
 * with --pretrain the next --pretrain per photo caption of the same seeded order (none of them in
 * the first sample), for the language pass. The first sample does not depend on --pretrain.
 */
function textSample(files: string[], photoCaptions: number, s: TrainSettings, status: StatusLine) {
  const all: string[] = [];
  for (const file of files) {
    const t = loadTextCaptions(file);
    logDatasetProblems(t, status);
    for (const c of t.captions) all.push(c.text);
  }
  const mixed = Math.round(photoCaptions * s.textRatio);
  const drawn = sampleTextCaptions(all, mixed + Math.round(photoCaptions * s.pretrain), new Rng(s.seed).fork());
  const texts = drawn.slice(0, mixed);
  const pretrainTexts = drawn.slice(mixed);
  status.log(`text: ${texts.length} of ${all.length} text-only captions (ratio ${s.textRatio} per photo caption, seed ${s.seed})`);
  if (s.pretrain > 0)
    status.log(`pretraining: ${pretrainTexts.length} other text-only captions (ratio ${s.pretrain}), words only, before the photos`);
  return { files: files.map((f) => basename(f)), available: all.length, texts, pretrainTexts };
}

type TextSample = ReturnType<typeof textSample>;

/** 3. Vocabulary from the training captions (photo and text), and every caption as word ids. */
function captionData(
  trainF: PhotoFeatures,
  valF: PhotoFeatures | undefined,
  minCount: number,
  status: StatusLine,
  extra: { concepts?: Features['concepts']; text?: TextSample | undefined; grids?: TrainGrids | undefined } = {},
) {
  const texts = extra.text?.texts ?? [];
  const vocab = Vocabulary.build([...trainF.kept.flatMap((i) => i.captions), ...texts], { minCount });
  const trainData = toCaptionData(
    trainF.kept,
    trainF.features,
    vocab,
    extra.concepts?.train,
    extra.grids?.trainMemory,
    extra.grids?.grid.cells,
  );
  const photoCaptions = trainData.captions.length;
  trainData.captions.push(...textTokenCaptions(texts, vocab));
  const valData = valF
    ? toCaptionData(valF.kept, valF.features, vocab, extra.concepts?.val, extra.grids?.valMemory, extra.grids?.grid.cells)
    : undefined;
  const valRefs = valF?.kept.map((i) => i.captions) ?? [];
  // The language pass: words only (no photo, no concepts), so the LSTM learns to write before it learns to look.
  const pretrainTexts = extra.text?.pretrainTexts ?? [];
  const pretrainData: CaptionData | undefined =
    pretrainTexts.length > 0
      ? { features: new Float32Array(0), captions: textTokenCaptions(pretrainTexts, vocab, { concepts: false }) }
      : undefined;
  const textOnly = trainData.captions.length - photoCaptions;
  status.log(
    `vocabulary: ${vocab.size} tokens (min count ${minCount}); ${trainData.captions.length} training captions` +
      (textOnly > 0 ? ` (${photoCaptions} of photos, ${textOnly} text-only)` : ''),
  );
  return {
    vocab,
    trainData,
    photoCaptions,
    valData,
    valRefs,
    pretrainData,
    concepts: extra.concepts,
    text: extra.text,
    grids: extra.grids,
  };
}

type Features = Awaited<ReturnType<typeof trainFeatures>>;
type Data = ReturnType<typeof captionData>;
type SaveModel = (params: Params<Float32Array>, metrics: ValidationMetrics | undefined, extra: Partial<ManifestInput['training']>) => void;

/** Writes the model directory (decoder and model.json) for a set of weights. */
function modelWriter(opts: TrainCliOptions, s: TrainSettings, f: Features, data: Data, config: DecoderConfig): SaveModel {
  const out = resolve(opts.out);
  const { encoder, outputs, trainF, valF } = f;
  const D = trainF.dim;
  const credit: TrainingData = {
    ...(opts.credit === 'flickr8k' || /flickr8k/i.test(opts.data) ? FLICKR8K_CREDIT : { name: basename(opts.data) }),
    trainImages: trainF.kept.length,
    trainCaptions: data.photoCaptions,
    valImages: valF?.kept.length ?? 0,
  };
  const command = `lenscribe train ${process.argv.slice(process.argv.indexOf('train') + 1).join(' ')}`.trim();
  const trainOptions = {
    flipAverage: opts.flipAverage === true,
    epochs: s.epochs,
    embed: s.embed,
    hidden: s.hidden,
    layers: s.layers,
    dropout: s.dropout,
    minCount: s.minCount,
    lr: s.lr,
    lrDecay: s.lrDecay,
    batch: s.batch,
    seed: s.seed,
    clip: s.clip,
    maxWords: s.maxWords,
    patience: s.patience,
    tbptt: s.tbptt,
    beam: s.beam,
    noRepeatNgram: s.noRepeatNgram,
    encoder: opts.encoder,
    feature: outputs.map((o) => o.name),
    valFraction: s.valFraction,
    valSplit: opts.valSplit,
    ...(s.pretrain > 0 ? { pretrain: s.pretrain } : {}),
    ...(s.featureSwap > 0 ? { featureSwap: s.featureSwap } : {}),
    ...(config.attention ? { attention: true } : {}),
    ...conceptOptions(data),
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
    features: {
      outputs,
      dim: D,
      ...(opts.flipAverage ? { flipAverage: true } : {}),
      ...(data.concepts ? { conceptOutput: data.concepts.output } : {}),
      ...(data.grids ? { gridOutput: data.grids.grid.name } : {}),
    },
    decoder: { architecture: 'show-and-tell-lstm', config, weights: WEIGHTS_FILE, vocabulary: VOCAB_FILE, maxLength: s.maxWords },
    decoding: { beam: s.beam, noRepeatNgram: s.noRepeatNgram },
    training: { data: credit, command, options: trainOptions, ...extra },
    ...(metrics ? { metrics } : {}),
  });
  return (params, metrics, extra) => {
    saveDecoder(out, {
      config,
      params,
      vocab: data.vocab,
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
}

/** What model.json's training options say about concepts and text-only captions. */
function conceptOptions(data: Data): Record<string, unknown> {
  if (!data.concepts) return {};
  return {
    concepts: CONCEPT_COUNT,
    ...(data.text
      ? {
          text: data.text.files,
          textCaptions: data.trainData.captions.length - data.photoCaptions,
          textAvailable: data.text.available,
          ...(data.pretrainData ? { pretrainCaptions: data.pretrainData.captions.length } : {}),
          conceptNoise: 'DEFAULT_CONCEPT_NOISE (src/training/concept-noise.ts)',
        }
      : {}),
  };
}

/** The progress line while an epoch runs, and one permanent line per epoch. */
function trainProgressReporter(status: StatusLine): (p: TrainProgress) => void {
  let lastValCider: number | undefined;
  return (p) => {
    if (p.phase === 'train') {
      const inEpoch = p.step - p.epoch * p.stepsPerEpoch;
      status.update(
        `epoch ${p.epoch + 1}/${p.epochs} ${bar(inEpoch / p.stepsPerEpoch)} loss ${p.epochLoss.toFixed(3)} ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s ETA ${formatDuration(p.etaSeconds)}` +
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
}

/** Runs a training phase that Ctrl-C stops after the current batch (a second Ctrl-C kills). */
async function interruptible<T>(status: StatusLine, onStop: string, phase: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    status.log(`lenscribe: stopping after this batch (Ctrl-C again to kill); ${onStop}`);
    controller.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  try {
    return await phase(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
    status.done();
  }
}

/**
 * 4a. With --pretrain: one language-model pass over the other text-only captions (issue 14's
 * lever 4), from the same initial weights the photo training would start from. The result's
 * feature statistics are then the photos' (a words-only pass has none to standardise).
 */
async function pretrainLanguage(
  s: TrainSettings,
  data: Data,
  pretrainData: CaptionData,
  config: DecoderConfig,
  D: number,
  status: StatusLine,
): Promise<{ params: Params<Float32Array>; record: Record<string, number> } | null> {
  const result = await interruptible(status, 'the photo training is not started', (signal) =>
    train({
      config,
      train: pretrainData,
      validationFraction: 0,
      seed: s.seed,
      epochs: 1,
      batchSize: s.batch,
      maxWords: s.maxWords,
      learningRate: s.lr,
      clipNorm: s.clip,
      ...(s.tbptt !== undefined ? { tbpttWindow: s.tbptt } : {}),
      onProgress: (p) => {
        if (p.phase === 'train')
          status.update(
            `pretraining ${bar((p.step + 1) / p.stepsPerEpoch)} loss ${p.epochLoss.toFixed(3)} ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s ETA ${formatDuration(p.etaSeconds)}`,
          );
      },
      signal,
    }),
  );
  if (result.stopReason !== 'completed') {
    status.log(`lenscribe: pretraining ${result.stopReason}${result.message ? `: ${result.message}` : ''}`);
    return null;
  }
  const pass = result.history[0]!;
  status.log(
    `pretraining: ${pretrainData.captions.length} captions, words only, loss ${pass.trainLoss.toFixed(3)}, ${formatDuration(pass.seconds)}`,
  );
  const stats = trainingFeatureStats(data.trainData, D);
  const params = { ...result.params };
  if (stats) [params.feature_mean, params.feature_std] = [stats.mean, stats.std];
  return { params, record: { captions: pretrainData.captions.length, trainLoss: pass.trainLoss, seconds: round1(pass.seconds) } };
}

/** 4. Train, validating by CIDEr-D of greedy captions, saving the best epoch as a model; Ctrl-C stops after the batch. */
async function trainDecoder(
  opts: TrainCliOptions,
  s: TrainSettings,
  f: Features,
  data: Data,
  config: DecoderConfig,
  initialParams: Params<Float32Array> | undefined,
  saveModel: SaveModel,
  status: StatusLine,
): Promise<TrainResult> {
  const valN = f.valF?.kept.length ?? 0;
  const D = f.trainF.dim;
  return interruptible(status, 'the best epoch so far is kept', (signal) =>
    train({
      config,
      ...(initialParams ? { initialParams } : {}),
      ...(data.grids ? { gridBasis: data.grids.basis } : {}),
      train: data.trainData,
      ...(data.valData && data.valData.captions.length > 0 ? { validation: data.valData } : { validationFraction: 0 }),
      seed: s.seed,
      epochs: s.epochs,
      batchSize: s.batch,
      maxWords: s.maxWords,
      learningRate: s.lrDecay !== undefined ? { kind: 'step', base: s.lr, factor: s.lrDecay, everyEpochs: 1 } : s.lr,
      clipNorm: s.clip,
      patience: s.patience,
      ...(s.tbptt !== undefined ? { tbpttWindow: s.tbptt } : {}),
      ...(data.text ? { conceptNoise: DEFAULT_CONCEPT_NOISE } : {}),
      ...(s.featureSwap > 0 ? { featureSwap: s.featureSwap } : {}),
      ...(valN > 0
        ? {
            // Greedy captions through the ONNX step model (weights packed once per epoch).
            validationScorer: ({ params }) =>
              validationCider(
                decoderCaptioner(new OnnxStepModel(params), data.vocab, D, { beam: 1, maxWords: s.maxWords }),
                f.valF!.features,
                valN,
                data.valRefs,
                data.concepts?.val,
                data.grids?.valGrid,
              ),
            bestCheckpointPath: resolve(opts.out),
            writeCheckpoint: (_path: string, params: Params<Float32Array>, _config: DecoderConfig, info) =>
              saveModel(
                params,
                { split: splitText(opts, s), images: valN, cider: info.score ?? 0, beam: 1 },
                { epochs: info.epoch + 1, bestEpoch: info.epoch + 1 },
              ),
          }
        : {}),
      onProgress: trainProgressReporter(status),
      signal,
    }),
  );
}

function splitText(opts: TrainCliOptions, s: TrainSettings): string {
  return opts.valSplit === 'declared' ? "the dataset's declared val split" : `hash split of file names, fraction ${s.valFraction}`;
}

/** 5. Final validation figures with beam search on the best weights. */
async function finalMetrics(
  opts: TrainCliOptions,
  s: TrainSettings,
  f: Features,
  data: Data,
  result: TrainResult,
  status: StatusLine,
): Promise<(ValidationMetrics & CaptionScores) | undefined> {
  const valN = f.valF?.kept.length ?? 0;
  if (valN === 0) return undefined;
  status.update(`scoring ${valN} validation photos (beam ${s.beam}) …`, true);
  const captioner = decoderCaptioner(new OnnxStepModel(result.params), data.vocab, f.trainF.dim, {
    beam: s.beam,
    maxWords: s.maxWords,
    noRepeatNgram: s.noRepeatNgram,
  });
  const evalResult = await evaluateCaptioner(captioner, f.valF!.features, valN, data.valRefs, data.concepts?.val, data.grids?.valGrid);
  const best = result.history.find((h) => h.epoch === result.bestEpoch);
  status.done();
  return {
    split: splitText(opts, s),
    ...evalResult.scores,
    ...(best?.validationLoss !== undefined ? { loss: best.validationLoss } : {}),
    beam: s.beam,
    noRepeatNgram: s.noRepeatNgram,
  };
}

function printTrainSummary(
  opts: TrainCliOptions,
  summary: { out: string; epochs: number; best_epoch: number; stop: string; seconds: number },
  metrics: (ValidationMetrics & CaptionScores) | undefined,
  valN: number,
): void {
  if (opts.json) {
    process.stdout.write(jsonLine(summary));
    return;
  }
  process.stdout.write(
    `model written to ${printable(summary.out)} (best epoch ${summary.best_epoch} of ${summary.epochs}, ${summary.stop}, ${formatDuration(summary.seconds)})\n`,
  );
  if (metrics) process.stdout.write(formatScores(metrics, `validation, ${valN} photos, beam ${metrics.beam}`));
}

/** Steps 1–3: the split, features, concepts, text-only captions, vocabulary and caption data. */
async function trainingInputs(opts: TrainCliOptions, s: TrainSettings, status: StatusLine) {
  const split = loadSplit(opts, s.valFraction, status);
  const f = await trainFeatures(opts, split, s, status);
  const concepts = f.concepts;
  const photoCaptions = f.trainF.kept.reduce((n, i) => n + i.captions.length, 0);
  const text = opts.text ? textSample(opts.text, photoCaptions, s, status) : undefined;
  const grids = opts.attention
    ? await trainGrids(
        opts.encoder,
        { train: f.trainF.kept, val: f.valF?.kept },
        {
          cacheDir: opts.cache,
          ...(s.threads !== undefined ? { threads: s.threads } : {}),
          status,
        },
      )
    : undefined;
  if (grids) f.featureSeconds += grids.seconds;
  return { f, concepts, data: captionData(f.trainF, f.valF, s.minCount, status, { concepts, text, grids }) };
}

/** --export-data: writes the training tensors; true when --export-only says to stop there. */
function exportedOnly(opts: TrainCliOptions, s: TrainSettings, D: number, data: Data, status: StatusLine): boolean {
  if (!opts.exportData) {
    if (opts.exportOnly) throw new UserError('--export-only needs --export-data <dir>');
    return false;
  }
  const { epochs, embed, hidden, layers, dropout, lr, batch, seed, clip, maxWords } = s;
  exportTrainingData(opts.exportData, {
    D,
    maxWords,
    vocab: data.vocab,
    trainData: data.trainData,
    valData: data.valData,
    options: { epochs, embed, hidden, layers, dropout, lr, batch, seed, clip, maxWords },
  });
  status.log(`exported the training tensors to ${resolve(opts.exportData)} (for tools/pytorch-parity.py)`);
  return opts.exportOnly === true;
}

export async function runTrain(opts: TrainCliOptions): Promise<void> {
  const t0 = performance.now();
  const s = parseTrainSettings(opts);
  const status = new StatusLine();
  const { f, concepts, data } = await trainingInputs(opts, s, status);
  const D = f.trainF.dim;

  if (exportedOnly(opts, s, D, data, status)) return;

  const config: DecoderConfig = {
    featureDim: D,
    embedDim: s.embed,
    hiddenDim: s.hidden,
    layers: s.layers,
    vocabSize: data.vocab.size,
    dropout: s.dropout,
    ...(concepts ? { conceptDim: CONCEPT_COUNT } : {}),
    ...(data.grids
      ? {
          attention: {
            gridDim: data.grids.grid.dim,
            memoryDim: data.grids.basis.basis.length / data.grids.grid.dim,
            attentionDim: ATTENTION_DIM,
          },
        }
      : {}),
  };
  const saveModel = modelWriter(opts, s, f, data, config);
  const tTrain = performance.now();
  const pretrained = data.pretrainData ? await pretrainLanguage(s, data, data.pretrainData, config, D, status) : undefined;
  if (pretrained === null) {
    process.exitCode = 2;
    return;
  }
  const result = await trainDecoder(opts, s, f, data, config, pretrained?.params, saveModel, status);
  const trainSeconds = (performance.now() - tTrain) / 1000;
  if (result.stopReason === 'non-finite') status.log(`lenscribe: ${result.message}`);
  if (result.stopReason === 'cancelled') status.log(`lenscribe: cancelled after ${result.epochsRun} epochs`);

  const history = result.history.map((h) => ({
    epoch: h.epoch + 1,
    trainLoss: h.trainLoss,
    ...(h.validationLoss !== undefined ? { valLoss: h.validationLoss } : {}),
    ...(h.validationScore !== undefined ? { valCider: h.validationScore } : {}),
    seconds: h.seconds,
  }));
  const metrics = await finalMetrics(opts, s, f, data, result, status);
  saveModel(result.params, metrics, {
    epochs: result.epochsRun,
    bestEpoch: result.bestEpoch + 1,
    history,
    ...(pretrained ? { pretraining: pretrained.record } : {}),
    seconds: {
      features: round1(f.featureSeconds),
      ...(pretrained ? { pretraining: pretrained.record.seconds } : {}),
      training: round1(trainSeconds),
      total: round1((performance.now() - t0) / 1000),
    },
  });
  const valN = f.valF?.kept.length ?? 0;
  const summary = {
    out: resolve(opts.out),
    epochs: result.epochsRun,
    best_epoch: result.bestEpoch + 1,
    stop: result.stopReason,
    vocab: data.vocab.size,
    train_images: f.trainF.kept.length,
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
  printTrainSummary(opts, summary, metrics, valN);
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

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('Train a caption decoder on captioned photos and write a model directory')
    .requiredOption('--data <file>', 'Captions: our .jsonl ({"file","captions"}), Flickr8k.token.txt, or a Karpathy-split JSON')
    .requiredOption('--out <dir>', 'Model directory to write (e.g. models/default)')
    .option('--images <dir>', 'Folder holding the photos (default: next to the captions file)')
    .option('--val-fraction <f>', 'Share of photos held out for validation, chosen by a hash of the file name', '0.05')
    .option('--val-split <how>', "Either hash (by --val-fraction) or declared (the Karpathy JSON's own val split)", 'hash')
    .option('--encoder <name>', `Image encoder in models/encoders/ (bundled: ${ENCODER_NAMES.join(', ')})`, 'mobilenet_v3_centernet')
    .option(
      '--feature <names>',
      'Encoder outputs to concatenate (names or roles such as final/imagenet/objects), comma-separated (default: every pooled output of the encoder, in card order)',
    )
    .option('--flip-average', "Features are the mean of the photo's and its mirror image's (training and captioning)")
    .option(
      '--concepts',
      `Condition the decoder on ${CONCEPT_COUNT} visual-concept scores per photo as well (the encoder's ${CONCEPT_OUTPUT} output; recorded as features.conceptOutput)`,
    )
    .option(
      '--attention',
      "Soft attention over the encoder's spatial grid (7×7 cells of ResNet-50's last block), after the LSTM at every word (recorded as features.gridOutput)",
    )
    .option(
      '--text <files...>',
      'Text-only captions ({"id","captions"} jsonl, photos not needed) to train the language and the concept path (needs --concepts)',
    )
    .option('--text-ratio <r>', 'Text-only captions sampled (once, by --seed) per photo caption', '1')
    .option(
      '--pretrain <r>',
      'Before the photos, one language-model pass (words only) over this many other text-only captions per photo caption (needs --text)',
      '0',
    )
    .option(
      '--feature-swap <p>',
      "Share of photo captions trained with another photo's feature, their concepts kept (needs --concepts): the decoder learns to follow the concepts where the two disagree",
      '0',
    )
    .option('--epochs <n>', 'Maximum epochs', '20')
    .option('--embed <n>', 'Word embedding size', '256')
    .option('--hidden <n>', 'LSTM hidden size', '512')
    .option('--layers <n>', 'Stacked LSTM layers', '1')
    .option('--dropout <p>', 'Dropout in training', '0.5')
    .option('--min-count <n>', 'Words seen fewer times become <unk>', '5')
    .option('--lr <rate>', 'Adam learning rate', '2e-3')
    .option('--lr-decay <factor>', 'Multiply the learning rate by this after every epoch')
    .option('--batch <n>', 'Captions per batch', '128')
    .option('--seed <n>', 'Random seed (initialisation, batch order, dropout)', '1')
    .option('--clip <norm>', 'Gradient clipping by global L2 norm', '5')
    .option('--max-words <n>', 'Longest caption trained and generated, in words', '20')
    .option('--patience <n>', 'Stop after this many epochs without a better validation CIDEr-D', '3')
    .option('--tbptt <steps>', 'Truncated backpropagation window (default: full BPTT)')
    .option('--beam <k>', "Beam width for the final validation figures and the model's default", '3')
    .option(
      '--block-ngram <n>',
      "The model's default repeat blocking: no n-gram twice in a caption, no word on both sides of and/or (0 = off)",
      '3',
    )
    .option('--cache <dir>', 'Feature cache folder (default: the user cache folder)')
    .option('--threads <n>', 'Encoder threads (0 = all cores)')
    .option('--name <name>', 'Model name in model.json (default: the folder name)')
    .option('--credit <dataset>', 'Credit the training data as this dataset (flickr8k)')
    .option('--export-data <dir>', 'Also write the exact training tensors there (for tools/pytorch-parity.py)')
    .option('--export-only', 'Stop after --export-data (no training)')
    .option('--json', 'Print a one-line JSON summary at the end');
  withExample(train, 'lenscribe train --data flickr8k/captions.jsonl --out models/mine').action(async (opts: TrainCliOptions) => {
    await runTrain(opts);
  });
}
