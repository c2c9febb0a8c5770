import { resolve, join } from 'node:path';
import { checkOutputFolder, ensurePlans, prepareOutputFolder, readDatasetManifest } from '@medseg/data';
import { selectBackend } from './backend/selectBackend.js';
import { checkpointFolder } from './checkpoint.js';
import type { CaseCandidateDice, Postprocessing } from './choose-postprocessing.js';
import { datasetCaseSplits } from './dataset-slices.js';
import { ModelOptionsError } from './errors.js';
import { foldMemberName, type FoldsRecord, FOLDS_RECORD_SCHEMA_VERSION, isFoldsRun, readFoldsRecord, writeFoldsRecord } from './folds-record.js';
import { readRunRecord } from './run-record.js';
import type { RunPostprocessing } from './run-record-schema.js';
import type { TrainPlanRequest } from './resolve-train-settings.js';
import { type RunTrainingEvent, type RunTrainingOptions, type RunTrainingResult, runTraining } from './run-training.js';
import { postprocessingRecord } from './validation-postprocessing.js';

export interface RunCrossValidationOptions extends Omit<RunTrainingOptions, 'fold'> {
  /** Number of folds of a new run (the dataset's non-test patients dealt out with its seed); a resumed run keeps its own. */
  readonly folds: number;
}

export type RunCrossValidationEvent =
  | RunTrainingEvent
  /** Fold `fold` starts (`train`), continues from its last checkpoint (`resume`), or is finished already (`resume` too: runTraining says so). */
  | { type: 'fold-run'; fold: number; folds: number; out: string; action: 'train' | 'resume' }
  | { type: 'cross-validation'; record: FoldsRecord };

export interface RunCrossValidationResult {
  readonly out: string;
  /** Stopped by the signal; `train --resume` continues with the fold it stopped in. */
  readonly interrupted: boolean;
  readonly folds: readonly RunTrainingResult[];
  readonly record: FoldsRecord;
}

const givenWeightsDir = (options: RunCrossValidationOptions) => options.weightsOptions?.weightsDir ?? options.weightsOptions?.env?.['MEDSEG_WEIGHTS_DIR'];

/** The folds' own choices pooled: every development patient's out-of-fold Dice under every candidate. */
function pooledPostprocessing(folds: readonly RunPostprocessing[], out: string): RunPostprocessing {
  const candidates: Postprocessing[] = folds[0]!.table.map((row) => ({ threshold: row.threshold, largestComponent: row.largestComponent, ...(row.tta === true ? { tta: true } : {}) }));
  const key = (p: RunPostprocessing) => JSON.stringify(p.table.map((row) => [row.threshold, row.largestComponent, row.tta === true]));
  if (folds.some((p) => key(p) !== key(folds[0]!))) throw new ModelOptionsError('the folds scored different post-processing candidates; they cannot be pooled', { path: out });
  const scores: CaseCandidateDice[] = folds.flatMap((p) => p.perCase.map((c) => ({ caseId: c.caseId, patientId: c.patientId, dice: c.dice.map((d) => d ?? Number.NaN) })));
  return postprocessingRecord(scores, folds.every((p) => p.checkpoint === 'best') ? 'best' : 'last', candidates);
}

/** What `medseg train` was asked for: one model, or a cross-validation of `folds` (and why). */
export type TrainingLayout = ({ readonly kind: 'single' } | { readonly kind: 'folds'; readonly folds: number; readonly source: 'run' | 'flag' | 'plan'; readonly reason: string }) & {
  /** The request's plan with the plans it made or read (so that the runner does not plan again), when it planned. */
  readonly plan?: TrainPlanRequest | undefined;
};

/**
 * One model or a cross-validation: `--resume` continues what the run folder holds; `--folds N` without `--fold`
 * asks for one; otherwise a new planned run follows its plan, which validates by folds when the dataset has too
 * few validation patients to choose an epoch on (the plan is made now if it is missing or stale, as runTraining
 * would).
 */
export async function trainingLayout(options: Pick<RunTrainingOptions, 'out' | 'resume' | 'overwrite' | 'dataset' | 'fold' | 'plan' | 'backend'> & { readonly folds?: number | undefined }): Promise<TrainingLayout> {
  const out = resolve(options.out);
  if (options.resume === true) return (await isFoldsRun(out)) ? { kind: 'folds', folds: (await readFoldsRecord(out)).folds, source: 'run', reason: `${out} is a cross-validation run` } : { kind: 'single' };
  if (options.fold !== undefined) return { kind: 'single' };
  if (options.folds !== undefined) return { kind: 'folds', folds: options.folds, source: 'flag', reason: `--folds ${options.folds}` };
  if (options.plan === undefined || !options.plan.usePlan || options.dataset === undefined) return { kind: 'single' };
  // A refused output folder or a backend that cannot start is said before the plan is made (which reads the
  // dataset and times training steps), as runTraining does.
  const isOwn = async (path: string) => (await isFoldsRun(path)) || (await checkpointFolder(join(path, 'last'))) !== null;
  await checkOutputFolder(out, { kind: 'train', resumable: true, isOwn, ...(options.overwrite === true ? { overwrite: true } : {}) });
  await selectBackend(options.backend ?? 'auto');
  const plans = await ensurePlans(resolve(options.dataset), options.plan.planOptions);
  const plan = { ...options.plan, plans };
  const validation = plans.record.plan.train.validation;
  return validation.value.kind === 'folds' ? { kind: 'folds', folds: validation.value.folds, source: 'plan', reason: validation.reason, plan } : { kind: 'single', plan };
}

