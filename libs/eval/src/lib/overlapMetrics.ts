import type { ConfusionCounts } from './confusion.js';
import type { EmptyRule } from './emptyRule.js';

/** Overlap and volume metrics of one class in one case. Volumes in millilitres. */
export interface OverlapMetrics {
  readonly dice: number;
  readonly iou: number;
  readonly precision: number;
  readonly recall: number;
  readonly specificity: number;
  readonly truthVolumeMl: number;
  readonly predVolumeMl: number;
  /** |V_pred - V_truth| in millilitres. */
  readonly volumeDiffMl: number;
  /** (V_pred - V_truth) / V_truth: signed, so that over- and under-segmentation stay visible. */
  readonly relVolumeDiff: number;
}

/** Dice = 2TP / (2TP + FP + FN); `empty` decides the both-empty case. */
export function dice(c: ConfusionCounts, empty: EmptyRule = 'nan'): number {
  const denominator = 2 * c.tp + c.fp + c.fn;
  if (denominator === 0) return empty === 'one' ? 1 : NaN;
  return (2 * c.tp) / denominator;
}

/** IoU (Jaccard) = TP / (TP + FP + FN). */
export function iou(c: ConfusionCounts, empty: EmptyRule = 'nan'): number {
  const denominator = c.tp + c.fp + c.fn;
  if (denominator === 0) return empty === 'one' ? 1 : NaN;
  return c.tp / denominator;
}

/** Precision = TP / (TP + FP): undefined (NaN) when nothing is predicted but the truth is not empty. */
export function precision(c: ConfusionCounts, empty: EmptyRule = 'nan'): number {
  if (c.tp + c.fp === 0) return c.fn === 0 && empty === 'one' ? 1 : NaN;
  return c.tp / (c.tp + c.fp);
}

/** Recall (sensitivity) = TP / (TP + FN): undefined (NaN) when the truth is empty but the prediction is not. */
export function recall(c: ConfusionCounts, empty: EmptyRule = 'nan'): number {
  if (c.tp + c.fn === 0) return c.fp === 0 && empty === 'one' ? 1 : NaN;
  return c.tp / (c.tp + c.fn);
}

/** Specificity = TN / (TN + FP); defined whenever the image has background. */
export function specificity(c: ConfusionCounts): number {
  const denominator = c.tn + c.fp;
  return denominator === 0 ? NaN : c.tn / denominator;
}

export function overlapMetrics(c: ConfusionCounts, voxelVolumeMl: number, empty: EmptyRule = 'nan'): OverlapMetrics {
  const truthVolumeMl = (c.tp + c.fn) * voxelVolumeMl;
  const predVolumeMl = (c.tp + c.fp) * voxelVolumeMl;
  const truthVoxels = c.tp + c.fn;
  const predVoxels = c.tp + c.fp;
  return {
    dice: dice(c, empty),
    iou: iou(c, empty),
    precision: precision(c, empty),
    recall: recall(c, empty),
    specificity: specificity(c),
    truthVolumeMl,
    predVolumeMl,
    volumeDiffMl: Math.abs(predVoxels - truthVoxels) * voxelVolumeMl,
    // 0/0 is NaN (nothing to compare), x/0 is +Infinity (a prediction where there is no truth).
    relVolumeDiff: (predVoxels - truthVoxels) / truthVoxels,
  };
}
