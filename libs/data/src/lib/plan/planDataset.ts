import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_GENERATOR } from '../dataset/ingestDataset.js';
import { MANIFEST_FILE, readDatasetCase, readDatasetManifest } from '../dataset/readDataset.js';
import { type DatasetFingerprint, datasetFingerprint, hasRawIntensities } from './datasetFingerprint.js';
import { type CaseIntensities, summarizeIntensities } from './intensitySummary.js';
import { type PlanOptions, planTraining } from './planTraining.js';
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

/** `medseg plan`: fingerprints the dataset folder, plans, and writes `plans.json` beside its manifest. */
export async function planDataset(folder: string, options: PlanOptions = {}): Promise<PlanDatasetResult> {
  const sha256 = await manifestSha256(folder);
  const fingerprint = await fingerprintDataset(folder);
  const record: PlansRecord = {
    schemaVersion: PLANS_SCHEMA_VERSION,
    generator: DATASET_GENERATOR,
    dataset: { manifestSha256: sha256, cases: fingerprint.cases },
    options: plansOptions(options),
    fingerprint,
    plan: planTraining(fingerprint, options),
  };
  const path = await writePlans(folder, record);
  return { record, path };
}

export interface EnsurePlansResult extends PlanDatasetResult {
  /** `existing`: a current plans.json was read; `planned`: there was none; `replanned`: it was out of date. */
  readonly action: 'existing' | 'planned' | 'replanned';
  /** sha256 of plans.json's bytes as used. */
  readonly sha256: string;
}

/**
 * The dataset's current plan: `plans.json` beside the manifest when it was made from the manifest as it is now,
 * else a new plan (written there) made with `options`. What `medseg train` does before it trains.
 */
export async function ensurePlans(folder: string, options: PlanOptions = {}): Promise<EnsurePlansResult> {
  const path = join(folder, PLANS_FILE);
  const existing = await readPlans(folder);
  let record: PlansRecord;
  let action: EnsurePlansResult['action'];
  if (existing !== undefined && (await plansAreCurrent(folder, existing))) {
    record = existing;
    action = 'existing';
  } else {
    record = (await planDataset(folder, options)).record;
    action = existing === undefined ? 'planned' : 'replanned';
  }
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return { record, path, action, sha256 };
}
