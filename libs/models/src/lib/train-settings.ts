import type { CrossValidationFold, NormalizationSpec, RngState } from '@medseg/data';
import type { LossName } from './losses.js';

/** Settings of a training run; stored in every checkpoint, so `--resume` continues with the same ones. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Learning rate of unfrozen encoder layers (only with `unfreezeFrom`). */
  encoderLearningRate: number;
  loss: LossName;
  seed: number;
  /** Epochs without a better validation per-patient Dice before stopping. */
  patience: number;
  /** `cosine`: from learningRate down to 5% of it over the run; `constant`. */
  schedule: 'cosine' | 'constant';
  /** Free-form description of the augmentation (a preset name), recorded for the run's record. */
  augment: string;
  /**
   * Training slices (a seeded subset, un-augmented) whose batch statistics replace the decoder's BN moving
   * statistics before each validation ("precise BN", see recalibrateBatchNorm); 0 keeps the moving averages.
   * Absent in checkpoints written before it existed, which means 0.
   */
  batchNormRecalibration?: number;
  /** Threads sharing each batch (the main one and workers - 1 replicas; see TrainOptions.replicas); absent means 1. */
  workers?: number;
  /** Where the data came from and how it was normalised, for `--resume` and `predict` (JSON). */
  dataset?: { path: string; normalization?: NormalizationSpec; classes?: readonly string[]; fold?: CrossValidationFold };
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  learningRate: number;
  /** Mean Dice over validation slices whose truth or prediction holds foreground. */
  valDiceSlice: number;
  /** Mean over validation cases of each case's 3D Dice. */
  valDicePatient: number;
  seconds: number;
}

export interface TrainState {
  /** Epoch to run next (0-based) and the batch to start it at (non-zero after an interruption). */
  epoch: number;
  batch: number;
  lossSum: number;
  lossCount: number;
  history: EpochMetrics[];
  best: { epoch: number; valDicePatient: number } | null;
  epochsSinceBest: number;
  /** Generator of the epoch in progress, restored on resume (shuffles and augmentation draws derive from it). */
  rng: RngState;
  stopped: 'completed' | 'early-stopping' | null;
  elapsedSeconds: number;
}
