import { appendFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type AugmentPreset,
  augmentPresets,
  ensurePlans,
  type EnsurePlansResult,
  createBackgroundAugmenter,
  type CrossValidationFold,
  type DatasetManifest,
  isAugmentPreset,
  normalizedRange,
  type NormalizationSpec,
  checkOutputFolder,
  type OutputFolder,
  prepareOutputFolder,
  readDatasetManifest,
  type Rng,
} from '@medseg/data';
import { type BackendChoice, type SelectedBackend, selectBackend } from './backend/selectBackend.js';
import { checkpointFolder, copyUnetWeights, loadCheckpoint, type CheckpointContents } from './checkpoint.js';
import { startReplicas } from './data-parallel/start-replicas.js';
import { datasetCaseSplits, loadDatasetSlices } from './dataset-slices.js';
import type { ResolveEncoderWeightsOptions } from './encoder-weights.js';
import { ModelOptionsError } from './errors.js';
import { resolveTrainSettings, type TrainPlanRequest } from './resolve-train-settings.js';
import { buildRunRecord, readRunRecord, RUN_RECORD_SCHEMA_VERSION, writeRunRecord } from './run-record.js';
import type { RunPostprocessing, RunRecord, RunSettingsProvenance } from './run-record-schema.js';
import { intensityRange } from './slice-set.js';
import { validationPostprocessing } from './validation-postprocessing.js';
import { type TrainEvent, trainUnet } from './train.js';
import type { TrainSettings, TrainState } from './train-settings.js';
import type { TrainingBatch } from './training-batch.js';
import { buildUnet, type Unet, type UnetConfig, unetInputChannels } from './unet.js';

/** The network to build for a new run (ignored on resume: the checkpoint holds it). */
export interface RunTrainingModel {
  readonly encoder: string;
  readonly encoderWeights: string;
  readonly decoderFilters: readonly number[];
  readonly inputSize: number;
  readonly contextSlices: number;
  readonly unfreezeFrom?: string | undefined;
}

export interface RunTrainingOptions {
  /** Run folder: run.json, best/, last/, log.jsonl. */
  readonly out: string;
  /** Dataset folder; with `resume`, the run's own by default. */
  readonly dataset?: string | undefined;
  /** Continue the run in `out` from its last checkpoint. */
  readonly resume?: boolean;
  /** Replace a run already in `out` (the new one is trained beside it and swapped in at the end). */
  readonly overwrite?: boolean;
  /** Start from another run's weights (its best/, else last/). */
  readonly initFrom?: string | undefined;
  /** The network of a new run (replaced by `plan`'s resolution when that is given; ignored on resume). */
  readonly model: RunTrainingModel;
  /** Settings of a new run (replaced by `plan`'s resolution when given; on resume the run's own are used). */
  readonly settings: Omit<TrainSettings, 'dataset' | 'workers' | 'schedule'> & { readonly schedule?: TrainSettings['schedule'] };
  /** Cross-validation fold `fold` of `folds` over the dataset's non-test patients (dealt out with the dataset's seed). */
  readonly fold?: { readonly fold: number; readonly folds: number } | undefined;
  /** Threads sharing each batch; default 1, or the run's own on resume. */
  readonly workers?: number | undefined;
  readonly backend?: BackendChoice;
  readonly weightsOptions?: ResolveEncoderWeightsOptions;
  /**
   * A new run's settings from the dataset's plan (made first when it has none, or none current) under the flags
   * given: resolved once the output folder and the backend are known to be good, before the data is read; the
   * `settings` event says where each came from, and so does the run record.
   */
  readonly plan?: TrainPlanRequest | undefined;
  /**
   * Where each setting came from when `plan` is not given but the settings were resolved elsewhere (a
   * cross-validation's later folds take its first fold's), for the run record.
   */
  readonly provenance?: RunSettingsProvenance | undefined;
  /** The command line that started the run, for the run record. */
  readonly commandLine?: readonly string[] | undefined;
  /** Aborting saves last/ at the current batch and returns with `interrupted: true`. */
  readonly signal?: AbortSignal;
}

