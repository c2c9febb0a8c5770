import type { Rng } from '@medseg/data';
import { percentile } from '@medseg/data';

/**
 * Descriptive statistics of one metric over cases. Only finite values enter them: NaN (undefined, e.g. both
 * masks empty under the `nan` rule) and infinities (a distance to an empty mask) are left out and counted, so a
 * reader sees how many cases a mean stands on.
 */
export interface SummaryStats {
  /** Finite values used. */
  readonly n: number;
  readonly nan: number;
  readonly infinite: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1 in the denominator; pandas' default, numpy's `ddof=1`). */
  readonly std: number;
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  /** Percentile bootstrap 95% confidence interval of the mean. */
  readonly ci95: readonly [number, number];
}

export interface BootstrapOptions {
  readonly rng: Rng;
  /** Resamples (default 2000). */
  readonly resamples?: number;
}

export const defaultResamples = 2000;

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample standard deviation (ddof = 1); NaN for fewer than two values. */
export function sampleStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return NaN;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Percentile bootstrap confidence interval of the mean: `resamples` means of n draws with replacement, and
 * their 2.5th and 97.5th percentiles (numpy's linear interpolation). Seeded: the same rng state, the same
 * interval.
 */
export function bootstrapMeanCi(values: ArrayLike<number>, options: BootstrapOptions, level = 0.95): [number, number] {
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const resamples = options.resamples ?? defaultResamples;
  const means = new Float64Array(resamples);
  const rng = options.rng;
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(rng.next() * n)]!;
    means[b] = sum / n;
  }
  means.sort();
  const tail = ((1 - level) / 2) * 100;
  return [percentile(means, tail, true), percentile(means, 100 - tail, true)];
}

/**
 * Cluster (block) bootstrap CI of the mean: whole clusters are resampled with replacement and the mean is taken
 * over all their values. For slices of a volume, which are not independent of each other, resampling cases
 * gives an honest interval where resampling slices would give a too narrow one.
 */
export function clusterBootstrapMeanCi(values: ArrayLike<number>, clusters: ArrayLike<number | string>, options: BootstrapOptions, level = 0.95): [number, number] {
  const index = new Map<number | string, number>();
  const sums: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    let k = index.get(clusters[i]!);
    if (k === undefined) {
      k = sums.length;
      index.set(clusters[i]!, k);
      sums.push(0);
      counts.push(0);
    }
    sums[k]! += values[i]!;
    counts[k]!++;
  }
  const m = sums.length;
  if (m === 0) return [NaN, NaN];
  const resamples = options.resamples ?? defaultResamples;
  const means = new Float64Array(resamples);
  const rng = options.rng;
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < m; i++) {
      const k = Math.floor(rng.next() * m);
      sum += sums[k]!;
      count += counts[k]!;
    }
    means[b] = sum / count;
  }
  means.sort();
  const tail = ((1 - level) / 2) * 100;
  return [percentile(means, tail, true), percentile(means, 100 - tail, true)];
}

/** Statistics of `values`; with `clusters` (one key per value) the CI resamples clusters instead of values. */
export function summaryStats(values: ArrayLike<number>, bootstrap: BootstrapOptions, clusters?: ArrayLike<number | string>): SummaryStats {
  const finite: number[] = [];
  const finiteClusters: (number | string)[] = [];
  let nan = 0;
  let infinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) infinite++;
    else {
      finite.push(v);
      if (clusters !== undefined) finiteClusters.push(clusters[i]!);
    }
  }
  const sorted = Float64Array.from(finite).sort();
  return {
    n: finite.length,
    nan,
    infinite,
    mean: mean(finite),
    std: sampleStd(finite),
    median: percentile(sorted, 50, true),
    q1: percentile(sorted, 25, true),
    q3: percentile(sorted, 75, true),
    min: sorted.length > 0 ? sorted[0]! : NaN,
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    ci95: clusters === undefined ? bootstrapMeanCi(finite, bootstrap) : clusterBootstrapMeanCi(finite, finiteClusters, bootstrap),
  };
}
