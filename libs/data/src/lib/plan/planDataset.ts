import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_GENERATOR } from '../dataset/ingestDataset.js';
import { MANIFEST_FILE, readDatasetCase, readDatasetManifest } from '../dataset/readDataset.js';
import { type DatasetFingerprint, datasetFingerprint } from './datasetFingerprint.js';
import { type CaseIntensities, summarizeIntensities } from './intensitySummary.js';
import { type PlanOptions, planTraining } from './planTraining.js';
import { PLANS_SCHEMA_VERSION, type PlansRecord, plansOptions, writePlans } from './plansRecord.js';

/**
 * The fingerprint of a dataset folder. Datasets ingested before medseg recorded raw intensities are
 * fingerprinted on their stored (normalised) arrays, read case by case, and say so (`intensity.source`).
 */
export async function fingerprintDataset(folder: string): Promise<DatasetFingerprint> {
  const manifest = await readDatasetManifest(folder);
  if (manifest.cases.every((c) => c.intensity !== undefined)) return datasetFingerprint(manifest);
  const stored = new Map<string, CaseIntensities>();
  for (const entry of manifest.cases) {
    const { image, mask } = await readDatasetCase(folder, entry);
    stored.set(entry.id, summarizeIntensities(image.data, mask.data));
  }
  return datasetFingerprint(manifest, stored);
}

export interface PlanDatasetResult {
  readonly record: PlansRecord;
  readonly path: string;
}

/** `medseg plan`: fingerprints the dataset folder, plans, and writes `plans.json` beside its manifest. */
export async function planDataset(folder: string, options: PlanOptions = {}): Promise<PlanDatasetResult> {
  const manifestBytes = await readFile(join(folder, MANIFEST_FILE)).catch(() => undefined);
  const fingerprint = await fingerprintDataset(folder);
  const record: PlansRecord = {
    schemaVersion: PLANS_SCHEMA_VERSION,
    generator: DATASET_GENERATOR,
    dataset: { manifestSha256: createHash('sha256').update(manifestBytes ?? '').digest('hex'), cases: fingerprint.cases },
    options: plansOptions(options),
    fingerprint,
    plan: planTraining(fingerprint, options),
  };
  const path = await writePlans(folder, record);
  return { record, path };
}
