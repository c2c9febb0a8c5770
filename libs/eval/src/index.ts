// Public API of @medseg/eval: segmentation metrics that follow MONAI's conventions, their aggregation and
// statistics, and the reports of `medseg eval`. Never imports @medseg/models or TensorFlow.

// -- metric core (pure: arrays and a grid in, numbers out) --
export type { Grid } from './lib/grid.js';
export { gridDimensions, voxelVolumeMl } from './lib/grid.js';
export type { BinaryMask, Box } from './lib/binaryMask.js';
export { binaryMask, unionBoundingBox } from './lib/binaryMask.js';
export type { ConfusionCounts } from './lib/confusion.js';
export { confusionCounts, labelConfusion } from './lib/confusion.js';
export type { EmptyRule } from './lib/emptyRule.js';
export { emptyRules, isEmptyRule } from './lib/emptyRule.js';
export type { OverlapMetrics } from './lib/overlapMetrics.js';
export { dice, iou, precision, recall, specificity, overlapMetrics } from './lib/overlapMetrics.js';
export { surfaceVoxels } from './lib/surfaceVoxels.js';
export { distanceTransform, squaredDistanceTransform } from './lib/distanceTransform.js';
export type { SurfaceDistances } from './lib/surfaceDistances.js';
export { surfaceDistances } from './lib/surfaceDistances.js';
export { averageSymmetricSurfaceDistance, hausdorffDistance, percentileHausdorffDistance, surfaceDice } from './lib/distanceMetrics.js';
export type { ClassMetrics, EmptyState, EvaluateOptions } from './lib/evaluateCase.js';
export { absentClassMetrics, defaultToleranceMm, evaluateCase } from './lib/evaluateCase.js';
export type { SliceMetrics } from './lib/evaluateSlices.js';
export { evaluateSlices } from './lib/evaluateSlices.js';
export type { MetricInfo, MetricName } from './lib/metricNames.js';
export { metricInfo, metricNames } from './lib/metricNames.js';

// -- aggregation and statistics --
export type { BootstrapOptions, SummaryStats } from './lib/summaryStats.js';
export { bootstrapMeanCi, mean, sampleStd, summaryStats } from './lib/summaryStats.js';
export type { WilcoxonMethod, WilcoxonResult } from './lib/wilcoxon.js';
export { wilcoxonSignedRank } from './lib/wilcoxon.js';
export { erfc, normalSf } from './lib/normal.js';
export type { AggregateOptions, ClassSummary, MetricRow, PatientMetrics } from './lib/aggregate.js';
export { aggregateByClass, perPatient } from './lib/aggregate.js';
export type { CaseResult, CaseSliceResult, SegmentationAggregate, SegmentationMetricsOptions } from './lib/segmentationMetrics.js';
export { SegmentationMetrics } from './lib/segmentationMetrics.js';
export type { PairedComparison, PairedMetricComparison } from './lib/pairedComparison.js';
export { pairedComparison } from './lib/pairedComparison.js';

// -- evaluation runs and reports --
export { EvalInputError, MetricArgumentError } from './lib/errors.js';
export type { EvalCaseFiles, ResolvedInputs } from './lib/resolveInputs.js';
export { resolveInputs } from './lib/resolveInputs.js';
export type { LabelMap } from './lib/readLabelMap.js';
export { readLabelMap } from './lib/readLabelMap.js';
export type { EvalResult, EvalRunOptions, EvalSettings } from './lib/runEvaluation.js';
export { runEvaluation } from './lib/runEvaluation.js';
export { metricsJson } from './lib/report/metricsJson.js';
export { metricsCsv } from './lib/report/metricsCsv.js';
export type { CasePicture } from './lib/report/reportHtml.js';
export { reportHtml } from './lib/report/reportHtml.js';
export { textSummary } from './lib/report/textSummary.js';
export type { WrittenReports } from './lib/report/writeReports.js';
export { writeReports } from './lib/report/writeReports.js';
export type { WriteReportsOptions } from './lib/report/writeReports.js';
export { encodePng } from './lib/report/encodePng.js';
