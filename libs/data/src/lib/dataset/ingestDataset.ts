import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readDicomSeries } from '../dicom/readDicomSeries.js';
import { scanDicomTree } from '../dicom/scanDicomTree.js';
import type { DicomObjectInfo, DicomSeriesInfo, SkippedFile } from '../dicom/seriesTypes.js';
import { pathExists } from '../fs/pathExists.js';
import { checkOutputFolder, prepareOutputFolder } from '../fs/prepareOutputFolder.js';
import { outputWriteError } from '../fs/systemErrors.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import { NiftiDatatype } from '../nifti/niftiDatatype.js';
import { writeNifti } from '../nifti/writeNifti.js';
import { summarizeIntensities } from '../plan/intensitySummary.js';
import { renderOverlayPng } from '../preview/renderOverlayPng.js';
import { gridWithInPlaneSpacing, resampleVolume } from '../resample/resampleVolume.js';
import type { Volume } from '../volume.js';
import { type Split, assignSplits } from './assignSplit.js';
import { buildCaseMask } from './buildCaseMask.js';
import { cropOrPad } from './cropOrPad.js';
import { DATASET_SCHEMA_VERSION, type DatasetCase, type DatasetClass, type DatasetManifest, type IngestSettings } from './datasetTypes.js';
import { normalizeIntensity, parseNormalization } from './normalizeIntensity.js';
import { caseIdsForSeries } from './caseIdsForSeries.js';
import { findNamedMasks, pairMaskSources } from './pairMaskSources.js';
import { MANIFEST_FILE } from './readDataset.js';
import { medsegVersion } from '../version.js';

export const DATASET_GENERATOR = `medseg ${medsegVersion}`;

export interface IngestProgress {
  readonly index: number;
  readonly total: number;
  readonly caseId: string;
  readonly status: 'written' | 'reused' | 'skipped';
  readonly reason?: string;
}

export type IngestOptions = Partial<IngestSettings> & {
  readonly images: string;
  readonly out: string;
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Called when scanning the image tree, with files done and found. */
  readonly onScan?: (done: number, total: number) => void;
  /** Continue an earlier ingest into `out` (finished cases whose settings match are reused). */
  readonly resume?: boolean;
  /** Replace the dataset in `out`: the new one is written beside it and swapped in at the end. */
  readonly overwrite?: boolean;
};

export interface IngestResult {
  readonly manifest: DatasetManifest;
  readonly written: number;
  readonly reused: number;
}

interface StoredCase {
  readonly fingerprint: string;
  readonly entry: Omit<DatasetCase, 'split'>;
  readonly classes: readonly string[];
}

function settingsFrom(options: IngestOptions): IngestSettings {
  return {
    images: resolve(options.images),
    masks: options.masks === undefined ? undefined : resolve(options.masks),
    roi: options.roi ?? [],
    seed: options.seed ?? 0,
    val: options.val ?? 0.2,
    test: options.test ?? 0,
    valPatients: options.valPatients,
    testPatients: options.testPatients,
    spacing: options.spacing,
    size: options.size,
    normalize: options.normalize ?? 'auto',
    emptySlices: options.emptySlices ?? 'keep',
    segThreshold: options.segThreshold ?? 0.5,
  };
}

/**
 * Turns a DICOM tree and its ground truth into a dataset folder (layout in docs/contracts.md). One series is in
 * memory at a time, so peak memory follows the largest series, not the archive. Each case is written
 * atomically and finished by its `case.json`; a re-run with `resume` reuses finished cases whose settings match,
 * so an interrupted ingest resumes and ends with the same bytes as an uninterrupted one (without `resume` or
 * `overwrite`, a non-empty `out` is refused). Bad cases are skipped with a
 * reason and the rest of the dataset is still written.
 */
