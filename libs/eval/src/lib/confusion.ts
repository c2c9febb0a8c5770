import { MetricArgumentError } from './errors.js';

/** Voxel counts of a binary comparison. */
export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

/** Counts for two binary masks (non-zero = inside). */
export function confusionCounts(pred: ArrayLike<number>, truth: ArrayLike<number>): ConfusionCounts {
  if (pred.length !== truth.length) throw new MetricArgumentError(`confusionCounts: pred has ${pred.length} voxels, truth ${truth.length}`);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0;
    const t = truth[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn, tn: pred.length - tp - fp - fn };
}

/**
 * Counts for every label of two label maps in one pass: for label k, prediction == k against truth == k.
 * Labels must be integers in [0, 65535].
 */
export function labelConfusion(pred: ArrayLike<number>, truth: ArrayLike<number>, labels: readonly number[]): Map<number, ConfusionCounts> {
  if (pred.length !== truth.length) throw new MetricArgumentError(`labelConfusion: pred has ${pred.length} voxels, truth ${truth.length}`);
  const limit = 65536;
  for (const label of labels) {
    if (!Number.isInteger(label) || label < 0 || label >= limit) throw new MetricArgumentError(`labelConfusion: label ${label} is not an integer in [0, ${limit - 1}]`);
  }
  // Counters only up to the largest label asked for: per-slice views call this once per slice.
  const size = Math.max(0, ...labels) + 1;
  const tp = new Float64Array(size);
  const inPred = new Float64Array(size);
  const inTruth = new Float64Array(size);
  // Background agreement (the bulk of a volume) is skipped unless label 0 itself is asked for; TN comes from
  // the total anyway.
  const skipBackground = !labels.includes(0);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const t = truth[i]!;
    if (skipBackground && p === 0 && t === 0) continue;
    if (p < size) inPred[p]!++;
    if (t < size) inTruth[t]!++;
    if (p === t && p < size) tp[p]!++;
  }
  const out = new Map<number, ConfusionCounts>();
  for (const label of labels) {
    const hit = tp[label]!;
    const fp = inPred[label]! - hit;
    const fn = inTruth[label]! - hit;
    out.set(label, { tp: hit, fp, fn, tn: pred.length - hit - fp - fn });
  }
  return out;
}
