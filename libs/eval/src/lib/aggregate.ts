import { createRng } from '@medseg/data';
import type { ClassMetrics } from './evaluateCase.js';
import { type MetricName, metricNames } from './metricNames.js';
import { type SummaryStats, defaultResamples, summaryStats } from './summaryStats.js';

/** Statistics per class label (as a string key, for JSON) and per metric. */
export type ClassSummary = Record<string, Partial<Record<MetricName, SummaryStats>>>;

/** Anything with a class label and a value per metric: a case, a slice or a patient. */
export type MetricRow = { readonly label: number } & Readonly<Record<MetricName, number>>;

export interface AggregateOptions {
  /** Seed of the bootstrap; every (view, class, metric) draws from its own child stream. */
  readonly seed: number;
  readonly resamples?: number;
  readonly metrics?: readonly MetricName[];
  /** Resample these groups (e.g. the case of each slice) for the CI instead of single rows. */
  readonly cluster?: (row: MetricRow) => string;
}

/** Summary statistics of every metric, per class, over a list of per-case (or per-slice) results. */
export function aggregateByClass(results: readonly MetricRow[], view: string, options: AggregateOptions): ClassSummary {
  const out: ClassSummary = {};
  const root = createRng(options.seed);
  const labels = [...new Set(results.map((r) => r.label))].sort((a, b) => a - b);
  for (const label of labels) {
    const rows = results.filter((r) => r.label === label);
    const entry: Partial<Record<MetricName, SummaryStats>> = {};
    for (const metric of options.metrics ?? metricNames) {
      const rng = root.child(`${view}/${label}/${metric}`);
      const clusters = options.cluster === undefined ? undefined : rows.map(options.cluster);
      entry[metric] = summaryStats(rows.map((r) => r[metric]), { rng, resamples: options.resamples ?? defaultResamples }, clusters);
    }
    out[String(label)] = entry;
  }
  return out;
}

/** A patient's value of a metric: the mean of the finite values of its cases (NaN when none is finite). */
export interface PatientMetrics {
  readonly patientId: string;
  readonly label: number;
  readonly cases: number;
  readonly values: Readonly<Record<MetricName, number>>;
}

export function perPatient(results: readonly (ClassMetrics & { readonly patientId: string })[]): PatientMetrics[] {
  const groups = new Map<string, (ClassMetrics & { readonly patientId: string })[]>();
  for (const r of results) {
    const key = `${r.label}\u0000${r.patientId}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  return [...groups.values()].map((rows) => {
    const values = {} as Record<MetricName, number>;
    for (const metric of metricNames) {
      const finite = rows.map((r) => r[metric]).filter(Number.isFinite);
      values[metric] = finite.length > 0 ? finite.reduce((s, v) => s + v, 0) / finite.length : NaN;
    }
    return { patientId: rows[0]!.patientId, label: rows[0]!.label, cases: rows.length, values };
  });
}