export async function ingestDataset(options: IngestOptions): Promise<IngestResult> {
  const settings = settingsFrom(options);
  const isOwn = async (path: string) => (await pathExists(join(path, MANIFEST_FILE))) || (await pathExists(join(path, 'cases')));
  const folderOptions = {
    kind: 'ingest',
    resumable: true,
    isOwn,
    ...(options.resume === true ? { resume: true } : {}),
    ...(options.overwrite === true ? { overwrite: true } : {}),
  };
  // Refused before the scan; created only once the images could be read.
  await checkOutputFolder(resolve(options.out), folderOptions);
  const scan = await scanDicomTree(settings.images, options.onScan ? { onProgress: options.onScan } : {});
  const folder = await prepareOutputFolder(resolve(options.out), folderOptions);
  const out = folder.work;
  const skipped: SkippedFile[] = [...scan.skipped];
  const dicomMasks: DicomObjectInfo[] = [...scan.others];
  const named = [];
  if (settings.masks !== undefined) {
    const info = await stat(settings.masks);
    named.push(...(await findNamedMasks(settings.masks)));
    if (info.isDirectory() || !/\.nii(\.gz)?$/i.test(settings.masks)) {
      const maskScan = await scanDicomTree(settings.masks);
      dicomMasks.push(...maskScan.others);
    }
  }
  const series = [...scan.series].sort((a, b) => a.patientId.localeCompare(b.patientId) || a.seriesInstanceUid.localeCompare(b.seriesInstanceUid));
  const { pairs, unmatched } = await pairMaskSources(series, { dicom: dicomMasks, named });
  skipped.push(...unmatched);

  const ids = assignCaseIds(series);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ schema: DATASET_SCHEMA_VERSION, generator: DATASET_GENERATOR, intensityStats: 1, roi: settings.roi, spacing: settings.spacing, size: settings.size, normalize: settings.normalize, segThreshold: settings.segThreshold, masks: settings.masks }))
    .digest('hex');

  const stored: StoredCase[] = [];
  let written = 0;
  let reused = 0;
  for (const [index, info] of series.entries()) {
    const caseId = ids.get(info.seriesInstanceUid)!;
    const report = (status: IngestProgress['status'], reason?: string) =>
      options.onProgress?.({ index, total: series.length, caseId, status, ...(reason === undefined ? {} : { reason }) });
    const source = pairs.get(info.seriesInstanceUid);
    if (!source) {
      skipped.push({ path: info.files[0] ?? info.seriesInstanceUid, reason: `series ${info.seriesInstanceUid} (${info.modality}, patient ${info.patientId}): no RTSTRUCT, SEG or mask file references it` });
      report('skipped', 'no mask');
      continue;
    }
    const previous = await readStoredCase(join(out, 'cases', caseId, 'case.json'));
    if (previous && previous.fingerprint === fingerprint && previous.entry.seriesInstanceUid === info.seriesInstanceUid && previous.entry.source.mask === source.path) {
      stored.push(previous);
      reused++;
      report('reused');
      continue;
    }
    try {
      stored.push(await ingestCase(out, caseId, info, source, settings, fingerprint));
      written++;
      report('written');
    } catch (error) {
      // A full disk or a forbidden folder is not a bad input: the dataset cannot be written, so ingest stops.
      const writeFailure = outputWriteError(error, out);
      if (writeFailure) throw writeFailure;
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ path: source.path, reason: `case ${caseId}: ${reason}` });
      report('skipped', reason);
    }
  }

  const classes = stored.reduce<readonly string[]>((longest, c) => (c.classes.length > longest.length ? c.classes : longest), []);
  const splitOptions = { seed: settings.seed, val: settings.val, test: settings.test, ...(settings.valPatients ? { valPatients: settings.valPatients } : {}), ...(settings.testPatients ? { testPatients: settings.testPatients } : {}) };
  const splitOf = assignSplits(stored.map((c) => c.entry.patientId), splitOptions);
  const cases: DatasetCase[] = stored.map((c) => ({ ...c.entry, split: splitOf.get(c.entry.patientId)! }));
  const splits: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const c of cases) splits[c.split]++;
  const manifest: DatasetManifest = {
    schemaVersion: DATASET_SCHEMA_VERSION,
    generator: DATASET_GENERATOR,
    settings,
    classes: ['background', ...classes],
    classInfo: datasetClasses(['background', ...classes], cases),
    splits,
    cases,
    skipped,
  };
  await writeFileAtomic(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await folder.commit();
  return { manifest, written, reused };
}

/** Each class's display label and the ROI names its cases matched (see DatasetManifest.classInfo). */
export function datasetClasses(keys: readonly string[], cases: readonly DatasetCase[]): DatasetClass[] {
  return keys.map((key, value) => {
    if (value === 0) return { key, label: key, roiNames: [] };
    const names = [...new Set(cases.flatMap((c) => c.classRois?.[value - 1] ?? []))].sort();
    return { key, label: names.length === 1 ? names[0]! : key, roiNames: names };
  });
}

/** Case IDs: safe, bounded and unique (see `caseIdsForSeries`), by SeriesInstanceUID. */
function assignCaseIds(series: readonly DicomSeriesInfo[]): Map<string, string> {
  const ids = caseIdsForSeries(series);
  return new Map(series.map((s, i) => [s.seriesInstanceUid, ids[i]!]));
}

async function readStoredCase(path: string): Promise<StoredCase | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StoredCase;
  } catch {
    return undefined;
  }
}