/**
 * Every fold after the first trains with the first fold's network and settings (planned, or from flags, once), also
 * when a resumed run, with no flags, starts it.
 */
async function firstFoldSettings(firstFold: string, record: FoldsRecord, options: RunCrossValidationOptions): Promise<Partial<RunTrainingOptions>> {
  const first = await readRunRecord(firstFold);
  const { dataset: _dataset, workers: _workers, ...settings } = first.training;
  const m = first.model;
  return {
    model: { encoder: m.backbone, encoderWeights: m.encoderWeights, decoderFilters: m.decoderFilters, inputSize: m.inputSize, contextSlices: m.contextSlices ?? 0, ...(m.unfreezeFrom === undefined ? {} : { unfreezeFrom: m.unfreezeFrom }) },
    settings,
    workers: first.workers,
    plan: undefined,
    provenance: first.settings,
    // The weights folder given now (flag, then environment), else the one the run started with.
    weightsOptions: { ...options.weightsOptions, ...(record.weightsDir === null || givenWeightsDir(options) !== undefined ? {} : { weightsDir: record.weightsDir }) },
  };
}

/**
 * `medseg train --folds N`: N trainings, fold k validating on the k-th share of the dataset's non-test patients
 * (each stopping on its own validation fold), in RUN/fold-k, then the post-processing chosen on their pooled
 * out-of-fold predictions. RUN/folds.json records it; `predict --model RUN` is then the ensemble of the folds.
 * Resumable fold by fold; `overwrite` trains beside the old run and swaps the new one in.
 */
export async function runCrossValidation(options: RunCrossValidationOptions, onEvent: (event: RunCrossValidationEvent) => void = () => undefined): Promise<RunCrossValidationResult> {
  const out = resolve(options.out);
  if (options.resume === true && options.overwrite === true) throw new ModelOptionsError('resume and overwrite exclude each other', { path: out });
  // Nothing is read or written before the backend is known to start (each fold selects it again, as runTraining does).
  await selectBackend(options.backend ?? 'auto');
  const folderOptions = { kind: 'train', resumable: true, isOwn: isFoldsRun, ...(options.resume === true ? { resume: true } : {}), ...(options.overwrite === true ? { overwrite: true } : {}) };
  let record: FoldsRecord;
  if (options.resume === true) {
    if (!(await isFoldsRun(out))) throw new ModelOptionsError('nothing to resume: no folds.json in the run folder', { path: out });
    const previous = await readFoldsRecord(out);
    record = { ...previous, dataset: options.dataset === undefined ? previous.dataset : resolve(options.dataset) };
  } else {
    if (options.dataset === undefined) throw new ModelOptionsError('no dataset folder given', { path: out });
    if (!Number.isInteger(options.folds) || options.folds < 2) throw new ModelOptionsError(`--folds ${options.folds}: a cross-validation needs at least 2 folds`, { path: out });
    const dataset = resolve(options.dataset);
    // Too many folds for the patients there are is refused now, not after the first fold has trained.
    const manifest = await readDatasetManifest(dataset);
    try {
      datasetCaseSplits(manifest, { fold: 0, folds: options.folds, seed: manifest.settings.seed });
    } catch (error) {
      throw new ModelOptionsError(error instanceof Error ? error.message : String(error), { path: dataset, cause: error });
    }
    await checkOutputFolder(out, folderOptions);
    record = {
      format: 'medseg-folds',
      schemaVersion: FOLDS_RECORD_SCHEMA_VERSION,
      folds: options.folds,
      dataset,
      members: Array.from({ length: options.folds }, (_, k) => foldMemberName(k)),
      weightsDir: givenWeightsDir(options) ?? null,
      commandLine: options.commandLine === undefined ? null : [...options.commandLine],
      createdAt: new Date().toISOString(),
      status: 'training',
    };
  }
  const folder = await prepareOutputFolder(out, folderOptions);
  await writeFoldsRecord(folder.work, record);
  const results: RunTrainingResult[] = [];
  const stop = async (): Promise<RunCrossValidationResult> => {
    await folder.commit();
    return { out, interrupted: true, folds: results, record };
  };
  for (let fold = 0; fold < record.folds; fold++) {
    if (options.signal?.aborted === true) return stop();
    const foldOut = join(folder.work, record.members[fold]!);
    const started = (await checkpointFolder(join(foldOut, 'last'))) !== null;
    onEvent({ type: 'fold-run', fold, folds: record.folds, out: join(out, record.members[fold]!), action: started ? 'resume' : 'train' });
    // A fold folder without a checkpoint holds nothing to keep (a run stopped before its first save): start it again.
    const foldOptions: RunTrainingOptions = { ...options, out: foldOut, dataset: record.dataset, resume: started, overwrite: !started };
    // The first fold resolves the settings (from the plan under the flags) for all; the plan knows it is one fold.
    const plan = options.plan === undefined ? undefined : { ...options.plan, values: { ...options.plan.values, fold } };
    const result = await runTraining(started ? foldOptions : { ...foldOptions, ...(fold === 0 ? { plan } : await firstFoldSettings(join(folder.work, record.members[0]!), record, options)), fold: { fold, folds: record.folds } }, onEvent);
    results.push(result);
    if (result.interrupted) return stop();
  }
  record = { ...record, status: 'complete', postprocessing: pooledPostprocessing(results.map((r) => r.postprocessing!), out) };
  await writeFoldsRecord(folder.work, record);
  onEvent({ type: 'cross-validation', record });
  await folder.commit();
  return { out, interrupted: false, folds: results, record };
}
