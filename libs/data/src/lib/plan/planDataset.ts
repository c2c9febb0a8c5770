import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_GENERATOR } from '../dataset/ingestDataset.js';
import { MANIFEST_FILE, readDatasetCase, readDatasetManifest } from '../dataset/readDataset.js';
import { type DatasetFingerprint, datasetFingerprint, hasRawIntensities } from './datasetFingerprint.js';
import { type CaseIntensities, summarizeIntensities } from './intensitySummary.js';
import { type PlannedNetwork, type PlanOptions, type StepMeasurement, planTraining, type TrainingPlan } from './planTraining.js';
import { PLANS_FILE, PLANS_SCHEMA_VERSION, type PlansRecord, plansOptions, readPlans, writePlans } from './plansRecord.js';

/**
 * The fingerprint of a dataset folder. Datasets ingested before medseg recorded raw intensities are
 * fingerprinted on their stored (normalised) arrays, read case by case, and say so (`intensity.source`).
 */
export async function fingerprintDataset(folder: string): Promise<DatasetFingerprint> {
  const manifest = await readDatasetManifest(folder);
  if (manifest.cases.every(hasRawIntensities)) return datasetFingerprint(manifest);
  const stored = new Map<string, CaseIntensities>();
  for (const entry of manifest.cases) {
    const { image, mask } = await readDatasetCase(folder, entry);
    stored.set(entry.id, summarizeIntensities(image.data, mask.data));
  }
  return datasetFingerprint(manifest, stored);
}

async function manifestSha256(folder: string): Promise<string> {
  const bytes = await readFile(join(folder, MANIFEST_FILE)).catch(() => undefined);
  return createHash('sha256').update(bytes ?? '').digest('hex');
}

/** Whether a plan was made from the dataset's manifest as it is now (a re-ingest changes it: plan again). */
export async function plansAreCurrent(folder: string, record: PlansRecord): Promise<boolean> {
  return record.dataset.manifestSha256 === (await manifestSha256(folder));
}

export interface PlanDatasetResult {
  readonly record: PlansRecord;
  readonly path: string;
}

/** Times training steps of a planned network on the dataset in `folder` (libs/models `measureTrainingStep`). */
export type StepMeasurer = (folder: string, network: PlannedNetwork) => Promise<StepMeasurement>;

export interface PlanDatasetOptions extends PlanOptions {
  /**
   * Measures the step time of the planned network (ignored when `secondsPerStep` is given). The plan is made with
   * the estimate first, its network measured, and the plan made again with the measurement; when that changes
   * the network (a tighter budget than the estimate thought: the cheaper decoder), that network is measured too
   * and the plan made a last time. At most two measurements.
   */
  readonly measureStep?: StepMeasurer;
}

/** The network a plan trains. */
export function plannedNetwork(plan: TrainingPlan): PlannedNetwork {
  const t = plan.train;
  return { encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, batchSize: t.batchSize.value, contextSlices: t.contextSlices.value, workers: t.workers.value };
}

const sameNetwork = (a: PlannedNetwork, b: PlannedNetwork) => JSON.stringify(a) === JSON.stringify(b);

/** Plans from a fingerprint, with measured step times when `measureStep` is given (see PlanDatasetOptions). */
async function planMeasured(folder: string, fingerprint: DatasetFingerprint, options: PlanDatasetOptions): Promise<{ plan: TrainingPlan; planOptions: PlanOptions }> {
  const { measureStep, ...planOptions } = options;
  let plan = planTraining(fingerprint, planOptions);
  if (measureStep === undefined || options.secondsPerStep !== undefined) return { plan, planOptions };
  let measured: PlanOptions = planOptions;
  for (let round = 0; round < 2; round++) {
    const network = plannedNetwork(plan);
    if (measured.measurement !== undefined && sameNetwork(measured.measurement.network, network)) break;
    measured = { ...planOptions, measurement: await measureStep(folder, network) };
    plan = planTraining(fingerprint, measured);
  }
  return { plan, planOptions: measured };
}

/**
 * `medseg plan`: fingerprints the dataset folder, plans (measuring the step time when `measureStep` is given),
 * and writes `plans.json` beside its manifest.
 */
export async function planDataset(folder: string, options: PlanDatasetOptions = {}): Promise<PlanDatasetResult> {
  const sha256 = await manifestSha256(folder);
  const fingerprint = await fingerprintDataset(folder);
  const { plan, planOptions } = await planMeasured(folder, fingerprint, options);
  const record: PlansRecord = {
    schemaVersion: PLANS_SCHEMA_VERSION,
    generator: DATASET_GENERATOR,
    dataset: { manifestSha256: sha256, cases: fingerprint.cases },
    options: plansOptions(planOptions),
    fingerprint,
    plan,
  };
  const path = await writePlans(folder, record);
  return { record, path };
}

export interface EnsurePlansResult extends PlanDatasetResult {
  /** `existing`: a current plans.json was read; `planned`: there was none; `replanned`: it was out of date. */
  readonly action: 'existing' | 'planned' | 'replanned';
  /** Why it was planned again (`replanned`): the manifest changed, or the budget asked for is not the plan's. */
  readonly replannedBecause?: 'manifest' | 'budget';
  /** sha256 of plans.json's bytes as used. */
  readonly sha256: string;
}

/**
 * The dataset's current plan: `plans.json` beside the manifest when it was made from the manifest as it is now
 * (and, when `options.timeBudgetSeconds` is given, with that budget), else a new plan (written there) made with
 * `options`, measuring with `options.measureStep`. What `medseg train` does before it trains.
 */
export async function ensurePlans(folder: string, options: PlanDatasetOptions = {}): Promise<EnsurePlansResult> {
  const path = join(folder, PLANS_FILE);
  const existing = await readPlans(folder);
  const current = existing !== undefined && (await plansAreCurrent(folder, existing));
  const budgetDiffers = existing !== undefined && options.timeBudgetSeconds !== undefined && existing.options.timeBudgetSeconds !== options.timeBudgetSeconds;
  let record: PlansRecord;
  let action: EnsurePlansResult['action'];
  if (existing !== undefined && current && !budgetDiffers) {
    record = existing;
    action = 'existing';
  } else {
    record = (await planDataset(folder, options)).record;
    action = existing === undefined ? 'planned' : 'replanned';
  }
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return { record, path, action, sha256, ...(action === 'replanned' ? { replannedBecause: current ? 'budget' : 'manifest' } : {}) };
}