async function ingestCase(out: string, caseId: string, info: DicomSeriesInfo, source: { kind: DatasetCase['source']['maskKind']; path: string }, settings: IngestSettings, fingerprint: string): Promise<StoredCase> {
  const series = await readDicomSeries(info);
  const mask = await buildCaseMask(series, source, { roi: settings.roi, segThreshold: settings.segThreshold });
  const intensity = summarizeIntensities(series.volume.data, mask.labels);
  const sourceGrid = { shape: series.volume.shape, spacing: series.volume.spacing };
  const spec = parseNormalization(settings.normalize, series.modality);
  const normalized = normalizeIntensity(series.volume, spec);
  let image: Volume<Float32Array> = normalized.volume;
  let labels: Volume<Uint8Array> = { ...series.volume, data: mask.labels };
  if (settings.spacing !== undefined) {
    const grid = gridWithInPlaneSpacing(image, settings.spacing, info.files[0]);
    image = resampleVolume(image, grid, 'linear', image.data.reduce((m, v) => Math.min(m, v), Infinity)) as Volume<Float32Array>;
    labels = resampleVolume(labels, grid, 'nearest') as Volume<Uint8Array>;
  }
  if (settings.size !== undefined) {
    const fill = image.data.reduce((m, v) => Math.min(m, v), Infinity);
    image = cropOrPad(image, settings.size[0], settings.size[1], fill);
    labels = cropOrPad(labels, settings.size[0], settings.size[1], 0);
  }

  const [columns, rows, slices] = image.shape;
  const classVoxels = new Array<number>(mask.classes.length + 1).fill(0);
  const foregroundSlices: number[] = [];
  for (let z = 0; z < slices; z++) {
    let any = false;
    for (let i = z * columns * rows; i < (z + 1) * columns * rows; i++) {
      const label = labels.data[i]!;
      classVoxels[label] = (classVoxels[label] ?? 0) + 1;
      if (label > 0) any = true;
    }
    if (any) foregroundSlices.push(z);
  }
  const foregroundVoxels = classVoxels.slice(1).reduce((a, b) => a + b, 0);

  const caseDir = join(out, 'cases', caseId);
  const files = { image: `cases/${caseId}/image.nii.gz`, mask: `cases/${caseId}/mask.nii.gz`, preview: `previews/${caseId}.png` };
  await writeNifti(join(out, files.image), image, { datatype: NiftiDatatype.Float32, description: `medseg ${caseId} image` });
  await writeNifti(join(out, files.mask), labels, { datatype: NiftiDatatype.Uint8, labelMap: true, description: `medseg ${caseId} mask` });
  await writeFileAtomic(join(out, files.preview), await renderPreview(image, labels.data, foregroundSlices));

  const entry: Omit<DatasetCase, 'split'> = {
    id: caseId,
    patientId: series.patientId,
    studyInstanceUid: series.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    modality: series.modality,
    shape: image.shape,
    spacing: image.spacing,
    origin: image.origin,
    direction: image.direction,
    normalization: { spec, parameters: normalized.parameters },
    classVoxels,
    foregroundVoxels,
    foregroundSlices,
    source: { imageFiles: info.files.length, firstImage: info.files[0] ?? '', mask: source.path, maskKind: source.kind, sopInstanceUids: series.sopInstanceUids },
    problems: series.problems,
    sourceGrid,
    intensity,
    files,
    classRois: mask.roiNames,
  };
  const storedCase: StoredCase = { fingerprint, entry, classes: mask.classes };
  await writeFileAtomic(join(caseDir, 'case.json'), `${JSON.stringify(storedCase, null, 2)}\n`);
  return storedCase;
}

/** Up to three slices through the tumour (first quartile, largest, third quartile) with the mask outlined. */
async function renderPreview(image: Volume<Float32Array>, labels: Uint8Array, foregroundSlices: readonly number[]): Promise<Buffer> {
  const [columns, rows, slices] = image.shape;
  const size = columns * rows;
  let chosen: number[];
  if (foregroundSlices.length === 0) {
    chosen = [Math.floor(slices / 2)];
  } else {
    let largest = foregroundSlices[0]!;
    let largestCount = -1;
    for (const z of foregroundSlices) {
      let count = 0;
      for (let i = z * size; i < (z + 1) * size; i++) if (labels[i]) count++;
      if (count > largestCount) {
        largest = z;
        largestCount = count;
      }
    }
    const q = (f: number) => foregroundSlices[Math.floor(f * (foregroundSlices.length - 1))]!;
    chosen = [...new Set([q(0.25), largest, q(0.75)])];
  }
  return renderOverlayPng(chosen.map((z) => ({
    image: image.data.subarray(z * size, (z + 1) * size),
    width: columns,
    height: rows,
    outlines: [labels.subarray(z * size, (z + 1) * size)],
  })));
}

