import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  type CrossValidationFold,
  type DatasetManifest,
  type DicomWebClient,
  inShard,
  medsegVersion,
  pathExists,
  prepareOutputFolder,
  readDatasetManifest,
  type SeriesShard,
  type StoreOutcome,
  storeDicomFile,
  writeFileAtomic,
} from '@medseg/data';
import { type SelectedEngines, selectPredictionEngines } from './engine/select-engine.js';
import type { EngineName } from './engine/slice-engine.js';
import { type BackendChoice, type SelectedBackend, selectBackend } from './backend/selectBackend.js';
import { type CheckpointContents, loadCheckpoint } from './checkpoint.js';
import { startReplicas } from './data-parallel/start-replicas.js';
import { ModelLoadError, ModelOptionsError } from './errors.js';
import { datasetPredictionInputs, datasetSplitCases, dicomPredictionInputs, type PredictionInput } from './prediction-inputs.js';
import { type PredictedCase, writePredictionOutputs } from './prediction-outputs.js';
import { predictVolume } from './predict-volume.js';
import { modelsPostprocessing, type ResolvedModel, resolveModels } from './resolve-models.js';
import { readRunRecord, sha256Hex } from './run-record.js';
import type { RunRecord } from './run-record-schema.js';
import type { ResolvedPostprocessing } from './resolve-postprocessing.js';
import { unetInputChannels } from './unet.js';

export const PREDICTIONS_FILE = 'predictions.json';

export type PredictionSplit = 'all' | 'train' | 'val' | 'test';

export interface RunPredictionOptions {
  /** Run folders (their best/, else last/; a `train --folds` run: all its folds) or checkpoint folders; several make an ensemble (mean probabilities). */
  readonly models: readonly string[];
  /** DICOM file or folder tree, or a dataset folder (manifest.json). */
  readonly input: string;
  readonly out: string;
  readonly overwrite?: boolean;
  /** Override the run's recorded post-processing (chosen on validation), else the defaults for runs without one. */
  readonly tta?: boolean | undefined;
  readonly largestComponent?: boolean | undefined;
  readonly threshold?: number | undefined;
  readonly batchSize?: number;
  /** Dataset input: the cases to predict (train/val follow the models' cross-validation fold). */
  readonly split?: PredictionSplit;
  readonly seg?: boolean;
  readonly workers?: number;
  readonly backend?: BackendChoice;
  /** Predict series of another modality than the training data's (refused otherwise). */
  readonly allowModalityMismatch?: boolean;
  readonly commandLine?: readonly string[] | undefined;
  /** Forward pass: ONNX Runtime, tfjs, or auto (onnx when onnxruntime-node loads and every member exports). */
  readonly engine?: EngineName | 'auto';
  /** Predict only the series of this shard (by SeriesInstanceUID hash). */
  readonly shard?: SeriesShard | undefined;
  /** DICOM input: image series per PatientID over the whole input (a DICOMweb shard names cases as the whole run would). */
  readonly seriesPerPatient?: ReadonlyMap<string, number> | undefined;
  /** Inputs already known to be missing (a DICOMweb retrieval's failures), listed as skipped. */
  readonly skipped?: readonly { path: string; reason: string }[];
  /** What predictions.json records as the input (a DICOMweb URL), instead of the folder read. */
  readonly inputLabel?: string | undefined;
  /** Send each DICOM SEG to this DICOMweb server with STOW-RS (the outcome is recorded per case). */
  readonly store?: DicomWebClient | undefined;
  /** For predictions.json: the STOW-RS base URL. */
  readonly storeUrl?: string | undefined;
}

export type RunPredictionEvent =
  | { type: 'backend'; backend: SelectedBackend }
  | { type: 'ensemble'; members: number }
  | { type: 'fold'; split: PredictionSplit; fold: CrossValidationFold }
  | { type: 'skipped'; path: string; reason: string }
  | { type: 'case-start'; id: string }
  | { type: 'engine'; description: string }
  | { type: 'stored'; id: string; outcome: StoreOutcome; file: string }
  | { type: 'case'; result: PredictedCase }
  | { type: 'note'; message: string }
  | { type: 'postprocessing'; postprocessing: ResolvedPostprocessing };

/** predictions.json: what was predicted, with what, and whether the folder is complete. */
export interface PredictionRecord {
  readonly format: 'medseg-predictions';
  readonly status: 'in-progress' | 'complete';
  readonly medsegVersion: string;
  readonly commandLine: readonly string[] | null;
  readonly model: string | readonly string[];
  /** The run folders of the models (where run.json, log.jsonl and curves.svg lie), null for a bare checkpoint. */
  readonly runs: readonly (string | null)[];
  readonly input: string;
  readonly settings: Record<string, unknown>;
  readonly cases: readonly PredictedCase[];
  readonly skipped: readonly { path: string; reason: string }[];
}

