import { join } from 'node:path';
import { type CrossValidationFold, type DatasetManifest, readDatasetCase } from '@medseg/data';
import { checkpointFolder, loadCheckpoint } from './checkpoint.js';
import {
  type CaseCandidateDice,
  choosePostprocessing,
  defaultPostprocessing,
  type Postprocessing,
  postprocessingCandidates,
  scorePostprocessingCandidates,
  ttaPostprocessingCandidates,
} from './choose-postprocessing.js';
import { datasetCaseSplits } from './dataset-slices.js';
import { ModelOptionsError } from './errors.js';
import { predictVolumeProbabilities } from './predict-volume.js';
import type { RunPostprocessing } from './run-record-schema.js';

export interface ValidationPostprocessingOptions {
  /** The run folder: its best/ checkpoint predicts, else last/. */
  readonly run: string;
  readonly dataset: string;
  readonly manifest: DatasetManifest;
  /** The run's cross-validation fold: its validation patients are the fold's. */
  readonly fold?: CrossValidationFold | undefined;
  readonly batchSize?: number;
  /**
   * Score the candidates on flip-TTA probabilities instead of plain ones (for models trained with flips on both
   * axes: choosePostprocessing then keeps TTA on and chooses the threshold and cleanup under it).
   */
  readonly tta?: boolean;
  /** Aborting stops between cases and returns undefined (the step runs again on --resume). */
  readonly signal?: AbortSignal | undefined;
  /** Called after each validation case is scored. */
  readonly onCase?: (caseId: string, done: number, total: number) => void;
}

/** JSON has no NaN: a Dice both-empty everywhere is written as null. */
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** A recorded choice from per-case scores (one run's validation cases, or the pooled out-of-fold cases of a folds run). */
export function postprocessingRecord(scores: readonly CaseCandidateDice[], checkpoint: 'best' | 'last', candidates: readonly Postprocessing[] = postprocessingCandidates): RunPostprocessing {
  const choice = choosePostprocessing(scores, candidates);
  return {
    chosen: choice.chosen,
    default: defaultPostprocessing,
    reason: choice.reason,
    checkpoint,
    grid: 'dataset',
    tta: candidates.some((c) => c.tta === true),
    patients: choice.patients,
    cases: choice.cases,
    table: choice.table.map((row) => ({ threshold: row.threshold, largestComponent: row.largestComponent, ...(row.tta === true ? { tta: true } : {}), meanDice: finiteOrNull(row.meanDice) })),
    perCase: scores.map((s) => ({ caseId: s.caseId, patientId: s.patientId, dice: s.dice.map(finiteOrNull) })),
    createdAt: new Date().toISOString(),
  };
}

/**
 * The post-processing of a finished run, chosen on its validation cases as nnU-Net does: the run's chosen
 * checkpoint (best/, else last/) predicts each validation case's volume on the dataset's grid (one case in memory
 * at a time; with `tta`, the mean over the four flips), every candidate is scored on it, and choosePostprocessing decides.
 */
export async function validationPostprocessing(options: ValidationPostprocessingOptions): Promise<RunPostprocessing | undefined> {
  const checkpoint = (await checkpointFolder(join(options.run, 'best'))) !== null ? 'best' : 'last';
  const tta = options.tta === true;
  const candidates = tta ? ttaPostprocessingCandidates : postprocessingCandidates;
  const splits = datasetCaseSplits(options.manifest, options.fold);
  const cases = options.manifest.cases.filter((_, i) => splits[i] === 'val');
  if (cases.length === 0) throw new ModelOptionsError('no validation cases to choose the post-processing on', { path: options.dataset });
  const contents = await loadCheckpoint(join(options.run, checkpoint));
  for (const weights of Object.values(contents.optimizers)) for (const { tensor } of weights) tensor.dispose();
  const scores: CaseCandidateDice[] = [];
  try {
    for (const entry of cases) {
      if (options.signal?.aborted === true) return undefined;
      const { image, mask } = await readDatasetCase(options.dataset, entry);
      const { probabilities, channels } = await predictVolumeProbabilities(contents.unet, image, { batchSize: options.batchSize ?? 8, tta });
      scores.push({ caseId: entry.id, patientId: entry.patientId, dice: scorePostprocessingCandidates(probabilities, channels, mask.data, image.shape, candidates) });
      options.onCase?.(entry.id, scores.length, cases.length);
    }
  } finally {
    contents.unet.dispose();
  }
  return postprocessingRecord(scores, checkpoint, candidates);
}
