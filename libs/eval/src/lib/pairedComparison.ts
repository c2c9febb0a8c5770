import { createRng } from '@medseg/data';
import type { CaseResult } from './segmentationMetrics.js';
import { type MetricName, metricNames } from './metricNames.js';
import { bootstrapMeanCi, defaultResamples, mean } from './summaryStats.js';
import { type WilcoxonResult, wilcoxonSignedRank } from './wilcoxon.js';

/** Run A minus run B on the same cases, for one class and one metric. */
export interface PairedMetricComparison {
  /** Cases where both runs have a finite value. */
  readonly n: number;
  /** Cases left out because either value was NaN or infinite. */
  readonly dropped: number;
  readonly meanA: number;
  readonly meanB: number;
  readonly meanDiff: number;
  /** Percentile bootstrap 95% CI of the mean difference (cases resampled in pairs). */
  readonly ci95: readonly [number, number];
  readonly wilcoxon: WilcoxonResult | null;
}

export type PairedComparison = Record<string, Partial<Record<MetricName, PairedMetricComparison>>>;

/**
 * Paired comparison of two runs over the same cases ("does ImageNet transfer help" is a paired question):
 * per class and metric, the mean of the per-case differences A - B with a seeded bootstrap CI, and the
 * two-sided Wilcoxon signed-rank test (scipy's defaults, see `wilcoxonSignedRank`).
 */
export function pairedComparison(a: readonly CaseResult[], b: readonly CaseResult[], options: { seed: number; resamples?: number }): PairedComparison {
  const key = (r: CaseResult) => `${r.label}\u0000${r.case}`;
  const other = new Map(b.map((r) => [key(r), r]));
  const root = createRng(options.seed);
  const out: PairedComparison = {};
  const labels = [...new Set(a.map((r) => r.label))].sort((x, y) => x - y);
  for (const label of labels) {
    const entry: Partial<Record<MetricName, PairedMetricComparison>> = {};
    const rows = a.filter((r) => r.label === label && other.has(key(r)));
    for (const metric of metricNames) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (const r of rows) {
        const x = r[metric];
        const y = other.get(key(r))![metric];
        if (Number.isFinite(x) && Number.isFinite(y)) {
          xs.push(x);
          ys.push(y);
        }
      }
      const diffs = xs.map((x, i) => x - ys[i]!);
      let wilcoxon: WilcoxonResult | null = null;
      if (diffs.some((d) => d !== 0)) wilcoxon = wilcoxonSignedRank(xs, ys, 'auto');
      entry[metric] = {
        n: xs.length,
        dropped: rows.length - xs.length,
        meanA: mean(xs),
        meanB: mean(ys),
        meanDiff: mean(diffs),
        ci95: bootstrapMeanCi(diffs, { rng: root.child(`paired/${label}/${metric}`), resamples: options.resamples ?? defaultResamples }),
        wilcoxon,
      };
    }
    out[String(label)] = entry;
  }
  return out;
}