export interface RunPredictionResult {
  readonly record: PredictionRecord;
  readonly backend: SelectedBackend;
  readonly checkpoints: readonly string[];
  readonly slices: number;
  readonly seconds: number;
}

interface Member extends ResolvedModel {
  readonly contents: CheckpointContents;
  readonly record: RunRecord;
}

const describe = (r: RunRecord) => JSON.stringify({ classes: r.dataset.classes.map((c) => c.key), normalization: r.dataset.normalization });

/** The members of an ensemble, each validated, checked to be interchangeable (same classes and normalisation). */
async function loadMembers(models: readonly ResolvedModel[]): Promise<Member[]> {
  const members: Member[] = [];
  try {
    for (const { checkpoint, run, postprocessing } of models) {
      const contents = await loadCheckpoint(checkpoint);
      // Prediction never resumes training: the optimiser's moments would only hold memory.
      for (const weights of Object.values(contents.optimizers)) for (const { tensor } of weights) tensor.dispose();
      const record = contents.run ?? (await readRunRecord(run ?? checkpoint));
      members.push({ checkpoint, contents, record, run, postprocessing });
    }
    for (const member of members) {
      if (member.contents.unet.config.classes !== members[0]!.contents.unet.config.classes || describe(member.record) !== describe(members[0]!.record)) {
        throw new ModelOptionsError(`its classes or intensity normalisation differ from ${members[0]!.checkpoint}'s; an ensemble needs interchangeable models`, { path: member.checkpoint });
      }
    }
    return members;
  } catch (error) {
    for (const member of members) member.contents.unet.dispose();
    throw error;
  }
}

/** The fold the members trained on; members of different folds have no common train/val cases. */
function memberFold(members: readonly Member[]): CrossValidationFold | undefined {
  const key = (m: Member) => JSON.stringify(m.record.fold ?? null);
  const differs = members.find((m) => key(m) !== key(members[0]!));
  if (differs !== undefined) {
    throw new ModelOptionsError(`trained on another cross-validation fold than ${members[0]!.checkpoint}, so train/val mean different cases for each; predict all or test`, { path: differs.checkpoint });
  }
  return members[0]!.record.fold ?? undefined;
}

/** A dataset given to predict must be prepared as the training data was: same normalisation and classes. */
export function checkDatasetAgainstRun(manifest: DatasetManifest, dataset: string, record: RunRecord, model: string): void {
  const spec = manifest.cases[0]?.normalization.spec ?? null;
  const trained = record.dataset.normalization;
  if (trained !== null && spec !== null && JSON.stringify(spec) !== JSON.stringify(trained)) {
    throw new ModelOptionsError(`the dataset is normalised with ${JSON.stringify(spec)}, the model ${model} was trained on ${JSON.stringify(trained)}; re-ingest with the run's normalisation`, { path: dataset });
  }
  const keys = record.dataset.classes.map((c) => c.key);
  if (JSON.stringify(manifest.classes) !== JSON.stringify(keys)) {
    throw new ModelOptionsError(`the dataset's classes are ${JSON.stringify(manifest.classes)}, the model ${model} was trained on ${JSON.stringify(keys)}`, { path: dataset });
  }
}

/**
 * Prediction end to end, the library half of `medseg predict`: validates the models' run records, checks the
 * input against them, predicts each series (one in memory at a time) and writes the label maps, overlays and
 * DICOM SEG, with predictions.json written first as in-progress and last as complete.
 */
