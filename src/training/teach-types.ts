/**
 * Shapes of "Teach Lenscribe" (issue 7) as the teach job keeps them: what `lenscribe teach` reads
 * and src/main/api/teach.ts translates into the contract's TeachOverview / TeachRun for the UI.
 * Produced by src/main/teach/teach-job.ts, computed by src/training/teach.ts. Plain data only
 * (stored as JSON). The scores and metrics are the contract's own (one definition each).
 */
import type { TeachMetrics, TeachScores, TeachVerdict } from '../shared/api-contract.js';

export type { TeachMetrics, TeachScores, TeachVerdict };

/** A photo the user captioned, and which side of the deterministic split it is on. */
export interface LabeledPhoto {
  photoId: number;
  path: string;
  caption: string;
  /** 'validation' photos are held back: fine-tuning never trains on them. */
  split: 'train' | 'validation';
}

export interface TeachOptions {
  /** Maximum epochs (default 8; early stopping on CIDEr-D of the user's validation photos). */
  epochs?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Seed for the split-independent randomness (batch order, dropout, replay sample). */
  seed?: number;
}

/** One finished epoch's losses (one per epoch; `step` counts optimizer steps); the UI's chart points are the contract's LossPoint. */
export interface EpochPoint {
  epoch: number;
  step: number;
  trainLoss: number;
  validationLoss: number | null;
  /** CIDEr-D of the epoch's greedy captions of the user's held-back photos (absent in runs saved before it was kept). */
  heldBackCider?: number | null;
  /**
   * The held-back score the kept epoch is chosen by: heldBackCider within the forgetting budget,
   * minus the general-photos drop beyond it (so it is negative then).
   */
  score?: number | null;
}

/** Live progress of a running fine-tune. */
export interface TeachProgress {
  phase: 'features' | 'prepare' | 'train' | 'validate' | 'evaluate' | 'save';
  /** 0-based epoch and the maximum. */
  epoch: number;
  epochs: number;
  step: number;
  totalSteps: number;
  /** Training loss of the latest batch and the running mean of the epoch. */
  loss: number | null;
  epochLoss: number | null;
  /** Latest user-validation loss (after an epoch). */
  validationLoss: number | null;
  etaSeconds: number | null;
  /** Every finished epoch so far. */
  curve: EpochPoint[];
  message: string | null;
}

/** A word the model learned, and the existing words its weights started from. */
export interface LearnedWord {
  word: string;
  id: number;
  anchors: Array<{ word: string; weight: number }>;
  /** Training photos whose caption uses the word (a rename needs several). */
  photos: number;
}

export interface ValidationCaption {
  photoId: number;
  path: string;
  reference: string;
  before: string;
  after: string;
}

/** What one finished fine-tune produced (also stored as teach.json in the model directory). */
export interface TeachResult {
  modelId: string;
  modelName: string;
  modelDir: string;
  baseModelId: string;
  trainPhotos: number;
  validationPhotos: number;
  replayCaptions: number;
  newWords: LearnedWord[];
  epochsRun: number;
  /** 0-based epoch whose weights the new version keeps: the best held-back score, not the last epoch. */
  bestEpoch: number;
  stopReason: 'completed' | 'early-stopped';
  seconds: number;
  metrics: TeachMetrics;
  /** Better, mixed or worse than the base (absent in state files written before verdicts: computed from the metrics then). */
  verdict?: TeachVerdict;
  validationCaptions: ValidationCaption[];
  curve: EpochPoint[];
}

/** Where teaching stands; `interrupted` means the previous run died (kill, crash): resume or discard. */
export type TeachState =
  | { state: 'idle'; last: TeachResult | null; lastError: string | null }
  | { state: 'running'; runId: string; startedAt: string; baseModelId: string; progress: TeachProgress | null }
  | { state: 'interrupted'; runId: string; startedAt: string; baseModelId: string; epochsDone: number; canResume: boolean }
  | { state: 'ready'; runId: string; result: TeachResult };

export interface TeachStatus {
  labeled: LabeledPhoto[];
  trainCount: number;
  validationCount: number;
  /** Fewest labeled photos a fine-tune accepts. */
  minimumPhotos: number;
  activeModelId: string | null;
  /** The model `rollback` would return to, if any. */
  rollbackTo: string | null;
  teach: TeachState;
}