export type RunTrainingEvent =
  | TrainEvent
  | { type: 'backend'; backend: SelectedBackend }
  | { type: 'resume'; epoch: number; batch: number }
  | { type: 'init-from'; run: string }
  | { type: 'data'; trainSlices: number; trainCases: number; valSlices: number; valCases: readonly string[]; fold: CrossValidationFold | undefined }
  | { type: 'note'; message: string }
  | { type: 'settings'; plans: EnsurePlansResult | undefined; provenance: RunSettingsProvenance }
  /** The end-of-run step: each validation case predicted and scored under every post-processing candidate. */
  | { type: 'postprocessing-case'; caseId: string; done: number; total: number }
  | { type: 'postprocessing'; postprocessing: RunPostprocessing };

export interface RunTrainingResult {
  readonly out: string;
  readonly backend: SelectedBackend;
  /** Stopped by the signal: during training (state.stopped is null), or while choosing the post-processing. */
  readonly interrupted: boolean;
  readonly state: TrainState;
  /** The post-processing chosen on validation (now, or by an earlier run of the step); undefined when interrupted. */
  readonly postprocessing: RunPostprocessing | undefined;
  readonly config: UnetConfig;
  readonly record: RunRecord;
}

/** Whether the augmentation preset flips slices up-down and left-right. */
function flipsBothAxes(augment: string): boolean {
  const axes = isAugmentPreset(augment) ? (augmentPresets[augment].flip?.axes ?? []) : [];
  return axes.includes(0) && axes.includes(1);
}

/**
 * The end of a finished run: post-processing chosen on its validation cases, written into run.json (atomically)
 * and log.jsonl. Undefined when the signal stopped it (`--resume` runs it again).
 */
