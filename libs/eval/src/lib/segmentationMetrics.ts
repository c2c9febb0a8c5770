import { type ClassSummary, aggregateByClass, perPatient } from './aggregate.js';
import type { EmptyRule } from './emptyRule.js';
import { type ClassMetrics, type EvaluateOptions, defaultToleranceMm, evaluateCase } from './evaluateCase.js';
import { type SliceMetrics, evaluateSlices } from './evaluateSlices.js';
import type { Grid } from './grid.js';

/** One class of one case, named. */
export interface CaseResult extends ClassMetrics {
  readonly case: string;
  readonly patientId: string;
}

export interface CaseSliceResult extends SliceMetrics {
  readonly case: string;
}

export interface SegmentationMetricsOptions extends EvaluateOptions {
  /** Also compute the per-slice (2D) view of 3D cases. */
  readonly perSlice?: boolean;
  readonly seed?: number;
  readonly resamples?: number;
}

export interface SegmentationAggregate {
  readonly empty: EmptyRule;
  /** Case-class pairs where both masks were empty (the rule applied), and where exactly one was. */
  readonly emptyCounts: { readonly both: number; readonly truthOnly: number; readonly predOnly: number };
  readonly perCase: ClassSummary;
  readonly perPatient: ClassSummary;
  readonly perSlice?: ClassSummary;
}

/**
 * Cumulative evaluation in MONAI's style (`reset`, `update`, `aggregate`): feed cases one at a time, keep the
 * per-case results (and per-slice ones when asked), and summarise them per case, per patient and per slice.
 */
export class SegmentationMetrics {
  private cases: CaseResult[] = [];
  private slices: CaseSliceResult[] = [];

  constructor(readonly options: SegmentationMetricsOptions) {}

  reset(): void {
    this.cases = [];
    this.slices = [];
  }

  update(caseName: string, pred: ArrayLike<number>, truth: ArrayLike<number>, grid: Grid, patientId = caseName): CaseResult[] {
    const results = evaluateCase(pred, truth, grid, this.options).map((m) => ({ ...m, case: caseName, patientId }));
    this.cases.push(...results);
    if (this.options.perSlice && grid.shape[2] > 1) {
      for (const s of evaluateSlices(pred, truth, grid, this.options)) this.slices.push({ ...s, case: caseName });
    }
    return results;
  }

  /** Adds results computed elsewhere (a worker, an earlier run). */
  add(results: readonly CaseResult[], slices: readonly CaseSliceResult[] = []): void {
    this.cases.push(...results);
    this.slices.push(...slices);
  }

  results(): readonly CaseResult[] {
    return this.cases;
  }

  sliceResults(): readonly CaseSliceResult[] {
    return this.slices;
  }

  aggregate(): SegmentationAggregate {
    const seed = this.options.seed ?? 0;
    const common = { seed, ...(this.options.resamples === undefined ? {} : { resamples: this.options.resamples }) };
    const patients = perPatient(this.cases).map((p) => ({ ...p.values, label: p.label }));
    return {
      empty: this.options.empty ?? 'nan',
      emptyCounts: {
        both: this.cases.filter((r) => r.empty === 'both').length,
        truthOnly: this.cases.filter((r) => r.empty === 'pred').length,
        predOnly: this.cases.filter((r) => r.empty === 'truth').length,
      },
      perCase: aggregateByClass(this.cases, 'case', common),
      perPatient: aggregateByClass(patients, 'patient', common),
      // Slices of one case are not independent: their CI resamples cases.
      ...(this.options.perSlice ? { perSlice: aggregateByClass(this.slices, 'slice', { ...common, cluster: (row) => (row as CaseSliceResult).case }) } : {}),
    };
  }

  get toleranceMm(): number {
    return this.options.toleranceMm ?? defaultToleranceMm;
  }
}
