import { labelConfusion } from './confusion.js';
import {
  averageSymmetricSurfaceDistance,
  hausdorffDistance,
  percentileHausdorffDistance,
  surfaceDice,
} from './distanceMetrics.js';
import type { EmptyRule } from './emptyRule.js';
import { type Grid, assertGrid, assertMaskLength, voxelVolumeMl } from './grid.js';
import { type OverlapMetrics, overlapMetrics } from './overlapMetrics.js';
import { surfaceDistances } from './surfaceDistances.js';

/** Which of the two masks is empty for a class: the empty rule applies to `both`. */
export type EmptyState = 'none' | 'truth' | 'pred' | 'both';

/** Every metric of one class in one case. Distances in millimetres, volumes in millilitres. */
export interface ClassMetrics extends OverlapMetrics {
  readonly label: number;
  readonly empty: EmptyState;
  readonly hd: number;
  readonly hd95: number;
  readonly assd: number;
  readonly surfaceDice: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

export interface EvaluateOptions {
  /** Labels to evaluate (never 0, the background). */
  readonly labels: readonly number[];
  readonly empty?: EmptyRule;
  /** Tolerance of the normalised surface Dice, in millimetres. */
  readonly toleranceMm?: number;
  /** Percentile of the percentile Hausdorff distance (default 95). */
  readonly hdPercentile?: number;
}

export const defaultToleranceMm = 2;

/**
 * All metrics for each label of two label maps on the same grid (2D when the grid has one slice). Pure: label
 * maps and the grid in, numbers out.
 */
export function evaluateCase(pred: ArrayLike<number>, truth: ArrayLike<number>, grid: Grid, options: EvaluateOptions): ClassMetrics[] {
  assertGrid(grid, 'evaluateCase');
  assertMaskLength(pred, grid, 'evaluateCase', 'pred');
  assertMaskLength(truth, grid, 'evaluateCase', 'truth');
  const empty = options.empty ?? 'nan';
  const tolerance = options.toleranceMm ?? defaultToleranceMm;
  const q = options.hdPercentile ?? 95;
  const counts = labelConfusion(pred, truth, options.labels);
  const voxelMl = voxelVolumeMl(grid);
  return options.labels.map((label) => {
    const c = counts.get(label)!;
    const truthEmpty = c.tp + c.fn === 0;
    const predEmpty = c.tp + c.fp === 0;
    const state: EmptyState = truthEmpty && predEmpty ? 'both' : truthEmpty ? 'truth' : predEmpty ? 'pred' : 'none';
    const overlap = overlapMetrics(c, voxelMl, empty);
    let distances: Pick<ClassMetrics, 'hd' | 'hd95' | 'assd' | 'surfaceDice'>;
    if (state === 'both') {
      distances = empty === 'one' ? { hd: 0, hd95: 0, assd: 0, surfaceDice: 1 } : { hd: NaN, hd95: NaN, assd: NaN, surfaceDice: NaN };
    } else {
      const d = surfaceDistances(pred, truth, grid, label);
      distances = {
        hd: hausdorffDistance(d),
        hd95: percentileHausdorffDistance(d, q),
        assd: averageSymmetricSurfaceDistance(d),
        surfaceDice: surfaceDice(d, tolerance),
      };
    }
    return { label, empty: state, ...overlap, ...distances, tp: c.tp, fp: c.fp, fn: c.fn, tn: c.tn };
  });
}

/**
 * The metrics of a class that is absent from both masks, without the masks: what `evaluateCase` gives for it,
 * for cases evaluated before the class turned up elsewhere.
 */
export function absentClassMetrics(label: number, grid: Grid, empty: EmptyRule = 'nan'): ClassMetrics {
  const voxels = grid.shape[0] * grid.shape[1] * grid.shape[2];
  const c = { tp: 0, fp: 0, fn: 0, tn: voxels };
  const distances = empty === 'one' ? { hd: 0, hd95: 0, assd: 0, surfaceDice: 1 } : { hd: NaN, hd95: NaN, assd: NaN, surfaceDice: NaN };
  return { label, empty: 'both', ...overlapMetrics(c, voxelVolumeMl(grid), empty), ...distances, ...c };
}
