import { dirname, join } from 'node:path';
import { pathExists } from '@medseg/data';
import { checkpointFolder } from './checkpoint.js';
import { ModelLoadError, ModelOptionsError } from './errors.js';
import { readOnnxExport } from './export/medseg-model.js';
import { expandFoldsRuns } from './folds-record.js';
import { type PostprocessingFlags, type ResolvedPostprocessing, resolvePostprocessing } from './resolve-postprocessing.js';
import { readRunRecord } from './run-record.js';
import { RUN_RECORD_FILE, type RunPostprocessing } from './run-record-schema.js';

/**
 * `RUN`'s checkpoint (best/, else last/) or a checkpoint folder itself: the one rule predict and both exports
 * follow, so that a run names the same weights everywhere.
 */
export async function resolveRunCheckpoint(model: string): Promise<string> {
  if (!(await pathExists(model))) throw new ModelLoadError('no such training run or checkpoint folder', { path: model });
  for (const candidate of [join(model, 'best'), join(model, 'last'), model]) {
    if ((await checkpointFolder(candidate)) !== null) return candidate;
  }
  // An ONNX file from elsewhere is refused by readOnnxExport (no medseg-model.json); a medseg export names its run.
  if (model.endsWith('.onnx') || (await pathExists(join(model, 'model.onnx')))) {
    const { description } = await readOnnxExport(model);
    throw new ModelOptionsError(`an ONNX export; give the run it came from (${description.members.map((m) => m.checkpoint).join(', ')}), which medseg predict runs on ONNX Runtime with --engine onnx`, { path: model });
  }
  throw new ModelLoadError('not a training run or checkpoint folder (no best/, last/ or state.json)', { path: model });
}

/** One model as predict and the exports use it. */
export interface ResolvedModel {
  /** The checkpoint that predicts (see resolveRunCheckpoint). */
  readonly checkpoint: string;
  /** The run folder holding the checkpoint, null for a lone checkpoint folder. */
  readonly run: string | null;
  /**
   * What the model's run chose on validation: a cross-validation run's pooled choice, else run.json's (the
   * checkpoints' copies of the record predate the choice), else the checkpoint record's.
   */
  readonly postprocessing: RunPostprocessing | undefined;
}

/** The models as given, each cross-validation run replaced by its folds, each resolved to its checkpoint. */
export async function resolveModels(models: readonly string[]): Promise<ResolvedModel[]> {
  const expanded = await expandFoldsRuns(models);
  return Promise.all(
    expanded.map(async ({ model, pooled }) => {
      const checkpoint = await resolveRunCheckpoint(model);
      const parent = dirname(checkpoint);
      const hasRecord = await pathExists(join(parent, RUN_RECORD_FILE));
      const isRun = hasRecord || (await checkpointFolder(join(parent, 'last'))) !== null;
      const postprocessing = pooled ?? (hasRecord ? (await readRunRecord(parent)).postprocessing : undefined) ?? (await readRunRecord(checkpoint)).postprocessing;
      return { checkpoint, run: isRun ? parent : null, postprocessing };
    }),
  );
}

/** The post-processing of `models` (resolvePostprocessing's rule: each flag given wins, else their agreed choice). */
export function modelsPostprocessing(models: readonly ResolvedModel[], flags: PostprocessingFlags): ResolvedPostprocessing {
  return resolvePostprocessing(
    models.map((m) => m.postprocessing?.chosen),
    flags,
  );
}
