import { resolve } from 'node:path';
import type { EmptyRule } from './emptyRule.js';
import { absentClassMetrics, defaultToleranceMm } from './evaluateCase.js';
import type { Grid } from './grid.js';
import { type PairedComparison, pairedComparison } from './pairedComparison.js';
import { assertSameGrid, presentLabels, readLabelMap } from './readLabelMap.js';
import { type EvalCaseFiles, type ResolvedInputs, niftiFilesById, resolveInputs } from './resolveInputs.js';
import { type CaseResult, type CaseSliceResult, type SegmentationAggregate, SegmentationMetrics } from './segmentationMetrics.js';
import { defaultResamples } from './summaryStats.js';

export interface EvalRunOptions {
  readonly pred: string;
  readonly truth: string;
  readonly images?: string | undefined;
  /** A second prediction folder for the paired comparison (this run minus that one). */
  readonly compare?: string | undefined;
  /** Labels to evaluate; default every non-zero label found in any truth or prediction. */
  readonly labels?: readonly number[] | undefined;
  readonly empty?: EmptyRule;
  readonly toleranceMm?: number;
  readonly seed?: number;
  readonly resamples?: number;
  readonly perSlice?: boolean;
  /** Score a prediction folder whose predictions.json says in-progress (the report says so). */
  readonly partial?: boolean;
  /** Called after each case, for progress bars. */
  readonly onCase?: (done: number, total: number, caseId: string) => void;
}

export interface EvalSettings {
  readonly pred: string;
  readonly truth: string;
  readonly images: string | null;
  readonly compare: string | null;
  readonly empty: EmptyRule;
  readonly toleranceMm: number;
  readonly hdPercentile: number;
  readonly labels: readonly number[];
  readonly classNames: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly resamples: number;
  readonly perSlice: boolean;
  readonly truthKind: ResolvedInputs['truthKind'];
  readonly patientIds: ResolvedInputs['patientIds'];
}

export interface EvalResult {
  readonly settings: EvalSettings;
  readonly inputs: ResolvedInputs;
  readonly cases: readonly CaseResult[];
  readonly slices: readonly CaseSliceResult[];
  readonly aggregate: SegmentationAggregate;
  readonly comparison?: { readonly cases: readonly CaseResult[]; readonly aggregate: SegmentationAggregate; readonly paired: PairedComparison; readonly missing: readonly string[] };
  readonly grids: ReadonlyMap<string, Grid>;
  /** Wall time of reading and evaluating, in milliseconds. */
  readonly elapsedMs: number;
}

/**
 * Evaluates a prediction folder against the truth, case by case (one case in memory at a time), and
 * aggregates. The library half of `medseg eval`; the report writers take its result.
 */
export async function runEvaluation(options: EvalRunOptions): Promise<EvalResult> {
  const started = performance.now();
  const inputs = await resolveInputs(options);
  const compareFiles = options.compare === undefined ? undefined : await niftiFilesById(resolve(options.compare), 'comparison prediction');
  const empty = options.empty ?? 'nan';
  const toleranceMm = options.toleranceMm ?? defaultToleranceMm;
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? defaultResamples;
  const perSlice = options.perSlice ?? true;
  const fixedLabels = options.labels;

  // The comparison run is summarised per case and per patient only: the paired test works on cases.
  const metricOptions = (labels: readonly number[], slices = perSlice) => ({ labels, empty, toleranceMm, perSlice: slices, seed, resamples });
  const main = new SegmentationMetrics(metricOptions([]));
  const other = new SegmentationMetrics(metricOptions([], false));
  const grids = new Map<string, Grid>();
  const seen = new Set<number>(fixedLabels ?? []);
  const perCaseLabels = new Map<string, Set<number>>();
  const missing: string[] = [];

  const evaluate = async (c: EvalCaseFiles, done: number) => {
    const truth = await readLabelMap(c.truth);
    const pred = await readLabelMap(c.pred);
    assertSameGrid(pred, truth);
    const comparePath = compareFiles?.get(c.id);
    const compared = comparePath === undefined ? undefined : await readLabelMap(comparePath);
    if (compared !== undefined) assertSameGrid(compared, truth);
    else if (compareFiles !== undefined) missing.push(c.id);
    const labels = fixedLabels ?? [...new Set([...presentLabels(truth.labels), ...presentLabels(pred.labels), ...(compared ? presentLabels(compared.labels) : [])])].sort((a, b) => a - b);
    labels.forEach((label) => seen.add(label));
    perCaseLabels.set(c.id, new Set(labels));
    grids.set(c.id, truth.grid);
    const one = new SegmentationMetrics(metricOptions(labels));
    const results = one.update(c.id, pred.labels, truth.labels, truth.grid, c.patientId);
    main.add(results, one.sliceResults());
    if (compared !== undefined) {
      const two = new SegmentationMetrics(metricOptions(labels, false));
      other.add(two.update(c.id, compared.labels, truth.labels, truth.grid, c.patientId), two.sliceResults());
    }
    options.onCase?.(done, inputs.cases.length, c.id);
  };
  let done = 0;
  for (const c of inputs.cases) await evaluate(c, ++done);

  // A class absent from a case (in truth and prediction) counts there under the empty rule, like any other.
  const labels = [...seen].sort((a, b) => a - b);
  for (const [run, isCompare] of [[main, false], [other, true]] as const) {
    const fill: CaseResult[] = [];
    for (const c of inputs.cases) {
      if (isCompare && (compareFiles === undefined || missing.includes(c.id))) continue;
      const grid = grids.get(c.id)!;
      for (const label of labels) {
        if (!perCaseLabels.get(c.id)!.has(label)) fill.push({ ...absentClassMetrics(label, grid, empty), case: c.id, patientId: c.patientId });
      }
    }
    run.add(fill);
  }
  const order = new Map(inputs.cases.map((c, i) => [c.id, i]));
  const byCase = (a: CaseResult, b: CaseResult) => order.get(a.case)! - order.get(b.case)! || a.label - b.label;
  const sorted = (run: SegmentationMetrics) => {
    const results = [...run.results()].sort(byCase);
    const rebuilt = new SegmentationMetrics(metricOptions(labels, run.options.perSlice ?? false));
    rebuilt.add(results, run.sliceResults());
    return rebuilt;
  };
  const mainSorted = sorted(main);
  const classNames: Record<string, string> = {};
  for (const label of labels) classNames[String(label)] = inputs.classNames?.[label] ?? (labels.length === 1 ? 'tumour' : `class ${label}`);

  const result: EvalResult = {
    settings: {
      pred: resolve(options.pred),
      truth: resolve(options.truth),
      images: options.images === undefined ? null : resolve(options.images),
      compare: options.compare === undefined ? null : resolve(options.compare),
      empty,
      toleranceMm,
      hdPercentile: 95,
      labels,
      classNames,
      seed,
      resamples,
      perSlice,
      truthKind: inputs.truthKind,
      patientIds: inputs.patientIds,
    },
    inputs,
    cases: mainSorted.results(),
    slices: mainSorted.sliceResults(),
    aggregate: mainSorted.aggregate(),
    grids,
    elapsedMs: 0,
  };
  let comparison: EvalResult['comparison'];
  if (compareFiles !== undefined) {
    const otherSorted = sorted(other);
    comparison = {
      cases: otherSorted.results(),
      aggregate: otherSorted.aggregate(),
      paired: pairedComparison(mainSorted.results(), otherSorted.results(), { seed, resamples }),
      missing,
    };
  }
  return { ...result, ...(comparison ? { comparison } : {}), elapsedMs: performance.now() - started };
}
