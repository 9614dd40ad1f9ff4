/**
 * Trains the caption decoder: minibatches bucketed by caption length, Adam with global-norm
 * clipping and a learning-rate schedule, truncated BPTT, early stopping on a validation split,
 * an atomic checkpoint every epoch, and a stop on NaN/Inf that keeps the last good weights.
 * With `statePath`, the whole training state (best epoch and early-stopping count, Adam's
 * moments, the random streams) is saved atomically after every epoch, and `resumeFrom` continues
 * it: a run killed and resumed ends as the same run uninterrupted would.
 *
 * Deterministic: one seed drives initialisation, the validation split, batch order and dropout
 * (the fast matrix backend is deterministic for a fixed thread count).
 *
 * Runs anywhere Node runs, including worker threads: it only uses typed arrays, node:fs for
 * checkpoints and the matrix module. It yields to the event loop between batches so that an
 * AbortSignal fired from another thread or a message handler is seen promptly.
 *
 * Concepts (a decoder with conceptDim K > 0, see src/model/decoder.ts): a photo caption's K
 * concept scores are its own `concepts` or its image's row of `CaptionData.concepts` (a
 * detector's output; neither: all 0). A text-only caption (`hasImage: false`) has no feature:
 * the decoder masks it out, so it trains the concept path and the language; its clean concepts
 * (read from its words) get fresh detector-like noise every time it enters a batch when
 * `conceptNoise` is set (src/training/concept-noise.ts). Batches mix both kinds as they come
 * (shuffled together), text-only captions never go to the held-out validation split, and the
 * feature statistics come from the photos only. With `featureSwap`, some photo captions train with
 * another photo's feature and their own concepts (swapFeatures).
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
  conceptDimOf,
  attentionOf,
  type CaptionBatch,
} from '../model/decoder.js';
import { adamStep, clipGradNorm, createAdamState, learningRate as scheduledRate, type AdamOptions, type LrSchedule } from './optim.js';
import { saveCheckpoint, saveTrainingState, type CheckpointInfo, type EpochRecord, type TrainingState } from './checkpoint.js';
import { Rng } from '../model/rng.js';
import { noisyConcepts, resolveConceptNoise, type ConceptNoise, type ResolvedConceptNoise } from './concept-noise.js';
import { END, PAD, START, type DecoderConfig, type Params, type StepModel } from '../model/types.js';
import type { GridBasis } from '../model/grid-basis.js';

/**
 * One caption of one image: its word ids. The trainer adds <start> and <end>; if they are
 * already there (as `Vocabulary.encode` gives them) they are recognised and not doubled.
 */
export interface TokenCaption {
  /** Row of the image in `features`; ignored (by convention -1) for a text-only caption. */
  image: number;
  tokens: Int32Array;
  /**
   * K concept scores for this caption (decoders with conceptDim K > 0): for a text-only caption
   * the concepts its words name (clean; `conceptNoise` corrupts them per batch); for a photo
   * caption they replace its image's row of `CaptionData.concepts`.
   */
  concepts?: Float32Array;
  /** False for a caption without a photo (text-only): its image feature is masked out. Default true. */
  hasImage?: boolean;
}

/** Images' features (images × D, raw encoder output) and their captions. */
export interface CaptionData {
  features: Float32Array;
  captions: TokenCaption[];
  /** Images × K concept scores of each photo (a detector's), for a decoder with conceptDim K > 0. */
  concepts?: Float32Array;
  /**
   * Images × G × P: each photo's grid memory (`gridMemoryOf`'s values: its spatial grid reduced by the
   * decoder's basis), for a decoder with attention; `cells` is G.
   */
  memory?: Float32Array;
  cells?: number;
}

