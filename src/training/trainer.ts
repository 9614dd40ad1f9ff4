/**
 * Trains the caption decoder: minibatches bucketed by caption length, Adam with global-norm
 * clipping and a learning-rate schedule, truncated BPTT, early stopping on a validation split,
 * an atomic checkpoint every epoch, and a stop on NaN/Inf that keeps the last good weights.
 *
 * Deterministic: one seed drives initialisation, the validation split, batch order and dropout
 * (the fast matrix backend is deterministic for a fixed thread count).
 *
 * Runs anywhere Node runs, including worker threads: it only uses typed arrays, node:fs for
 * checkpoints and the matrix module. It yields to the event loop between batches so that an
 * AbortSignal fired from another thread or a message handler is seen promptly.
 */
import {
  createStepModel,
  cloneParams,
  evaluateLoss,
  featureStats,
  initParams,
  isTrainable,
  lossAndGrads,
  validateConfig,
  configFromParams,
  type CaptionBatch,
} from '../model/decoder.js';
import { adamStep, clipGradNorm, createAdamState, learningRate as scheduledRate, type AdamOptions, type LrSchedule } from './optim.js';
import { saveCheckpoint, type CheckpointInfo } from './checkpoint.js';
import { Rng } from '../model/rng.js';
import { END, PAD, START, type DecoderConfig, type Params, type StepModel } from '../model/types.js';

/**
 * One caption of one image: its word ids. The trainer adds <start> and <end>; if they are
 * already there (as `Vocabulary.encode` gives them) they are recognised and not doubled.
 */
export interface Caption {
  /** Row of the image in `features`. */
  image: number;
  tokens: Int32Array;
}

/** Images' features (images × D, raw encoder output) and their captions. */
export interface CaptionData {
  features: Float32Array;
  captions: Caption[];
}

/**
 * Reported after every optimizer step ('train'), when validation of an epoch starts
 * ('validate'), and when an epoch is finished and checkpointed ('epoch').
 */
export interface TrainProgress {
  phase: 'train' | 'validate' | 'epoch';
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  /** Optimizer steps done so far, over all epochs. */
  step: number;
  stepsPerEpoch: number;
  /** Mean loss of the last batch (per real token). */
  loss: number;
  /** Mean training loss over the epoch so far. */
  epochLoss: number;
  tokensPerSecond: number;
  /** Estimated seconds left if training runs all epochs. */
  etaSeconds: number;
  learningRate: number;
  gradNorm: number;
  /** Set in the 'epoch' report. */
  validationLoss?: number;
  validationScore?: number;
  best?: boolean;
}

export interface ValidationContext {
  params: Params<Float32Array>;
  model: StepModel;
  epoch: number;
  signal?: AbortSignal;
}

/** Higher is better (e.g. CIDEr-D of greedy captions on the validation images). */
export type ValidationScorer = (ctx: ValidationContext) => number | Promise<number>;

export interface TrainOptions {
  /** Architecture; `dropout` is used in training. Ignored for shapes when `initialParams` is given. */
  config: DecoderConfig;
  train: CaptionData;
  /** Validation set. If absent, `validationFraction` of the training images is held out. */
  validation?: CaptionData;
  /** Fraction of training images held out when no validation set is given (default 0.05; 0 = none). */
  validationFraction?: number;
  /** Start from these weights (fine-tuning); their feature statistics are kept. */
  initialParams?: Params<Float32Array>;
  seed?: number;
  /** Maximum epochs (default 20). */
  epochs?: number;
  /** Captions per batch (default 128). */
  batchSize?: number;
  /** Words kept per caption; longer ones are cut (default 20). */
  maxWords?: number;
  /** A number is a constant rate (default 1e-3), or a schedule. */
  learningRate?: number | LrSchedule;
  adam?: AdamOptions;
  /** Global gradient-norm threshold (default 5). */
  clipNorm?: number;
  /** Which parameters the optimizer updates (default: all trainable ones), e.g. only the output layer when teaching a few photos. */
  updateParam?: (name: string) => boolean;
  /** Truncated-BPTT window in steps (default: full BPTT). */
  tbpttWindow?: number;
  /** Epochs without a better validation score before stopping (default 3). */
  patience?: number;
  /** Validation score per epoch; default is minus the validation loss. */
  validationScorer?: ValidationScorer;
  /** Written atomically after every epoch with that epoch's weights. */
  checkpointPath?: string;
  /** Written atomically whenever an epoch is the best so far. */
  bestCheckpointPath?: string;
  /** Replaces the default checkpoint writer (e.g. to save a full model with its vocabulary). */
  writeCheckpoint?: (path: string, params: Params<Float32Array>, config: DecoderConfig, info: CheckpointInfo) => void | Promise<void>;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export type StopReason = 'completed' | 'early-stopped' | 'cancelled' | 'non-finite';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
  validationScore?: number;
  seconds: number;
  tokens: number;
}

