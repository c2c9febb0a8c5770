import { MetricArgumentError } from './errors.js';
import { percentile } from '@medseg/data';
import type { SurfaceDistances } from './surfaceDistances.js';

/**
 * Metrics from the two directed surface-distance sets, as MONAI defines them. Each is NaN when both sets are
 * empty (both masks empty: the empty rule decides, see `EmptyRule`) and +Infinity (Hausdorff, ASSD) when
 * exactly one mask is empty.
 */

/** Hausdorff distance: the largest directed distance either way (MONAI `percentile=None`). */
export function hausdorffDistance(d: SurfaceDistances): number {
  if (d.predToTruth.length + d.truthToPred.length === 0) return NaN;
  let max = -Infinity;
  for (const v of d.predToTruth) if (v > max) max = v;
  for (const v of d.truthToPred) if (v > max) max = v;
  return max;
}

/**
 * Percentile Hausdorff distance: the larger of the two directed q-th percentiles, each with numpy's linear
 * interpolation (MONAI `percentile=95` uses `torch.quantile`, which interpolates the same way).
 */
export function percentileHausdorffDistance(d: SurfaceDistances, q = 95): number {
  if (d.predToTruth.length === 0 || d.truthToPred.length === 0) return NaN;
  return Math.max(percentile(d.predToTruth, q), percentile(d.truthToPred, q));
}

/** Average symmetric surface distance: the mean of both directed sets pooled (MONAI `symmetric=True`). */
export function averageSymmetricSurfaceDistance(d: SurfaceDistances): number {
  const n = d.predToTruth.length + d.truthToPred.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (const v of d.predToTruth) sum += v;
  for (const v of d.truthToPred) sum += v;
  return sum / n;
}

/**
 * Normalised surface Dice at a tolerance in millimetres (Nikolov et al. 2021 on voxel surfaces, MONAI
 * `compute_surface_dice` without sub-voxels): the fraction of surface voxels of both masks that lie within the
 * tolerance of the other surface. 0 when one mask is empty.
 */
export function surfaceDice(d: SurfaceDistances, toleranceMm: number): number {
  if (!(toleranceMm >= 0)) throw new MetricArgumentError(`surfaceDice: toleranceMm must be >= 0, got ${toleranceMm}`);
  const n = d.predToTruth.length + d.truthToPred.length;
  if (n === 0) return NaN;
  let within = 0;
  for (const v of d.predToTruth) if (v <= toleranceMm) within++;
  for (const v of d.truthToPred) if (v <= toleranceMm) within++;
  return within / n;
}
