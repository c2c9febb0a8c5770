import { readFile, readdir, rename, rm, mkdir, writeFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathExists, readDatasetManifest } from '@medseg/data';
import {
  checkpointFolder,
  describeMedsegModel,
  type MedsegModel,
  medsegModelFile,
  medsegModelJson,
  modelsPostprocessing,
  type PostprocessingFlags,
  readRunRecord,
  resolveModels,
  sha256,
  type TrainSettings,
  type UnetConfig,
  wasmBinaryFolder,
} from '@medseg/models';
import { bundlePage } from './bundlePage.js';
import { WebExportError } from './errors.js';
import { pageHtml } from './pageHtml.js';
import type { WebModelMember } from './webModelMember.js';

export interface ExportWebSiteOptions {
  /** Training runs (best/, else last/) or checkpoint folders; several make an ensemble. */
  readonly models: readonly string[];
  readonly out: string;
  /** Settings that override the models' post-processing chosen on validation (each one given). */
  readonly postprocessing?: PostprocessingFlags;
  /** The modality the page accepts; by default the training dataset's, when it can be read. */
  readonly modality?: string;
  /** Replace an existing, non-empty `out`. */
  readonly overwrite?: boolean;
}

export interface ExportWebSiteResult {
  readonly out: string;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly totalBytes: number;
  readonly bundleBytes: number;
  readonly modelBytes: number;
  readonly manifest: MedsegModel;
}

interface CheckpointMeta {
  format: string;
  config: UnetConfig;
  encoderDepth: number;
  training?: TrainSettings;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
}

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (cause) {
    throw new WebExportError(`cannot read: ${cause instanceof Error ? cause.message : String(cause)}`, { path, cause });
  }
}

/** One checkpoint as a TF.js weights manifest and its shard (the checkpoint's weights.bin, which has that layout). */
async function memberFiles(folder: string): Promise<{ meta: CheckpointMeta; member: WebModelMember; weights: Buffer }> {
  const meta = await readJson<CheckpointMeta>(join(folder, 'config.json'));
  if (meta.format !== 'medseg-unet-checkpoint') throw new WebExportError('config.json is not a medseg checkpoint', { path: folder });
  const index = await readJson<TensorEntry[]>(join(folder, 'weights.json'));
  const weights = await readFile(join(folder, 'weights.bin'));
  let offset = 0;
  for (const entry of index) {
    const size = entry.shape.reduce((a, b) => a * b, 1) * 4;
    if (entry.offset !== offset || !['float32', 'int32'].includes(entry.dtype)) throw new WebExportError(`weights.json: entry ${entry.name} is not where the shard layout puts it`, { path: folder });
    offset += size;
  }
  if (offset !== weights.byteLength) throw new WebExportError(`weights.bin holds ${weights.byteLength} bytes, weights.json describes ${offset}`, { path: folder });
  const member: WebModelMember = {
    format: 'medseg-web-unet',
    version: 1,
    config: meta.config,
    encoderDepth: meta.encoderDepth,
    weightsManifest: [{ paths: ['weights.bin'], weights: index.map(({ name, shape, dtype }) => ({ name, shape, dtype })) }],
  };
  return { meta, member, weights };
}

/** The training dataset's modality, when its manifest is still where the run says. */
async function datasetModality(settings: TrainSettings | undefined): Promise<string | undefined> {
  const path = settings?.dataset?.path;
  if (path === undefined || !(await pathExists(join(path, 'manifest.json')))) return undefined;
  try {
    const modalities = new Set((await readDatasetManifest(path)).cases.map((c) => c.modality));
    return modalities.size === 1 ? [...modalities][0] : undefined;
  } catch {
    return undefined;
  }
}

const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

async function listFiles(root: string, prefix = ''): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return out;
}

/**
 * Writes a self-contained static site that segments DICOM in the browser with the given model(s):
 * `index.html`, `medseg-web.js` (the one bundled script), `medseg-model.json` (preprocessing, classes,
 * threshold, provenance), `model/<i>/model.json` + `weights.bin` (TF.js weights manifest and shard) and the
 * TF.js wasm binaries. Written to a temporary folder beside `out` and renamed into place.
 */
export async function exportWebSite(options: ExportWebSiteOptions): Promise<ExportWebSiteResult> {
  const { out } = options;
  if (options.models.length === 0) throw new WebExportError('no model given', { path: out });
  if ((await pathExists(out)) && (await readdir(out).catch(() => ['(not a folder)'])).length > 0 && options.overwrite !== true) {
    throw new WebExportError('output folder exists and is not empty (pass --overwrite to replace it)', { path: out });
  }
  // A cross-validation run (train --folds) exports as the ensemble of its folds.
  const models = await resolveModels(options.models);
  // The folder to read (a checkpoint whose save was cut between its renames is read from its .old copy).
  const folders = await Promise.all(models.map(async (m) => (await checkpointFolder(m.checkpoint)) ?? m.checkpoint));
  const members = [];
  for (const folder of folders) members.push(await memberFiles(folder));
  const first = members[0]!;
  const describe = (m: CheckpointMeta) => JSON.stringify({ classes: m.config.classes, names: m.training?.dataset?.classes, normalization: m.training?.dataset?.normalization });
  for (const [i, m] of members.entries()) {
    if (describe(m.meta) !== describe(first.meta)) throw new WebExportError(`classes or intensity normalisation differ from ${folders[0]}'s; an ensemble needs interchangeable models`, { path: folders[i] });
    if ((m.meta.config.contextSlices ?? 0) !== (first.meta.config.contextSlices ?? 0)) throw new WebExportError(`context slices differ from ${folders[0]}'s`, { path: folders[i] });
  }
  const settings = first.meta.training;
  const runs = await Promise.all(folders.map((folder) => readRunRecord(folder)));
  const modality = options.modality ?? runs[0]!.dataset.modality ?? (await datasetModality(settings));
  const base = describeMedsegModel(
    members.map((m, i) => ({ checkpoint: folders[i]!, weightsSha256: sha256(m.weights), run: runs[i]! })),
    { format: 'web', postprocessing: modelsPostprocessing(models, options.postprocessing ?? {}), ...(modality === undefined ? {} : { modality }) },
  );
  const manifest: MedsegModel = { ...base, web: { members: members.map((_, i) => `model/${i}/model.json`) } };
  const manifestJson = medsegModelJson(manifest, join(out, medsegModelFile));
  const bundle = await bundlePage();
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'index.html'), pageHtml);
    await writeFile(join(tmp, 'medseg-web.js'), bundle);
    await writeFile(join(tmp, medsegModelFile), manifestJson);
    for (const [i, m] of members.entries()) {
      await mkdir(join(tmp, 'model', String(i)), { recursive: true });
      await writeFile(join(tmp, 'model', String(i), 'model.json'), `${JSON.stringify(m.member)}\n`);
      await writeFile(join(tmp, 'model', String(i), 'weights.bin'), m.weights);
    }
    for (const file of wasmFiles) await writeFile(join(tmp, file), await readFile(join(wasmBinaryFolder(), file)));
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const files = (await listFiles(out)).sort((a, b) => a.path.localeCompare(b.path));
  const sum = (list: { bytes: number }[]) => list.reduce((a, f) => a + f.bytes, 0);
  return {
    out,
    files,
    totalBytes: sum(files),
    bundleBytes: bundle.byteLength,
    modelBytes: sum(files.filter((f) => f.path.startsWith('model/'))),
    manifest,
  };
}