export interface TrainResult {
  /** The best weights (by validation score; the last epoch's without validation). */
  params: Params<Float32Array>;
  config: DecoderConfig;
  /** Epoch the returned weights come from (-1: no epoch finished, the initial weights). */
  bestEpoch: number;
  bestScore?: number;
  epochsRun: number;
  steps: number;
  stopReason: StopReason;
  /** For 'non-finite': where and what went wrong. */
  message?: string;
  history: EpochRecord[];
}

const DEFAULTS = { epochs: 20, batchSize: 128, maxWords: 20, learningRate: 1e-3, clipNorm: 5, patience: 3, validationFraction: 0.05 };

export async function train(options: TrainOptions): Promise<TrainResult> {
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const epochs = options.epochs ?? DEFAULTS.epochs;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const maxWords = options.maxWords ?? DEFAULTS.maxWords;
  const clipNorm = options.clipNorm ?? DEFAULTS.clipNorm;
  const patience = options.patience ?? DEFAULTS.patience;
  const schedule: LrSchedule =
    typeof options.learningRate === 'object'
      ? options.learningRate
      : { kind: 'constant', base: options.learningRate ?? DEFAULTS.learningRate };
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${batchSize}`);

  // Data and the validation split.
  const D = options.initialParams ? configFromParams(options.initialParams).featureDim : options.config.featureDim;
  checkData(options.train, D, 'training');
  let trainData = wordsOnly(options.train);
  let validData = options.validation && wordsOnly(options.validation);
  if (validData) checkData(validData, D, 'validation');
  else {
    const fraction = options.validationFraction ?? DEFAULTS.validationFraction;
    if (fraction > 0) [trainData, validData] = splitByImage(trainData, fraction, rng.fork());
  }
  if (trainData.captions.length === 0) throw new RangeError('no training captions');

  // Parameters.
  let params: Params<Float32Array>;
  let config: DecoderConfig;
  if (options.initialParams) {
    params = cloneParams(options.initialParams);
    config = { ...configFromParams(params), dropout: options.config.dropout };
    initParamsRng(rng); // keep the stream position independent of the branch taken
  } else {
    config = options.config;
    validateConfig(config);
    const used = usedImages(trainData);
    const stats = featureStats(gatherRows(trainData.features, used, D), used.length, D);
    params = initParams(config, initParamsRng(rng), { featureMean: stats.mean, featureStd: stats.std });
  }
  const maxId = maxToken(trainData);
  if (maxId >= config.vocabSize) throw new RangeError(`training captions use token id ${maxId}, vocabulary has ${config.vocabSize}`);

  const shuffleRng = rng.fork();
  const dropoutRng = rng.fork();
  const adam = createAdamState();
  const stepsPerEpoch = Math.ceil(trainData.captions.length / batchSize);
  const totalSteps = stepsPerEpoch * epochs;
  const write = options.writeCheckpoint ?? saveCheckpoint;

  let best = { params: cloneParams(params), epoch: -1, score: -Infinity };
  let lastGood = best.params;
  const history: EpochRecord[] = [];
  let step = 0;
  let sinceBest = 0;
  let stopReason: StopReason = 'completed';
  let message: string | undefined;
  const startTime = performance.now();

  const finish = (): TrainResult => ({
    params: validData && validData.captions.length > 0 ? best.params : lastGood,
    config,
    bestEpoch: validData && validData.captions.length > 0 ? best.epoch : history.length - 1,
    bestScore: best.epoch >= 0 ? best.score : undefined,
    epochsRun: history.length,
    steps: step,
    stopReason,
    message,
    history,
  });

  for (let epoch = 0; epoch < epochs; epoch++) {
    const epochStart = performance.now();
    const batches = makeBatches(trainData, batchSize, maxWords, shuffleRng);
    let lossSum = 0;
    let tokenSum = 0;
    for (let b = 0; b < batches.length; b++) {
      if (options.signal?.aborted) {
        stopReason = 'cancelled';
        return finish();
      }
      const batch = buildBatch(trainData, batches[b], maxWords, D);
      const lr = scheduledRate(schedule, step, epoch);
      const r = lossAndGrads(params, batch, { train: true, dropout: config.dropout, rng: dropoutRng, tbpttWindow: options.tbpttWindow });
      const { norm } = clipGradNorm(r.grads, clipNorm);
      if (!Number.isFinite(r.loss) || !Number.isFinite(norm)) {
        stopReason = 'non-finite';
        message = `training stopped at epoch ${epoch + 1}, step ${step + 1}: ${!Number.isFinite(r.loss) ? `loss is ${r.loss}` : `gradient norm is ${norm}`}; kept the weights of ${history.length > 0 ? `epoch ${history.length}` : 'the start'}`;
        params = lastGood;
        return finish();
      }
      if (options.updateParam) for (const k of Object.keys(r.grads)) if (!options.updateParam(k)) delete r.grads[k];
      adamStep(params, r.grads, adam, lr, options.adam);
      step++;
      lossSum += r.loss * r.tokens;
      tokenSum += r.tokens;
      const elapsed = (performance.now() - startTime) / 1000;
      options.onProgress?.({
        phase: 'train',
        epoch,
        epochs,
        step,
        stepsPerEpoch,
        loss: r.loss,
        epochLoss: lossSum / Math.max(tokenSum, 1),
        tokensPerSecond: tokenSum / Math.max((performance.now() - epochStart) / 1000, 1e-9),
        etaSeconds: (elapsed / step) * (totalSteps - step),
        learningRate: lr,
        gradNorm: norm,
      });
      await yieldToEventLoop();
    }

    // Validation.
    let validationLoss: number | undefined;
    let validationScore: number | undefined;
    if (validData && validData.captions.length > 0) {
      const elapsed = (performance.now() - startTime) / 1000;
      options.onProgress?.({
        phase: 'validate',
        epoch,
        epochs,
        step,
        stepsPerEpoch,
        loss: lossSum / Math.max(tokenSum, 1),
        epochLoss: lossSum / Math.max(tokenSum, 1),
        tokensPerSecond: tokenSum / Math.max((performance.now() - epochStart) / 1000, 1e-9),
        etaSeconds: (elapsed / Math.max(step, 1)) * (totalSteps - step),
        learningRate: scheduledRate(schedule, step, epoch),
        gradNorm: NaN,
      });
      validationLoss = meanLoss(params, validData, batchSize, maxWords, D);
      if (options.validationScorer) {
        validationScore = await options.validationScorer({ params, model: createStepModel(params), epoch, signal: options.signal });
      } else validationScore = -validationLoss;
      if (!Number.isFinite(validationScore)) {
        stopReason = 'non-finite';
        message = `validation after epoch ${epoch + 1} gave ${validationScore}; kept the weights of ${history.length > 0 ? `epoch ${history.length}` : 'the start'}`;
        params = lastGood;
        return finish();
      }
    }
    const record: EpochRecord = {
      epoch,
      trainLoss: lossSum / Math.max(tokenSum, 1),
      validationLoss,
      validationScore,
      seconds: (performance.now() - epochStart) / 1000,
      tokens: tokenSum,
    };
    history.push(record);
    lastGood = cloneParams(params);
    const isBest = validationScore !== undefined && validationScore > best.score;
    if (isBest) {
      best = { params: lastGood, epoch, score: validationScore! };
      sinceBest = 0;
    } else sinceBest++;
    const info: CheckpointInfo = { epoch, step, score: validationScore, trainLoss: record.trainLoss };
    if (options.checkpointPath) await write(options.checkpointPath, lastGood, config, info);
    if (isBest && options.bestCheckpointPath) await write(options.bestCheckpointPath, lastGood, config, info);
    const elapsed = (performance.now() - startTime) / 1000;
    options.onProgress?.({
      phase: 'epoch',
      epoch,
      epochs,
      step,
      stepsPerEpoch,
      loss: record.trainLoss,
      epochLoss: record.trainLoss,
      tokensPerSecond: tokenSum / Math.max(record.seconds, 1e-9),
      etaSeconds: (elapsed / Math.max(step, 1)) * (totalSteps - step),
      learningRate: scheduledRate(schedule, step, epoch),
      gradNorm: NaN,
      validationLoss,
      validationScore,
      best: isBest,
    });
    if (validData && validData.captions.length > 0 && sinceBest >= patience) {
      stopReason = 'early-stopped';
      break;
    }
  }
  return finish();
}

// ---------------------------------------------------------------------------
// Data

function initParamsRng(rng: Rng): number {
  return rng.nextUint32();
}

/** The same captions as views without a leading <start> or trailing <end>; rejects <pad> inside. */
function wordsOnly(data: CaptionData): CaptionData {
  const captions = data.captions.map((c) => {
    let a = 0;
    let b = c.tokens.length;
    if (b > a && c.tokens[a] === START) a++;
    if (b > a && c.tokens[b - 1] === END) b--;
    const tokens = c.tokens.subarray(a, b);
    for (const t of tokens) {
      if (t === PAD || t === START || t === END)
        throw new RangeError(`caption of image ${c.image} has a special token (${t}) among its words`);
    }
    return { image: c.image, tokens };
  });
  return { features: data.features, captions };
}

function checkData(data: CaptionData, D: number, what: string): void {
  if (data.features.length % D !== 0) throw new RangeError(`${what} features: ${data.features.length} values is not a multiple of ${D}`);
  const images = data.features.length / D;
  for (const c of data.captions) {
    if (!(c.image >= 0 && c.image < images)) throw new RangeError(`${what} caption refers to image ${c.image}; there are ${images}`);
  }
}

function maxToken(data: CaptionData): number {
  let m = 0;
  for (const c of data.captions) for (const t of c.tokens) if (t > m) m = t;
  return m;
}

function usedImages(data: CaptionData): number[] {
  return [...new Set(data.captions.map((c) => c.image))].sort((a, b) => a - b);
}

function gatherRows(features: Float32Array, rows: number[], D: number): Float32Array {
  const out = new Float32Array(rows.length * D);
  rows.forEach((r, i) => out.set(features.subarray(r * D, (r + 1) * D), i * D));
  return out;
}

/** Holds out a fraction of the images (with all their captions), chosen by the seed. */
function splitByImage(data: CaptionData, fraction: number, rng: Rng): [CaptionData, CaptionData] {
  const images = usedImages(data);
  rng.shuffle(images);
  const nValid = images.length >= 2 ? Math.max(1, Math.round(images.length * fraction)) : 0;
  const held = new Set(images.slice(0, nValid));
  return [
    { features: data.features, captions: data.captions.filter((c) => !held.has(c.image)) },
    { features: data.features, captions: data.captions.filter((c) => held.has(c.image)) },
  ];
}

/**
 * Batches of caption indices with similar lengths: shuffle, then sort by length within pools
 * of 32 batches, cut into batches, and shuffle the batch order. Padding stays small while the
 * batches still differ from epoch to epoch.
 */
export function makeBatches(data: CaptionData, batchSize: number, maxWords: number, rng: Rng): Int32Array[] {
  const order = Int32Array.from(data.captions.keys());
  rng.shuffle(order);
  const pool = batchSize * 32;
  const len = (i: number) => Math.min(data.captions[i].tokens.length, maxWords);
  const batches: Int32Array[] = [];
  for (let p = 0; p < order.length; p += pool) {
    const chunk = Array.from(order.subarray(p, p + pool)).sort((a, b) => len(a) - len(b));
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(Int32Array.from(chunk.slice(b, b + batchSize)));
  }
  rng.shuffle(batches);
  return batches;
}

/** N captions as <start> words <end> <pad>…, with their images' features (N×D). */
export function buildBatch(data: CaptionData, indices: Int32Array, maxWords: number, D: number): CaptionBatch<Float32Array> {
  const N = indices.length;
  let longest = 0;
  for (const i of indices) longest = Math.max(longest, Math.min(data.captions[i].tokens.length, maxWords));
  const T = longest + 2;
  const captions = new Int32Array(N * T).fill(PAD);
  const features = new Float32Array(N * D);
  for (let n = 0; n < N; n++) {
    const c = data.captions[indices[n]];
    const words = Math.min(c.tokens.length, maxWords);
    captions[n * T] = START;
    captions.set(c.tokens.subarray(0, words), n * T + 1);
    captions[n * T + words + 1] = END;
    features.set(data.features.subarray(c.image * D, (c.image + 1) * D), n * D);
  }
  return { features, captions, n: N, t: T };
}

/** Mean loss per token over a whole caption set, in evaluation mode. */
export function meanLoss(params: Params<Float32Array>, data: CaptionData, batchSize: number, maxWords: number, D: number): number {
  const order = Int32Array.from(data.captions.keys()).sort((a, b) => data.captions[a].tokens.length - data.captions[b].tokens.length);
  let sum = 0;
  let tokens = 0;
  for (let b = 0; b < order.length; b += batchSize) {
    const r = evaluateLoss(params, buildBatch(data, order.subarray(b, b + batchSize), maxWords, D));
    sum += r.loss * r.tokens;
    tokens += r.tokens;
  }
  return tokens > 0 ? sum / tokens : 0;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export { isTrainable };
