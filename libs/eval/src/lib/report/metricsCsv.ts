import { csvCell } from './csvCell.js';
import { metricInfo } from '../metricNames.js';
import type { CaseResult } from '../segmentationMetrics.js';

/**
 * metrics.csv: one row per case and class, the metrics.json columns. NaN is an empty cell and infinity `inf`
 * (what pandas and spreadsheets read back as such); text cells that
 * would start a formula are neutralised (`csvCell`).
 */
export function metricsCsv(cases: readonly CaseResult[], classNames: Readonly<Record<string, string>>): string {
  const header = ['case', 'patient', 'class', 'class_name', 'empty', ...metricInfo.map((m) => m.key), 'truth_volume_ml', 'pred_volume_ml', 'tp', 'fp', 'fn', 'tn'];
  const rows = cases.map((r) =>
    [r.case, r.patientId, r.label, classNames[String(r.label)] ?? String(r.label), r.empty, ...metricInfo.map((m) => r[m.name]), r.truthVolumeMl, r.predVolumeMl, r.tp, r.fp, r.fn, r.tn]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...rows].join('\n') + '\n';
}