export async function runPrediction(options: RunPredictionOptions, onEvent: (event: RunPredictionEvent) => void = () => undefined): Promise<RunPredictionResult> {
  const input = resolve(options.input);
  const out = resolve(options.out);
  if (!(await pathExists(input))) throw new ModelOptionsError('no such file or folder', { path: input });
  // A cross-validation run (folds.json) stands for its folds, with the post-processing chosen on all of them.
  const models = await resolveModels(options.models.map((m) => resolve(m)));
  const checkpoints = models.map((m) => m.checkpoint);
  const isDataset = await pathExists(join(input, 'manifest.json'));
  const manifest = isDataset ? await readDatasetManifest(input) : undefined;
  const backend = await selectBackend(options.backend ?? 'auto');
  onEvent({ type: 'backend', backend });
  const members = await loadMembers(models);
  const unets = members.map((m) => m.contents.unet);
  let pools;
  let engines: SelectedEngines | undefined;
  try {
    const record = members[0]!.record;
    for (const m of members) {
      const channels = unetInputChannels(m.contents.unet.config);
      if (m.record.dataset.inputChannels !== channels) {
        throw new ModelLoadError(`the run record says ${m.record.dataset.inputChannels} input channel(s), the network takes ${channels}`, { path: m.checkpoint });
      }
    }
    if (manifest !== undefined) for (const m of members) checkDatasetAgainstRun(manifest, input, m.record, m.checkpoint);
    if (unets.length > 1) onEvent({ type: 'ensemble', members: unets.length });
    const split = options.split ?? 'all';
    const fold = isDataset && (split === 'train' || split === 'val') ? memberFold(members) : undefined;
    if (fold !== undefined) onEvent({ type: 'fold', split, fold });
    const skipped: { path: string; reason: string }[] = [...(options.skipped ?? [])];
    const keep = (uid: string) => options.shard === undefined || inShard(uid, options.shard);
    const skip = (path: string, reason: string) => {
      skipped.push({ path, reason });
      onEvent({ type: 'skipped', path, reason });
    };
    const note = (message: string) => onEvent({ type: 'note', message });
    const inputs =
      manifest === undefined
        ? dicomPredictionInputs(input, record.dataset.normalization, skip, keep, options.seriesPerPatient)
        : datasetPredictionInputs(input, manifest, datasetSplitCases(manifest, split, fold).filter((c) => keep(c.seriesInstanceUid)), note);
    const postprocessing = modelsPostprocessing(members, { threshold: options.threshold, largestComponent: options.largestComponent, tta: options.tta });
    onEvent({ type: 'postprocessing', postprocessing });
    const predictOptions = { batchSize: options.batchSize ?? 8, tta: postprocessing.tta, threshold: postprocessing.threshold, largestComponent: postprocessing.largestComponent };
    const folder = await prepareOutputFolder(out, { kind: 'predict', ...(options.overwrite === true ? { overwrite: true } : {}) });
    engines = await selectPredictionEngines(members.map((m) => ({ checkpoint: m.checkpoint, contents: m.contents })), { engine: options.engine ?? 'auto', threads: options.workers ?? 1 });
    onEvent({ type: 'engine', description: engines.description });
    // ONNX Runtime takes the workers as its own threads; tfjs shares the slices with replicas.
    const replicas = engines.engine === 'tfjs' ? await startReplicas(unets, options.workers ?? 1, backend.name, record.training.loss) : { pools: undefined, workers: options.workers ?? 1, note: undefined };
    pools = replicas.pools;
    if (replicas.note !== undefined) note(replicas.note);
    const cases: PredictedCase[] = [];
    const base = {
      format: 'medseg-predictions' as const,
      medsegVersion,
      commandLine: options.commandLine === undefined ? null : [...options.commandLine],
      model: checkpoints.length === 1 ? checkpoints[0]! : [...checkpoints],
      // Relative to the prediction folder, so that moving both together (or swapping in an --overwrite) keeps the link.
      runs: members.map((m) => (m.run === null ? null : relative(out, m.run))),
      input: options.inputLabel ?? input,
      ...(options.shard === undefined ? {} : { shard: options.shard }),
      ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
      ...(manifest === undefined ? {} : { inputManifestSha256: sha256Hex(await readFile(join(input, 'manifest.json'))) }),
      settings: { ...predictOptions, postprocessing, engine: engines.engine, backend: backend.name, workers: replicas.workers, ...(isDataset ? { split } : {}), ...(fold === undefined ? {} : { fold }) },
      cases,
      skipped,
    };
    const writeRecord = (status: PredictionRecord['status']) => writeFileAtomic(join(folder.work, PREDICTIONS_FILE), `${JSON.stringify({ ...base, status }, null, 2)}\n`);
    await writeRecord('in-progress');
    const started = Date.now();
    let slices = 0;
    const expected = record.dataset.modality;
    for await (const caseInput of inputs as AsyncGenerator<PredictionInput>) {
      if (expected !== null && caseInput.modality !== expected && options.allowModalityMismatch !== true) {
        throw new ModelOptionsError(`series ${caseInput.seriesInstanceUid} is ${caseInput.modality}, the model ${checkpoints[0]} was trained on ${expected}; pass --allow-modality-mismatch to predict it anyway`, {
          path: caseInput.series?.files[0] ?? input,
        });
      }
      onEvent({ type: 'case-start', id: caseInput.id });
      const labels = await predictVolume(engines.members, caseInput.image, { ...predictOptions, ...(pools === undefined ? {} : { replicas: pools }) });
      slices += caseInput.image.shape[2];
      let result = await writePredictionOutputs(folder.work, caseInput, labels, unets[0]!.config, record.dataset.classes, options.seg !== false);
      if (options.store !== undefined && result.files.seg !== undefined) {
        const outcome = await storeDicomFile(options.store, join(folder.work, result.files.seg));
        result = { ...result, store: outcome };
        onEvent({ type: 'stored', id: result.id, outcome, file: join(out, result.files.seg!) });
      }
      cases.push(result);
      onEvent({ type: 'case', result });
    }
    const seconds = (Date.now() - started) / 1000;
    await writeRecord('complete');
    await folder.commit();
    return { record: { ...base, status: 'complete' }, backend, checkpoints, slices, seconds };
  } finally {
    await engines?.dispose();
    for (const unet of unets) unet.dispose();
    await Promise.all((pools ?? []).map((pool) => pool.close()));
  }
}