async function choosePostprocessingStep(out: string, record: RunRecord, dataset: string, manifest: DatasetManifest, options: RunTrainingOptions, onEvent: (event: RunTrainingEvent) => void): Promise<RunPostprocessing | undefined> {
  const fold = record.training.dataset?.fold;
  const postprocessing = await validationPostprocessing({
    run: out,
    dataset,
    manifest,
    ...(fold === undefined ? {} : { fold }),
    batchSize: record.training.batchSize,
    // Mirrored slices are only in distribution for a model that saw both flips in training (README: flip TTA hurt
    // models trained with left-right flips alone).
    tta: flipsBothAxes(record.training.augment),
    signal: options.signal,
    onCase: (caseId, done, total) => onEvent({ type: 'postprocessing-case', caseId, done, total }),
  });
  if (postprocessing === undefined) return undefined;
  await writeRunRecord(out, { ...record, schemaVersion: RUN_RECORD_SCHEMA_VERSION, postprocessing });
  const { chosen, patients, table, reason } = postprocessing;
  await appendFile(join(out, 'log.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), event: 'postprocessing', chosen, patients, table, reason })}\n`);
  onEvent({ type: 'postprocessing', postprocessing });
  return postprocessing;
}

function disposeCheckpoint(contents: CheckpointContents): void {
  contents.unet.dispose();
  for (const list of Object.values(contents.optimizers)) for (const w of list) w.tensor.dispose();
}

/**
 * A training run end to end, the library half of `medseg train`: checks the output folder, selects the backend,
 * builds the network (or restores it to resume), loads the splits, trains with background augmentation and
 * replicas, and keeps the run record (run.json, and a copy in every checkpoint).
 */
export async function runTraining(options: RunTrainingOptions, onEvent: (event: RunTrainingEvent) => void = () => undefined): Promise<RunTrainingResult> {
  const out = resolve(options.out);
  const isOwn = async (path: string) => (await checkpointFolder(join(path, 'last'))) !== null;
  if (options.resume === true && options.overwrite === true) throw new ModelOptionsError('resume and overwrite exclude each other', { path: out });
  if (options.resume === true && !(await isOwn(out))) throw new ModelOptionsError('nothing to resume: no last/ checkpoint in the run folder', { path: out });
  const folderOptions = { kind: 'train', resumable: true, isOwn, ...(options.resume === true ? { resume: true } : {}), ...(options.overwrite === true ? { overwrite: true } : {}) };
  // Checked now, written only once the dataset and the network are known to be good.
  await checkOutputFolder(out, folderOptions);
  const backend = await selectBackend(options.backend ?? 'auto');
  onEvent({ type: 'backend', backend });

  let unet: Unet;
  let settings: TrainSettings;
  let resume: CheckpointContents | undefined;
  let dataset: string;
  let previous: RunRecord | undefined;
  let model: RunTrainingModel = options.model;
  let newSettings: RunTrainingOptions['settings'] = options.settings;
  let workers = options.workers;
  let provenance: RunSettingsProvenance | undefined = options.provenance;
  if (options.resume === true) {
    resume = await loadCheckpoint(join(out, 'last'));
    previous = resume.run ?? (await readRunRecord(out));
    unet = resume.unet;
    settings = resume.training;
    const recorded = settings.dataset?.path;
    if (options.dataset === undefined && recorded === undefined) {
      disposeCheckpoint(resume);
      throw new ModelOptionsError('the run does not record its dataset; give the dataset folder', { path: out });
    }
    dataset = options.dataset === undefined ? recorded! : resolve(options.dataset);
    onEvent({ type: 'resume', epoch: resume.state.epoch, batch: resume.state.batch });
    if (resume.state.stopped !== null) {
      // A finished run: nothing to train. Only the post-processing step is left, if it has not run yet (a run
      // interrupted while choosing it, or one trained before the step existed).
      const state = resume.state;
      const config = unet.config;
      disposeCheckpoint(resume);
      const onDisk = await readRunRecord(out);
      let postprocessing = onDisk.postprocessing;
      if (postprocessing === undefined) postprocessing = await choosePostprocessingStep(out, onDisk, dataset, await readDatasetManifest(dataset), options, onEvent);
      else onEvent({ type: 'note', message: `the run finished (${state.stopped}) and its post-processing is chosen: nothing to do` });
      const record = postprocessing === undefined ? onDisk : { ...onDisk, postprocessing };
      return { out, backend, interrupted: postprocessing === undefined, state, config, record, postprocessing };
    }
  } else {
    if (options.dataset === undefined) throw new ModelOptionsError('no dataset folder given', { path: out });
    dataset = resolve(options.dataset);
    if (options.plan !== undefined) {
      const plans = options.plan.usePlan ? (options.plan.plans ?? (await ensurePlans(dataset, options.plan.planOptions))) : undefined;
      const resolved = resolveTrainSettings(options.plan.values, options.plan.given, plans);
      model = resolved.model;
      newSettings = resolved.settings;
      workers = resolved.workers;
      provenance = resolved.provenance;
      onEvent({ type: 'settings', plans, provenance });
    }
    const manifest = await readDatasetManifest(dataset);
    const normalization = manifest.cases[0]?.normalization.spec as NormalizationSpec | undefined;
    const fold = options.fold === undefined ? undefined : { ...options.fold, seed: manifest.settings.seed };
    if (fold !== undefined && fold.fold >= fold.folds) throw new ModelOptionsError(`fold ${fold.fold}: folds are numbered 0..${fold.folds - 1}`, { path: dataset });
    settings = {
      ...newSettings,
      schedule: newSettings.schedule ?? 'cosine',
      dataset: { path: dataset, ...(normalization === undefined ? {} : { normalization }), classes: manifest.classes, ...(fold === undefined ? {} : { fold }) },
    };
    let splits: string[];
    try {
      splits = datasetCaseSplits(manifest, fold);
    } catch (error) {
      // Too many folds for the patients there are: say which dataset.
      throw new ModelOptionsError(error instanceof Error ? error.message : String(error), { path: dataset, cause: error });
    }
    if (splits.every((split) => split !== 'val')) {
      throw new ModelOptionsError('the dataset has no validation cases (ingest with --val or --val-patients, or train with --fold)', { path: dataset });
    }
    const range = normalization === undefined ? undefined : normalizedRange(normalization);
    const train0 = range === undefined ? await loadDatasetSlices(dataset, 'train', model.inputSize, { manifest, ...(fold === undefined ? {} : { fold }) }) : undefined;
    unet = await buildUnet({
      backbone: model.encoder,
      encoderWeights: model.encoderWeights,
      decoderFilters: [...model.decoderFilters],
      classes: Math.max(1, manifest.classes.length - 1),
      inputSize: model.inputSize,
      intensityRange: range ?? intensityRange(train0!.images),
      seed: settings.seed,
      ...(options.weightsOptions === undefined ? {} : { weightsOptions: options.weightsOptions }),
      ...(model.unfreezeFrom === undefined ? {} : { unfreezeFrom: model.unfreezeFrom }),
      contextSlices: model.contextSlices,
    });
    if (options.initFrom !== undefined) {
      const from = resolve(options.initFrom);
      const source = await loadCheckpoint((await checkpointFolder(join(from, 'best'))) !== null ? join(from, 'best') : join(from, 'last'));
      try {
        copyUnetWeights(source.unet, unet);
      } finally {
        disposeCheckpoint(source);
      }
      onEvent({ type: 'init-from', run: from });
    }
  }

  const manifestBytes = await readFile(join(dataset, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as DatasetManifest;
  const fold = settings.dataset?.fold;
  const sliceOptions = { manifest: await readDatasetManifest(dataset), contextSlices: unet.config.contextSlices ?? 0, ...(fold === undefined ? {} : { fold }) };
  const train = await loadDatasetSlices(dataset, 'train', unet.config.inputSize, sliceOptions);
  const val = await loadDatasetSlices(dataset, 'val', unet.config.inputSize, sliceOptions);
  onEvent({ type: 'data', trainSlices: train.count, trainCases: train.caseIds.length, valSlices: val.count, valCases: val.caseIds, fold });
  // Augmentation runs in a worker thread one batch ahead; the result is the same bytes as running it inline.
  const augmenter = settings.augment === 'none' ? undefined : createBackgroundAugmenter(settings.augment as AugmentPreset, { seed: settings.seed });
  // A resumed run keeps its number of workers unless told otherwise: with another number its batches split
  // differently, so it would not continue exactly as the uninterrupted run.
  const requested = workers ?? settings.workers ?? 1;
  let replicas;
  try {
    replicas = await startReplicas([unet], requested, backend.name, settings.loss);
  } catch (error) {
    await augmenter?.close();
    throw error;
  }
  if (replicas.note !== undefined) onEvent({ type: 'note', message: replicas.note });
  settings = { ...settings, workers: replicas.workers };
  const pool = replicas.pools?.[0];

  const fresh = await buildRunRecord({
    model: unet.config,
    training: settings,
    datasetPath: dataset,
    manifest,
    manifestBytes,
    inputChannels: unetInputChannels(unet.config),
    commandLine: options.commandLine,
    backend: backend.name,
    settings: provenance,
  });
  // A resumed run keeps the record of how it started, and notes each resume's command line.
  const record: RunRecord = previous === undefined || previous.migratedFrom !== undefined ? fresh : { ...previous, training: settings, workers: replicas.workers };
  const folder: OutputFolder = await prepareOutputFolder(out, folderOptions);
  await writeRunRecord(folder.work, record);
  let result;
  try {
    result = await trainUnet({
      unet,
      train,
      val,
      outDir: folder.work,
      settings,
      run: record,
      ...(augmenter === undefined ? {} : { augment: (batch: TrainingBatch, rng: Rng) => augmenter.apply(batch, rng) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onEvent,
      ...(resume === undefined ? {} : { resume }),
      ...(pool === undefined ? {} : { replicas: pool }),
    });
  } finally {
    await augmenter?.close();
    await pool?.close();
  }
  const config = unet.config;
  unet.dispose();
  await folder.commit();
  if (result.interrupted) return { out, backend, interrupted: true, state: result.state, config, record, postprocessing: undefined };
  const postprocessing = await choosePostprocessingStep(out, record, dataset, manifest, options, onEvent);
  return { out, backend, interrupted: postprocessing === undefined, state: result.state, config, record: postprocessing === undefined ? record : { ...record, postprocessing }, postprocessing };
}
