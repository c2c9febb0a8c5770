import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type DatasetManifest, medsegVersion, type NormalizationSpec, pathExists, writeFileAtomic } from '@medseg/data';
import { checkpointFolder, readCheckpointMeta } from './checkpoint.js';
import { datasetCaseSplits } from './dataset-slices.js';
import { ModelLoadError } from './errors.js';
import { gitCommit } from './git-commit.js';
import { RUN_RECORD_FILE, RUN_RECORD_SCHEMA_VERSION, type RunClass, type RunRecord, type RunSettingsProvenance } from './run-record-schema.js';
import type { TrainSettings } from './train-settings.js';
import type { UnetConfig } from './unet.js';

export type { RunClass, RunDataset, RunPostprocessing, RunRecord, RunSettingsProvenance } from './run-record-schema.js';
export { RUN_RECORD_FILE, RUN_RECORD_SCHEMA_VERSION } from './run-record-schema.js';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Class records from a manifest: its keys, and its display labels and matched ROI names where it records them
 * (older datasets: the key is the label). Label 0, background, is kept too.
 */
export function runClasses(manifest: Pick<DatasetManifest, 'classes' | 'classInfo'>): RunClass[] {
  return manifest.classes.map((key, value) => {
    const info = manifest.classInfo?.[value];
    return { value, key, label: info?.label ?? key, roiNames: info?.roiNames ?? [] };
  });
}

