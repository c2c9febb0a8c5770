import type { ClassSummary } from '../aggregate.js';
import type { CaseResult } from '../segmentationMetrics.js';
import { type MetricName, metricInfo } from '../metricNames.js';
import type { PairedComparison } from '../pairedComparison.js';
import type { SegmentationAggregate } from '../segmentationMetrics.js';
import type { EvalResult } from '../runEvaluation.js';
import { conventions } from './conventions.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const keyOf = new Map<MetricName, string>(metricInfo.map((m) => [m.name, m.key]));

/** JSON has no NaN or infinity: both become null, and the notes say why. */
function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export function caseRecord(r: CaseResult, classNames: Readonly<Record<string, string>>): { [key: string]: Json } {
  const out: { [key: string]: Json } = { case: r.case, class: r.label, class_name: classNames[String(r.label)] ?? String(r.label), patient: r.patientId, empty: r.empty };
  for (const m of metricInfo) out[m.key] = num(r[m.name]);
  out['truth_volume_ml'] = r.truthVolumeMl;
  out['pred_volume_ml'] = r.predVolumeMl;
  Object.assign(out, { tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn });
  return out;
}

function summaryJson(summary: ClassSummary): Json {
  const out: { [key: string]: Json } = {};
  for (const [label, metrics] of Object.entries(summary)) {
    const entry: { [key: string]: Json } = {};
    for (const [name, s] of Object.entries(metrics)) {
      if (!s) continue;
      entry[keyOf.get(name as MetricName)!] = {
        n: s.n, nan: s.nan, infinite: s.infinite, mean: num(s.mean), std: num(s.std), median: num(s.median),
        q1: num(s.q1), q3: num(s.q3), min: num(s.min), max: num(s.max), ci95: [num(s.ci95[0]), num(s.ci95[1])],
      };
    }
    out[label] = entry;
  }
  return out;
}

function aggregateJson(a: SegmentationAggregate): Json {
  return {
    per_case: summaryJson(a.perCase),
    per_patient: summaryJson(a.perPatient),
    ...(a.perSlice ? { per_slice: summaryJson(a.perSlice) } : {}),
  };
}

function pairedJson(p: PairedComparison): Json {
  const out: { [key: string]: Json } = {};
  for (const [label, metrics] of Object.entries(p)) {
    const entry: { [key: string]: Json } = {};
    for (const [name, c] of Object.entries(metrics)) {
      if (!c) continue;
      entry[keyOf.get(name as MetricName)!] = {
        n: c.n, dropped: c.dropped, mean_this: num(c.meanA), mean_other: num(c.meanB), mean_diff: num(c.meanDiff),
        ci95: [num(c.ci95[0]), num(c.ci95[1])],
        wilcoxon: c.wilcoxon === null ? null : { statistic: num(c.wilcoxon.statistic), p_value: num(c.wilcoxon.pValue), method: c.wilcoxon.method, zeros: c.wilcoxon.zeros },
      };
    }
    out[label] = entry;
  }
  return out;
}

/** Why values are null: one line per metric and reason, with counts. */
export function nullNotes(cases: readonly CaseResult[]): string[] {
  const notes: string[] = [];
  for (const m of metricInfo) {
    const reasons = new Map<string, number>();
    for (const r of cases) {
      const v = r[m.name];
      if (Number.isFinite(v)) continue;
      let reason: string;
      if (r.empty === 'both') reason = 'both masks empty (empty rule nan)';
      else if (v === Infinity || v === -Infinity) reason = r.empty === 'truth' ? 'infinite: the truth is empty' : 'infinite: the prediction is empty';
      else if (r.empty === 'pred') reason = 'undefined: nothing predicted';
      else if (r.empty === 'truth') reason = 'undefined: the truth is empty';
      else reason = 'undefined';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    for (const [reason, count] of reasons) notes.push(`${m.key}: ${count} null value${count === 1 ? '' : 's'} (${reason})`);
  }
  return notes;
}

/** Notes for the report: the empty rule's reach, left-out cases, and why values are null. */
export function reportNotes(result: EvalResult): string[] {
  const { aggregate, inputs, settings } = result;
  const notes = [
    `empty rule '${settings.empty}' applied to ${aggregate.emptyCounts.both} case-class pair${aggregate.emptyCounts.both === 1 ? '' : 's'} where truth and prediction are both empty; ${aggregate.emptyCounts.truthOnly} with an empty prediction only, ${aggregate.emptyCounts.predOnly} with an empty truth only`,
  ];
  notes.push(
    inputs.predictionList === 'predictions.json'
      ? `scored exactly the cases listed in the prediction folder's predictions.json${inputs.partial ? ' (PARTIAL: the prediction run had not finished; --partial)' : ''}`
      : 'the prediction folder has no predictions.json: every NIfTI file in it was scored',
  );
  if (inputs.truthOnly.length) notes.push(`${inputs.truthOnly.length} truth case(s) without a prediction, not evaluated: ${inputs.truthOnly.join(', ')}`);
  if (inputs.predOnly.length) notes.push(`${inputs.predOnly.length} prediction(s) without a truth, not evaluated: ${inputs.predOnly.join(', ')}`);
  if (settings.patientIds === 'case') notes.push('no patient ids (plain folders): each case is its own patient in the per-patient view');
  if (result.comparison?.missing.length) notes.push(`${result.comparison.missing.length} case(s) missing from the comparison run: ${result.comparison.missing.join(', ')}`);
  notes.push(...nullNotes(result.cases));
  notes.push('aggregate statistics are null where no finite value exists (std: fewer than two)');
  return notes;
}

/** The metrics.json document (schema in issue 3 and docs). */
export function metricsJson(result: EvalResult): Json {
  const s = result.settings;
  return {
    settings: {
      tool: 'medseg eval',
      pred: s.pred,
      truth: s.truth,
      images: s.images,
      compare: s.compare,
      truth_kind: s.truthKind,
      empty_rule: s.empty,
      empty_cases: { both: result.aggregate.emptyCounts.both, truth_only: result.aggregate.emptyCounts.truthOnly, pred_only: result.aggregate.emptyCounts.predOnly },
      tolerance_mm: s.toleranceMm,
      hd_percentile: s.hdPercentile,
      labels: [...s.labels],
      class_names: { ...s.classNames },
      seed: s.seed,
      bootstrap_resamples: s.resamples,
      per_slice: s.perSlice,
      units: { distances: 'mm', volumes: 'mL' },
      conventions: conventions(s),
      notes: reportNotes(result),
    },
    cases: result.cases.map((r) => caseRecord(r, s.classNames)),
    aggregate: aggregateJson(result.aggregate),
    ...(result.comparison
      ? {
          comparison: {
            pred: s.compare,
            cases: result.comparison.cases.map((r) => caseRecord(r, s.classNames)),
            aggregate: aggregateJson(result.comparison.aggregate),
            paired: pairedJson(result.comparison.paired),
          },
        }
      : {}),
  };
}
