import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MedsegError } from '../errors.js';
import { readNifti } from '../nifti/readNifti.js';
import type { Volume } from '../volume.js';
import { DATASET_SCHEMA_VERSION, type DatasetCase, type DatasetManifest } from './datasetTypes.js';

export class DatasetError extends MedsegError {}

export const MANIFEST_FILE = 'manifest.json';

export async function readDatasetManifest(folder: string): Promise<DatasetManifest> {
  const path = join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DatasetError(`not a medseg dataset (no ${MANIFEST_FILE}; create one with 'medseg ingest')`, { path: folder, cause: error });
  }
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(text) as DatasetManifest;
  } catch (error) {
    throw new DatasetError(`manifest is not valid JSON (${(error as Error).message})`, { path, cause: error });
  }
  if (manifest.schemaVersion !== DATASET_SCHEMA_VERSION || !Array.isArray(manifest.cases)) {
    throw new DatasetError(`unsupported dataset schema version ${String(manifest.schemaVersion)} (this medseg reads ${DATASET_SCHEMA_VERSION})`, { path });
  }
  return manifest;
}

/** One case's normalised image and label map. */
export async function readDatasetCase(folder: string, caseOrId: DatasetCase | string): Promise<{ image: Volume<Float32Array>; mask: Volume<Uint8Array>; entry: DatasetCase }> {
  const entry = typeof caseOrId === 'string' ? (await readDatasetManifest(folder)).cases.find((c) => c.id === caseOrId) : caseOrId;
  if (!entry) throw new DatasetError(`no case '${String(caseOrId)}' in the dataset`, { path: folder });
  const image = await readNifti(join(folder, entry.files.image));
  const mask = await readNifti(join(folder, entry.files.mask));
  if (!(image.data instanceof Float32Array) || !(mask.data instanceof Uint8Array)) {
    throw new DatasetError(`case '${entry.id}' has arrays of the wrong type (image float32, mask uint8 expected)`, { path: join(folder, entry.files.image) });
  }
  return { image: image as Volume<Float32Array>, mask: mask as Volume<Uint8Array>, entry };
}
