import type { ClassMetrics } from './evaluateCase.js';

/** The metrics that reports aggregate, by their key in `ClassMetrics`. */
export type MetricName =
  | 'dice'
  | 'iou'
  | 'precision'
  | 'recall'
  | 'specificity'
  | 'hd'
  | 'hd95'
  | 'assd'
  | 'surfaceDice'
  | 'volumeDiffMl'
  | 'relVolumeDiff';

export interface MetricInfo {
  readonly name: MetricName;
  /** Key in metrics.json and column in metrics.csv. */
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** Whether a larger value is better (for best and worst cases, and for reading a paired difference). */
  readonly higherIsBetter: boolean;
}

export const metricInfo: readonly MetricInfo[] = [
  { name: 'dice', key: 'dice', label: 'Dice', unit: '', higherIsBetter: true },
  { name: 'iou', key: 'iou', label: 'IoU', unit: '', higherIsBetter: true },
  { name: 'precision', key: 'precision', label: 'Precision', unit: '', higherIsBetter: true },
  { name: 'recall', key: 'recall', label: 'Recall', unit: '', higherIsBetter: true },
  { name: 'specificity', key: 'specificity', label: 'Specificity', unit: '', higherIsBetter: true },
  { name: 'hd', key: 'hd', label: 'HD', unit: 'mm', higherIsBetter: false },
  { name: 'hd95', key: 'hd95', label: 'HD95', unit: 'mm', higherIsBetter: false },
  { name: 'assd', key: 'assd', label: 'ASSD', unit: 'mm', higherIsBetter: false },
  { name: 'surfaceDice', key: 'surface_dice', label: 'Surface Dice', unit: '', higherIsBetter: true },
  { name: 'volumeDiffMl', key: 'volume_diff', label: '|ΔV|', unit: 'mL', higherIsBetter: false },
  { name: 'relVolumeDiff', key: 'rel_volume_diff', label: 'ΔV/V', unit: '', higherIsBetter: false },
];

export const metricNames: readonly MetricName[] = metricInfo.map((m) => m.name);

export function metricValue(m: ClassMetrics, name: MetricName): number {
  return m[name];
}
