import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MedsegError } from '../errors.js';
import { safeJoin } from '../fs/safeJoin.js';
import { isSafeName } from '../names/safeName.js';
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
  checkCases(manifest.cases, folder, path);
  return manifest;
}

/**
 * Case IDs name files that predict and eval write, and `files` name files that are read: a manifest from a
 * stranger must not steer either outside its folder. Every ID must be a safe name (what ingest writes), IDs
 * must be unique, and every file must lie inside the dataset.
 */
function checkCases(cases: readonly DatasetCase[], folder: string, path: string): void {
  const seen = new Set<string>();
  for (const [i, entry] of cases.entries()) {
    const id: unknown = entry?.id;
    if (!isSafeName(id)) {
      throw new DatasetError(`cases[${i}].id ${JSON.stringify(id)} is not a safe case ID (letters, digits, '.', '_', '-', not starting with '.')`, { path });
    }
    if (seen.has(id.toLowerCase())) throw new DatasetError(`cases[${i}].id '${id}' is used by another case`, { path });
    seen.add(id.toLowerCase());
    const files: unknown = entry.files;
    if (files === null || typeof files !== 'object') throw new DatasetError(`cases[${i}] ('${id}') has no files`, { path });
    for (const key of ['image', 'mask'] as const) {
      const file: unknown = (files as Record<string, unknown>)[key];
      if (typeof file !== 'string') throw new DatasetError(`cases[${i}].files.${key} ('${id}') is not a path`, { path });
      safeJoin(folder, file, path);
    }
  }
}

/** One case's normalised image and label map. */
export async function readDatasetCase(folder: string, caseOrId: DatasetCase | string): Promise<{ image: Volume<Float32Array>; mask: Volume<Uint8Array>; entry: DatasetCase }> {
  const entry = typeof caseOrId === 'string' ? (await readDatasetManifest(folder)).cases.find((c) => c.id === caseOrId) : caseOrId;
  if (!entry) throw new DatasetError(`no case '${String(caseOrId)}' in the dataset`, { path: folder });
  const manifestPath = join(folder, MANIFEST_FILE);
  const image = await readNifti(safeJoin(folder, entry.files.image, manifestPath));
  const mask = await readNifti(safeJoin(folder, entry.files.mask, manifestPath));
  if (!(image.data instanceof Float32Array) || !(mask.data instanceof Uint8Array)) {
    throw new DatasetError(`case '${entry.id}' has arrays of the wrong type (image float32, mask uint8 expected)`, { path: join(folder, entry.files.image) });
  }
  return { image: image as Volume<Float32Array>, mask: mask as Volume<Uint8Array>, entry };
}