/** The modality most of a dataset's cases have. */
function commonModality(manifest: DatasetManifest): string | null {
  const counts = new Map<string, number>();
  for (const c of manifest.cases) counts.set(c.modality, (counts.get(c.modality) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

export interface BuildRunRecordOptions {
  readonly model: UnetConfig;
  readonly training: TrainSettings;
  readonly datasetPath: string;
  readonly manifest: DatasetManifest;
  readonly manifestBytes: Uint8Array;
  readonly inputChannels: number;
  readonly commandLine?: readonly string[] | undefined;
  readonly backend: string;
  readonly settings?: RunSettingsProvenance | undefined;
}

export async function buildRunRecord(options: BuildRunRecordOptions): Promise<RunRecord> {
  const { manifest, training } = options;
  const fold = training.dataset?.fold ?? null;
  const splits = datasetCaseSplits(manifest, fold ?? undefined);
  const ids = (split: string) => manifest.cases.filter((_, i) => splits[i] === split).map((c) => c.id);
  return {
    format: 'medseg-run',
    schemaVersion: RUN_RECORD_SCHEMA_VERSION,
    medsegVersion,
    commit: await gitCommit(),
    commandLine: options.commandLine === undefined ? null : [...options.commandLine],
    createdAt: new Date().toISOString(),
    runtime: { node: process.versions.node, tfjs: tf.version.tfjs, backend: options.backend },
    model: options.model,
    training,
    seed: training.seed,
    workers: training.workers ?? 1,
    fold,
    dataset: {
      path: options.datasetPath,
      manifestSha256: sha256Hex(options.manifestBytes),
      caseIds: { train: ids('train'), val: ids('val'), test: ids('test') },
      normalization: (manifest.cases[0]?.normalization.spec as NormalizationSpec | undefined) ?? null,
      modality: commonModality(manifest),
      inputChannels: options.inputChannels,
      classes: runClasses(manifest),
    },
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a parsed run.json field by field (the first bad one is named), and migrates older schemas. */
export function validateRunRecord(value: unknown, path: string): RunRecord {
  const fail = (field: string, expected: string): never => {
    throw new ModelLoadError(`run record field '${field}' must be ${expected}`, { path });
  };
  if (!isObject(value) || value['format'] !== 'medseg-run') return fail('format', "'medseg-run'");
  const version = value['schemaVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version)) return fail('schemaVersion', 'an integer');
  if (version > RUN_RECORD_SCHEMA_VERSION) throw new ModelLoadError(`run record schema version ${version} is newer than this medseg reads (${RUN_RECORD_SCHEMA_VERSION}); update medseg`, { path });
  for (const field of ['model', 'training', 'dataset', 'runtime'] as const) if (!isObject(value[field])) fail(field, 'an object');
  const model = value['model'] as Record<string, unknown>;
  for (const field of ['backbone', 'inputSize', 'classes'] as const) if (model[field] === undefined) fail(`model.${field}`, 'present');
  const training = value['training'] as Record<string, unknown>;
  for (const field of ['epochs', 'batchSize', 'learningRate', 'seed'] as const) if (typeof training[field] !== 'number') fail(`training.${field}`, 'a number');
  const dataset = value['dataset'] as Record<string, unknown>;
  if (typeof dataset['path'] !== 'string') fail('dataset.path', 'a string');
  if (!Array.isArray(dataset['classes'])) fail('dataset.classes', 'a list');
  if (typeof dataset['inputChannels'] !== 'number') fail('dataset.inputChannels', 'a number');
  for (const field of ['medsegVersion', 'commit', 'createdAt'] as const) if (value[field] !== null && typeof value[field] !== 'string') fail(field, 'a string or null');
  if (value['commandLine'] !== null && !Array.isArray(value['commandLine'])) fail('commandLine', 'a list or null');
  const settings = value['settings'];
  if (settings !== undefined) {
    if (!isObject(settings)) fail('settings', 'an object');
    const s = settings as Record<string, unknown>;
    if (!isObject(s['sources'])) fail('settings.sources', 'an object');
    if (s['plan'] !== null && !isObject(s['plan'])) fail('settings.plan', 'an object or null');
    if (!Array.isArray(s['ingestChecks']) || !Array.isArray(s['notes'])) fail('settings.ingestChecks/notes', 'lists');
  }
  const post = value['postprocessing'];
  if (post !== undefined) {
    if (!isObject(post) || !isObject(post['chosen'])) return fail('postprocessing.chosen', 'an object');
    const chosen = post['chosen'];
    if (typeof chosen['threshold'] !== 'number' || !(chosen['threshold'] > 0 && chosen['threshold'] < 1)) fail('postprocessing.chosen.threshold', 'a number between 0 and 1');
    if (typeof chosen['largestComponent'] !== 'boolean') fail('postprocessing.chosen.largestComponent', 'true or false');
    if (chosen['tta'] !== undefined && typeof chosen['tta'] !== 'boolean') fail('postprocessing.chosen.tta', 'true or false');
    if (!Array.isArray(post['table']) || !Array.isArray(post['perCase'])) fail('postprocessing.table/perCase', 'lists');
  }
  return value as unknown as RunRecord;
}

/**
 * A run record for a checkpoint written before run.json existed: what its config.json holds (architecture,
 * settings, dataset path, normalisation, classes), the rest null.
 */
export function migrateCheckpointRecord(meta: { config: UnetConfig; training: TrainSettings }, from: string): RunRecord {
  const training = meta.training;
  const classes = training.dataset?.classes ?? ['background', 'foreground'];
  return {
    format: 'medseg-run',
    schemaVersion: RUN_RECORD_SCHEMA_VERSION,
    medsegVersion: null,
    commit: null,
    commandLine: null,
    createdAt: null,
    runtime: { node: null, tfjs: null, backend: null },
    model: meta.config,
    training,
    seed: training.seed,
    workers: training.workers ?? 1,
    fold: training.dataset?.fold ?? null,
    dataset: {
      path: training.dataset?.path ?? '',
      manifestSha256: null,
      caseIds: null,
      normalization: training.dataset?.normalization ?? null,
      modality: null,
      inputChannels: 2 * (meta.config.contextSlices ?? 0) + 1,
      classes: runClasses({ classes }),
    },
    migratedFrom: from,
  };
}

export async function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(join(runDir, RUN_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * The record of a run folder or of one checkpoint folder: run.json when there is one, else the record inside
 * the checkpoint's config.json, else one migrated from the checkpoint's settings (runs from before run.json).
 */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, RUN_RECORD_FILE);
  if (await pathExists(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      throw new ModelLoadError('run.json is not valid JSON', { path: file, cause });
    }
    return validateRunRecord(parsed, file);
  }
  for (const candidate of [dir, join(dir, 'last'), join(dir, 'best')]) {
    if ((await checkpointFolder(candidate)) === null) continue;
    const { folder, meta } = await readCheckpointMeta(candidate);
    if (meta.run !== undefined) return validateRunRecord(meta.run, join(folder, 'config.json'));
    return migrateCheckpointRecord(meta, join(folder, 'config.json'));
  }
  throw new ModelLoadError('not a training run or checkpoint folder (no run.json, best/, last/ or state.json)', { path: dir });
}