/** Whether a caption comes with a photo (the default) or is text-only. */
function hasImage(c: TokenCaption): boolean {
  return c.hasImage !== false;
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
  /** A new decoder with attention: the fixed basis its grid memory was reduced with (grid-basis.ts). */
  gridBasis?: GridBasis;
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
  /** Detector-like noise on text-only captions' concept scores in training (default: none, clean scores). */
  conceptNoise?: ConceptNoise;
  /**
   * Share of photo captions that get another photo's feature in training, their concepts staying
   * their own (default 0; needs conceptDim > 0): where the feature and the concepts disagree, the
   * captions follow the concepts, which the decoder then learns to trust.
   */
  featureSwap?: number;
  /** Epochs without a better validation score before stopping (default 3). */
  patience?: number;
  /** Validation score per epoch; default is minus the validation loss. */
  validationScorer?: ValidationScorer;
  /** Written atomically after every epoch with that epoch's weights. */
  checkpointPath?: string;
  /** Written atomically whenever an epoch is the best so far. */
  bestCheckpointPath?: string;
  /**
   * Written atomically after every epoch's 'epoch' report (so it holds what that report's handler
   * recorded in `stateExtra`): everything `resumeFrom` needs to continue the run.
   */
  statePath?: string;
  /** The caller's own record of the run, saved in the training state (read back as its `extra`). */
  stateExtra?: () => Record<string, unknown>;
  /**
   * Continue this run from a saved state (loadTrainingState): its epochs, weights, best epoch,
   * early-stopping count, Adam's moments and random streams. The data and options must be the
   * run's own; `epochs` stays the run's total.
   */
  resumeFrom?: TrainingState;
  /** Replaces the default checkpoint writer (e.g. to save a full model with its vocabulary). */
  writeCheckpoint?: (path: string, params: Params<Float32Array>, config: DecoderConfig, info: CheckpointInfo) => void | Promise<void>;
  onProgress?: (p: TrainProgress) => void;
  /** Called with each finished epoch before the training state is saved (what `stateExtra` records), then onProgress. */
  onEpochRecorded?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export type StopReason = 'completed' | 'early-stopped' | 'cancelled' | 'non-finite';

export type { EpochRecord };

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
  return new TrainingRun(options).run();
}

/** Sums over an epoch's batches so far. */
interface EpochTotals {
  start: number;
  lossSum: number;
  tokenSum: number;
}

/** One call of train(): the resolved options, the data, the weights and everything that moves between epochs. */
class TrainingRun {
  private readonly epochs: number;
  private readonly batchSize: number;
  private readonly maxWords: number;
  private readonly clipNorm: number;
  private readonly patience: number;
  private readonly schedule: LrSchedule;
  private readonly D: number;
  /** Concept scores per caption (0: the decoder reads none). */
  private readonly K: number;
  private readonly noise: ResolvedConceptNoise | null;
  private readonly trainData: CaptionData;
  /** Undefined or empty: no validation (the last epoch's weights are returned). */
  private readonly validData: CaptionData | undefined;
  private params: Params<Float32Array>;
  private readonly config: DecoderConfig;
  private shuffleRng: Rng;
  private dropoutRng: Rng;
  private noiseRng: Rng;
  private readonly featureSwap: number;
  private adam = createAdamState();
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly write: NonNullable<TrainOptions['writeCheckpoint']>;

  private best: { params: Params<Float32Array>; epoch: number; score: number };
  private lastGood: Params<Float32Array>;
  private history: EpochRecord[] = [];
  private step = 0;
  private sinceBest = 0;
  private stopReason: StopReason = 'completed';
  private message: string | undefined;
  private readonly startTime: number;

