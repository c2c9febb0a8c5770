import { MetricArgumentError } from './errors.js';
import { normalSf } from './normal.js';

export type WilcoxonMethod = 'auto' | 'exact' | 'approx';

export interface WilcoxonResult {
  /** min(R+, R-) over the non-zero differences, as scipy's two-sided statistic. */
  readonly statistic: number;
  readonly pValue: number;
  /** The method used: `auto` resolves to one of the others. */
  readonly method: 'exact' | 'approx';
  /** Pairs compared, and how many had a zero difference (dropped, scipy's `zero_method="wilcox"`). */
  readonly n: number;
  readonly zeros: number;
  /** The normal deviate, for `approx`. */
  readonly z?: number;
}

/**
 * Two-sided Wilcoxon signed-rank test of paired samples, as `scipy.stats.wilcoxon(x, y)` with its defaults
 * (`zero_method="wilcox"`, `correction=False`): zero differences are dropped, tied |differences| get average
 * ranks. `approx` is the normal approximation with scipy's tie correction of the variance; `exact` is the exact
 * null distribution of R+. `auto` picks `exact` for at most 50 pairs without zeros or ties, else `approx`
 * (scipy 1.10 also runs `exact` with ties, on truncated rank sums; we take the normal approximation there).
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[], method: WilcoxonMethod = 'auto'): WilcoxonResult {
  if (x.length !== y.length) throw new MetricArgumentError(`wilcoxonSignedRank: x has ${x.length} values, y ${y.length}`);
  const all = x.map((v, i) => v - y[i]!);
  if (all.some((v) => !Number.isFinite(v))) throw new MetricArgumentError('wilcoxonSignedRank: differences must be finite');
  const zeros = all.filter((v) => v === 0).length;
  if (all.length === 0) return { statistic: NaN, pValue: NaN, method: method === 'exact' ? 'exact' : 'approx', n: 0, zeros: 0 };
  const d = all.filter((v) => v !== 0);
  const ranks = averageRanks(d.map(Math.abs));
  const tied = new Set(ranks).size !== ranks.length;
  const resolved: 'exact' | 'approx' = method === 'auto' ? (all.length <= 50 && zeros === 0 && !tied ? 'exact' : 'approx') : method;
  if (resolved === 'exact' && (zeros > 0 || tied)) throw new MetricArgumentError('wilcoxonSignedRank: the exact method needs differences without zeros or ties');
  if (d.length === 0) return { statistic: 0, pValue: NaN, method: resolved, n: all.length, zeros };
  let rPlus = 0, rMinus = 0;
  d.forEach((v, i) => (v > 0 ? (rPlus += ranks[i]!) : (rMinus += ranks[i]!)));
  const statistic = Math.min(rPlus, rMinus);
  const count = d.length;
  if (resolved === 'exact') return { statistic, pValue: exactPValue(count, rPlus), method: resolved, n: all.length, zeros };
  const mean = (count * (count + 1)) * 0.25;
  let variance = count * (count + 1) * (2 * count + 1);
  for (const t of tieSizes(ranks)) variance -= 0.5 * t * (t * t - 1);
  const se = Math.sqrt(variance / 24);
  const z = (statistic - mean) / se;
  return { statistic, pValue: 2 * normalSf(Math.abs(z)), method: resolved, n: all.length, zeros, z };
}

/** Ranks 1..n with ties given their average rank (scipy `rankdata` default). */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]!] = rank;
    i = j + 1;
  }
  return ranks;
}

function tieSizes(ranks: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.values()].filter((c) => c > 1);
}

/** Two-sided exact p-value from the null distribution of R+ (every sign pattern equally likely). */
function exactPValue(n: number, rPlus: number): number {
  const max = (n * (n + 1)) / 2;
  // counts[s] = number of subsets of {1..n} summing to s; doubles hold 2^50 exactly enough for a ratio.
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) for (let s = max; s >= k; s--) counts[s]! += counts[s - k]!;
  const total = 2 ** n;
  const r = Math.trunc(rPlus);
  if (r === Math.trunc(max / 2)) return 1;
  let less = 0, greater = 0;
  for (let s = 0; s <= max; s++) {
    if (s <= r) less += counts[s]!;
    if (s >= r) greater += counts[s]!;
  }
  return Math.min(1, Math.max(0, (2 * Math.min(less, greater)) / total));
}