  constructor(private readonly options: TrainOptions) {
    const rng = new Rng(options.seed ?? 1);
    this.epochs = options.epochs ?? DEFAULTS.epochs;
    this.batchSize = options.batchSize ?? DEFAULTS.batchSize;
    this.maxWords = options.maxWords ?? DEFAULTS.maxWords;
    this.clipNorm = options.clipNorm ?? DEFAULTS.clipNorm;
    this.patience = options.patience ?? DEFAULTS.patience;
    this.schedule =
      typeof options.learningRate === 'object'
        ? options.learningRate
        : { kind: 'constant', base: options.learningRate ?? DEFAULTS.learningRate };
    if (!(this.batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${this.batchSize}`);

    const shape = options.initialParams ? configFromParams(options.initialParams) : options.config;
    this.D = shape.featureDim;
    this.K = conceptDimOf(shape);
    this.noise = options.conceptNoise ? resolveConceptNoise(options.conceptNoise) : null;
    this.featureSwap = options.featureSwap ?? 0;
    if (!(this.featureSwap >= 0 && this.featureSwap <= 1)) throw new RangeError(`featureSwap must be in [0, 1], got ${this.featureSwap}`);
    if (this.featureSwap > 0 && this.K === 0) throw new RangeError('featureSwap needs a decoder with concept input');
    [this.trainData, this.validData] = trainingData(options, this.D, this.K, rng, attentionOf(shape)?.memoryDim ?? 0);
    [this.params, this.config] = startingModel(options, this.trainData, this.D, rng);

    this.shuffleRng = rng.fork();
    this.dropoutRng = rng.fork();
    this.noiseRng = rng.fork(); // after the others, so their streams do not depend on it
    this.stepsPerEpoch = Math.ceil(this.trainData.captions.length / this.batchSize);
    this.totalSteps = this.stepsPerEpoch * this.epochs;
    this.write = options.writeCheckpoint ?? saveCheckpoint;
    this.best = { params: cloneParams(this.params), epoch: -1, score: -Infinity };
    this.lastGood = this.best.params;
    this.startTime = performance.now();
    if (options.resumeFrom) this.restore(options.resumeFrom);
  }

  /** Continues a saved run: where it stood after its last finished epoch. */
  private restore(state: TrainingState): void {
    for (const k of ['featureDim', 'embedDim', 'hiddenDim', 'layers', 'vocabSize'] as const) {
      if (state.config[k] !== this.config[k])
        throw new RangeError(`the saved training state has ${k} ${state.config[k]}, this run ${this.config[k]}: not the same run`);
    }
    this.params = cloneParams(state.params);
    this.lastGood = cloneParams(state.params);
    this.best = { params: cloneParams(state.best.params), epoch: state.best.epoch, score: state.best.score };
    this.sinceBest = state.sinceBest;
    this.step = state.step;
    this.adam = { t: state.adam.t, m: { ...state.adam.m }, v: { ...state.adam.v } };
    this.shuffleRng = Rng.fromState(state.rngs.shuffle);
    this.dropoutRng = Rng.fromState(state.rngs.dropout);
    this.noiseRng = Rng.fromState(state.rngs.noise);
    this.history = [...state.history];
  }

  private get validating(): boolean {
    return this.validData !== undefined && this.validData.captions.length > 0;
  }

  async run(): Promise<TrainResult> {
    if (this.validating && this.history.length > 0 && this.sinceBest >= this.patience) {
      this.stopReason = 'early-stopped'; // a resumed run that had already stopped early
      return this.finish();
    }
    for (let epoch = this.history.length; epoch < this.epochs; epoch++) {
      const totals = await this.trainEpoch(epoch);
      if (!totals) return this.finish();
      let validation: { loss: number; score: number } | undefined;
      if (this.validating) {
        validation = await this.validate(epoch, totals);
        if (!validation) return this.finish();
      }
      await this.endEpoch(epoch, totals, validation);
      if (this.validating && this.sinceBest >= this.patience) {
        this.stopReason = 'early-stopped';
        break;
      }
    }
    return this.finish();
  }

  private finish(): TrainResult {
    return {
      params: this.validating ? this.best.params : this.lastGood,
      config: this.config,
      bestEpoch: this.validating ? this.best.epoch : this.history.length - 1,
      bestScore: this.best.epoch >= 0 ? this.best.score : undefined,
      epochsRun: this.history.length,
      steps: this.step,
      stopReason: this.stopReason,
      message: this.message,
      history: this.history,
    };
  }

  /** Stops on non-finite numbers, keeping the last good weights. */
  private stopNonFinite(what: string): void {
    this.stopReason = 'non-finite';
    this.message = `${what}; kept the weights of ${this.history.length > 0 ? `epoch ${this.history.length}` : 'the start'}`;
    this.params = this.lastGood;
  }

  /** One pass over the shuffled batches; null when the run stopped (cancelled, or non-finite). */
  private async trainEpoch(epoch: number): Promise<EpochTotals | null> {
    const { options, trainData, config } = this;
    const totals: EpochTotals = { start: performance.now(), lossSum: 0, tokenSum: 0 };
    const batches = makeBatches(trainData, this.batchSize, this.maxWords, this.shuffleRng);
    for (let b = 0; b < batches.length; b++) {
      if (options.signal?.aborted) {
        this.stopReason = 'cancelled';
        return null;
      }
      const batch = buildBatch(trainData, batches[b], this.maxWords, this.D, {
        K: this.K,
        noise: this.noise,
        featureSwap: this.featureSwap,
        rng: this.noiseRng,
      });
      const lr = scheduledRate(this.schedule, this.step, epoch);
      const r = lossAndGrads(this.params, batch, {
        train: true,
        dropout: config.dropout,
        rng: this.dropoutRng,
        tbpttWindow: options.tbpttWindow,
      });
      const { norm } = clipGradNorm(r.grads, this.clipNorm);
      if (!Number.isFinite(r.loss) || !Number.isFinite(norm)) {
        const what = !Number.isFinite(r.loss) ? `loss is ${r.loss}` : `gradient norm is ${norm}`;
        this.stopNonFinite(`training stopped at epoch ${epoch + 1}, step ${this.step + 1}: ${what}`);
        return null;
      }
      if (options.updateParam) for (const k of Object.keys(r.grads)) if (!options.updateParam(k)) delete r.grads[k];
      adamStep(this.params, r.grads, this.adam, lr, options.adam);
      this.step++;
      totals.lossSum += r.loss * r.tokens;
      totals.tokenSum += r.tokens;
      const elapsed = (performance.now() - this.startTime) / 1000;
      options.onProgress?.({
        ...this.progress('train', epoch, totals, r.loss),
        etaSeconds: (elapsed / this.step) * (this.totalSteps - this.step),
        learningRate: lr,
        gradNorm: norm,
      });
      await yieldToEventLoop();
    }
    return totals;
  }

  /** The validation loss and score after an epoch; undefined when the score is not finite (the run stops). */
  private async validate(epoch: number, totals: EpochTotals): Promise<{ loss: number; score: number } | undefined> {
    const { options, params } = this;
    options.onProgress?.(this.progress('validate', epoch, totals, totals.lossSum / Math.max(totals.tokenSum, 1)));
    const loss = meanLoss(params, this.validData!, this.batchSize, this.maxWords, this.D);
    const score = options.validationScorer
      ? await options.validationScorer({ params, model: createStepModel(params), epoch, signal: options.signal })
      : -loss;
    if (!Number.isFinite(score)) {
      this.stopNonFinite(`validation after epoch ${epoch + 1} gave ${score}`);
      return undefined;
    }
    return { loss, score };
  }

  /** Records the epoch, keeps the best weights, writes the checkpoints and reports. */
  private async endEpoch(epoch: number, totals: EpochTotals, validation: { loss: number; score: number } | undefined): Promise<void> {
    const { options, config } = this;
    const record: EpochRecord = {
      epoch,
      trainLoss: totals.lossSum / Math.max(totals.tokenSum, 1),
      validationLoss: validation?.loss,
      validationScore: validation?.score,
      seconds: (performance.now() - totals.start) / 1000,
      tokens: totals.tokenSum,
    };
    this.history.push(record);
    this.lastGood = cloneParams(this.params);
    const isBest = validation !== undefined && validation.score > this.best.score;
    if (isBest) {
      this.best = { params: this.lastGood, epoch, score: validation.score };
      this.sinceBest = 0;
    } else this.sinceBest++;
    const info: CheckpointInfo = { epoch, step: this.step, score: validation?.score, trainLoss: record.trainLoss };
    if (options.checkpointPath) await this.write(options.checkpointPath, this.lastGood, config, info);
    if (isBest && options.bestCheckpointPath) await this.write(options.bestCheckpointPath, this.lastGood, config, info);
    const done: TrainProgress = {
      ...this.progress('epoch', epoch, totals, record.trainLoss),
      tokensPerSecond: totals.tokenSum / Math.max(record.seconds, 1e-9),
      validationLoss: validation?.loss,
      validationScore: validation?.score,
      best: isBest,
    };
    // The caller records the epoch, the state is saved with that record, and only then is the epoch
    // reported: whoever sees an epoch finished (a UI, then a kill) finds it in the saved state.
    options.onEpochRecorded?.(done);
    if (options.statePath) saveTrainingState(options.statePath, this.state());
    options.onProgress?.(done);
  }

  /** Everything the next epoch starts from (saved for a resume). */
  private state(): TrainingState {
    return {
      config: this.config,
      epochsDone: this.history.length,
      step: this.step,
      params: this.lastGood,
      best: this.best,
      sinceBest: this.sinceBest,
      adam: this.adam,
      rngs: { shuffle: this.shuffleRng.state(), dropout: this.dropoutRng.state(), noise: this.noiseRng.state() },
      history: this.history,
      extra: this.options.stateExtra?.() ?? {},
    };
  }

  /** A progress report as of now; 'train' reports override the ETA, rate and norm with the step's. */
  private progress(phase: TrainProgress['phase'], epoch: number, totals: EpochTotals, loss: number): TrainProgress {
    const elapsed = (performance.now() - this.startTime) / 1000;
    return {
      phase,
      epoch,
      epochs: this.epochs,
      step: this.step,
      stepsPerEpoch: this.stepsPerEpoch,
      loss,
      epochLoss: totals.lossSum / Math.max(totals.tokenSum, 1),
      tokensPerSecond: totals.tokenSum / Math.max((performance.now() - totals.start) / 1000, 1e-9),
      etaSeconds: (elapsed / Math.max(this.step, 1)) * (this.totalSteps - this.step),
      learningRate: scheduledRate(this.schedule, this.step, epoch),
      gradNorm: NaN,
    };
  }
}

/** The training captions (words only) and the validation set: given, or held out by image. */
function trainingData(options: TrainOptions, D: number, K: number, rng: Rng, P: number): [CaptionData, CaptionData | undefined] {
  checkData(options.train, D, K, 'training', P);
  let trainData = wordsOnly(options.train);
  let validData = options.validation && wordsOnly(options.validation);
  if (validData) checkData(validData, D, K, 'validation', P);
  else {
    const fraction = options.validationFraction ?? DEFAULTS.validationFraction;
    if (fraction > 0) [trainData, validData] = splitByImage(trainData, fraction, rng.fork());
  }
  if (trainData.captions.length === 0) throw new RangeError('no training captions');
  return [trainData, validData];
}

/** The weights to start from (a copy of options.initialParams, or new ones standardising the training features) and their config. */
function startingModel(options: TrainOptions, trainData: CaptionData, D: number, rng: Rng): [Params<Float32Array>, DecoderConfig] {
  let params: Params<Float32Array>;
  let config: DecoderConfig;
  if (options.initialParams) {
    params = cloneParams(options.initialParams);
    config = { ...configFromParams(params), dropout: options.config.dropout };
    initParamsRng(rng); // keep the stream position independent of the branch taken
  } else {
    config = options.config;
    validateConfig(config);
    const stats = trainingFeatureStats(trainData, D);
    const basis = options.gridBasis ? { gridMean: options.gridBasis.mean, gridBasis: options.gridBasis.basis } : {};
    params = initParams(config, initParamsRng(rng), { ...(stats ? { featureMean: stats.mean, featureStd: stats.std } : {}), ...basis });
  }
  const maxId = maxToken(trainData);
  if (maxId >= config.vocabSize) throw new RangeError(`training captions use token id ${maxId}, vocabulary has ${config.vocabSize}`);
  return [params, config];
}

/**
 * Mean and std of the features of the photos that captions refer to: what a new decoder
 * standardises its input with. Null when every caption is text-only (nothing to standardise yet).
 */
export function trainingFeatureStats(data: CaptionData, D: number): { mean: Float32Array; std: Float32Array } | null {
  const used = usedImages(data);
  return used.length > 0 ? featureStats(gatherRows(data.features, used, D), used.length, D) : null;
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
    return { ...c, tokens };
  });
  return { ...data, captions };
}

/** D-wide features, captions of images that exist, K concept scores and, for an attending decoder (P > 0), G×P memory per image. */
function checkData(data: CaptionData, D: number, K: number, what: string, P = 0): void {
  if (data.features.length % D !== 0) throw new RangeError(`${what} features: ${data.features.length} values is not a multiple of ${D}`);
  const images = data.features.length / D;
  for (const c of data.captions) {
    if (hasImage(c) && !(c.image >= 0 && c.image < images))
      throw new RangeError(`${what} caption refers to image ${c.image}; there are ${images}`);
  }
  checkConceptData(data, images, K, what);
  checkMemoryData(data, images, P, what);
}

function checkMemoryData(data: CaptionData, images: number, P: number, what: string): void {
  if (P === 0) {
    if (data.memory) throw new RangeError(`${what} data has grid memory, but the decoder has no attention`);
    return;
  }
  const G = data.cells ?? 0;
  if (!data.memory || !(Number.isInteger(G) && G >= 1) || data.memory.length !== images * G * P)
    throw new RangeError(`${what} grid memory: ${data.memory?.length ?? 0} values for ${images} images × ${G} cells × ${P}`);
  const i = data.memory.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new RangeError(`${what} grid memory of image ${Math.floor(i / (G * P))} is not finite`);
}

/** Every concept vector has K finite scores, and there are none for a decoder without concept input. */
function checkConceptData(data: CaptionData, images: number, K: number, what: string): void {
  const bad = (x: Float32Array) => x.findIndex((v) => !Number.isFinite(v));
  if (data.concepts) {
    if (K === 0) throw new RangeError(`${what} data has concept scores, but the decoder has no concept input (conceptDim 0)`);
    if (data.concepts.length !== images * K)
      throw new RangeError(`${what} concepts: ${data.concepts.length} values for ${images} images × ${K} concepts`);
    const i = bad(data.concepts);
    if (i >= 0) throw new RangeError(`${what} concepts of image ${Math.floor(i / K)}: score ${data.concepts[i]} is not finite`);
  }
  data.captions.forEach((c, n) => {
    if (!c.concepts) return;
    if (K === 0) throw new RangeError(`${what} caption ${n} has concept scores, but the decoder has no concept input (conceptDim 0)`);
    if (c.concepts.length !== K) throw new RangeError(`${what} caption ${n}: ${c.concepts.length} concept scores, the decoder reads ${K}`);
    const i = bad(c.concepts);
    if (i >= 0) throw new RangeError(`${what} caption ${n}: concept score ${i} is ${c.concepts[i]}, not finite`);
  });
}

function maxToken(data: CaptionData): number {
  let m = 0;
  for (const c of data.captions) for (const t of c.tokens) if (t > m) m = t;
  return m;
}

/** The photos' rows that captions refer to (text-only captions have none). */
function usedImages(data: CaptionData): number[] {
  return [...new Set(data.captions.filter(hasImage).map((c) => c.image))].sort((a, b) => a - b);
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
  const isHeld = (c: TokenCaption) => hasImage(c) && held.has(c.image);
  return [
    { ...data, captions: data.captions.filter((c) => !isHeld(c)) },
    { ...data, captions: data.captions.filter(isHeld) },
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

/** How a batch's concept scores are made: K per row (0: none), and the noise on text-only captions' ones (training only). */
export interface BatchConcepts {
  K: number;
  noise?: ResolvedConceptNoise | null;
  /** Training only: the share of photo captions given another photo's feature of the batch (TrainOptions.featureSwap). */
  featureSwap?: number;
  /** Required with `noise` or `featureSwap`. */
  rng?: Rng;
}

/**
 * N captions as <start> words <end> <pad>…, with their images' features (N×D), and for a
 * decoder with K > 0 concepts their concept scores (N×K) and, when some are text-only, the
 * photo mask (text-only rows keep a zero feature).
 */
export function buildBatch(
  data: CaptionData,
  indices: Int32Array,
  maxWords: number,
  D: number,
  conditioning: BatchConcepts = { K: 0 },
): CaptionBatch<Float32Array> {
  const N = indices.length;
  let longest = 0;
  for (const i of indices) longest = Math.max(longest, Math.min(data.captions[i].tokens.length, maxWords));
  const T = longest + 2;
  const captions = new Int32Array(N * T).fill(PAD);
  const features = new Float32Array(N * D);
  const swapped = swapFeatures(data, indices, conditioning);
  for (let n = 0; n < N; n++) {
    const c = data.captions[indices[n]];
    const words = Math.min(c.tokens.length, maxWords);
    captions[n * T] = START;
    captions.set(c.tokens.subarray(0, words), n * T + 1);
    captions[n * T + words + 1] = END;
    const image = swapped.get(n) ?? c.image;
    if (hasImage(c)) features.set(data.features.subarray(image * D, (image + 1) * D), n * D);
  }
  const batch: CaptionBatch<Float32Array> = { features, captions, n: N, t: T };
  if (indices.some((i) => !hasImage(data.captions[i])))
    batch.hasImage = Uint8Array.from(indices, (i) => (hasImage(data.captions[i]) ? 1 : 0));
  if (conditioning.K > 0) batch.concepts = batchConcepts(data, indices, conditioning);
  if (data.memory && data.cells) {
    const width = data.memory.length / (data.features.length / D); // G·P, checked by checkData
    const memory = new Float32Array(N * width);
    indices.forEach((i, n) => {
      const c = data.captions[i];
      const image = swapped.get(n) ?? c.image;
      if (hasImage(c)) memory.set(data.memory!.subarray(image * width, (image + 1) * width), n * width);
    });
    batch.memory = memory;
    batch.cells = data.cells;
  }
  return batch;
}

/**
 * Which rows of a batch take another photo's feature (and grid) in training: row n -> the image
 * it takes, drawn from the batch's other photos (featureSwap of the photo captions, by the rng).
 * Concepts are not swapped: they stay the caption's own.
 */
function swapFeatures(data: CaptionData, indices: Int32Array, { featureSwap = 0, rng }: BatchConcepts): Map<number, number> {
  const swapped = new Map<number, number>();
  if (featureSwap <= 0) return swapped;
  if (!rng) throw new Error('buildBatch: featureSwap needs an rng');
  const photos = [...indices].filter((i) => hasImage(data.captions[i])).map((i) => data.captions[i].image);
  indices.forEach((i, n) => {
    const c = data.captions[i];
    if (!hasImage(c) || rng.uniform() >= featureSwap) return;
    const others = photos.filter((p) => p !== c.image);
    if (others.length > 0) swapped.set(n, others[rng.int(others.length)]!);
  });
  return swapped;
}

/** Row n: the caption's own scores (noised when text-only and noise is on), else its image's row of data.concepts, else 0. */
function batchConcepts(data: CaptionData, indices: Int32Array, { K, noise, rng }: BatchConcepts): Float32Array {
  if (noise && !rng) throw new Error('buildBatch: concept noise needs an rng');
  const out = new Float32Array(indices.length * K);
  indices.forEach((i, n) => {
    const c = data.captions[i];
    const row = out.subarray(n * K, (n + 1) * K);
    if (c.concepts && !hasImage(c) && noise) noisyConcepts(c.concepts, noise, rng!, row);
    else if (c.concepts) row.set(c.concepts);
    else if (hasImage(c) && data.concepts) row.set(data.concepts.subarray(c.image * K, (c.image + 1) * K));
  });
  return out;
}

/** Mean loss per token over a whole caption set, in evaluation mode. */
export function meanLoss(params: Params<Float32Array>, data: CaptionData, batchSize: number, maxWords: number, D: number): number {
  const order = Int32Array.from(data.captions.keys()).sort((a, b) => data.captions[a].tokens.length - data.captions[b].tokens.length);
  let sum = 0;
  let tokens = 0;
  const conditioning = { K: conceptDimOf(configFromParams(params)) }; // clean scores: evaluation is not augmented
  for (let b = 0; b < order.length; b += batchSize) {
    const r = evaluateLoss(params, buildBatch(data, order.subarray(b, b + batchSize), maxWords, D, conditioning));
    sum += r.loss * r.tokens;
    tokens += r.tokens;
  }
  return tokens > 0 ? sum / tokens : 0;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export { isTrainable };
