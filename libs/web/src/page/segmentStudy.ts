import {
  defaultNormalization,
  type DicomSeriesInfo,
  type DicomSeriesVolume,
  encodeDicomSeg,
  NiftiDatatype,
  normalizeIntensity,
  readDicomSeries,
  readNifti,
  scanDicomTree,
  segSourceFromSeries,
  type SkippedFile,
  type Volume,
  writeNifti,
} from '@medseg/data';
import { clearVirtualFiles, readVirtualFile } from '../browser/virtualFs.js';
import { largestComponent, medsegModelLabels, predictVolume } from '@medseg/models';
import type { WebModel } from './loadWebModel.js';

/** What went wrong, for the page to show: the file at fault and the problem. */
export class PageInputError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PageInputError';
  }
}

export interface SegmentedSeries {
  readonly description: string;
  /** The source volume (modality LUT applied) and the label map on its grid. */
  readonly image: Volume;
  readonly labels: Volume<Uint8Array>;
  readonly foregroundVoxels: number;
  readonly volumeMl: number;
  /** DICOM SEG referencing the source series (absent for NIfTI input). */
  readonly seg?: Uint8Array;
  readonly nifti: Uint8Array;
  readonly name: string;
  readonly window?: { center: number; width: number };
  readonly skipped: readonly SkippedFile[];
}

export type Progress = (stage: string, done: number, total: number) => void;

/** The series to segment: the first of the model's modality (or the first at all when the model does not say). */
export function chooseSeries(series: readonly DicomSeriesInfo[], modality: string | undefined, skipped: readonly SkippedFile[]): DicomSeriesInfo {
  if (series.length === 0) {
    const first = skipped[0];
    throw new PageInputError(first === undefined ? 'no files given' : `no DICOM image series among the files: ${first.path}: ${first.reason}${skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : ''}`, first?.path);
  }
  const match = modality === undefined ? series[0] : series.find((s) => s.modality === modality);
  if (match === undefined) {
    const found = [...new Set(series.map((s) => s.modality || 'no modality'))].join(', ');
    throw new PageInputError(`wrong modality: the model was trained on ${modality} series, these files hold ${found}`, series[0]!.files[0]);
  }
  return match;
}

function countForeground(labels: Uint8Array): number {
  let n = 0;
  for (const v of labels) if (v !== 0) n++;
  return n;
}

/**
 * Labels for the image, as `predictVolume` gives them with the export's post-processing. A 2D network sees every
 * slice on its own, so the volume is predicted a batch of slices at a time to report progress, and the largest
 * component (a whole-volume rule) is kept after the last batch; a 2.5D one gets the whole volume at once.
 */
async function predictWithProgress(model: WebModel, image: Volume<Float32Array>, progress: Progress): Promise<Volume<Uint8Array>> {
  const keepLargest = model.manifest.postprocessing.largestComponent === true;
  const options = { batchSize: 8, threshold: model.manifest.postprocessing.threshold, tta: model.manifest.postprocessing.tta === true, largestComponent: false };
  const [w, h, d] = image.shape;
  if (model.manifest.input.contextSlices !== 0) {
    progress('segmenting', 0, d);
    const labels = await predictVolume([...model.unets], image, { ...options, largestComponent: keepLargest });
    progress('segmenting', d, d);
    return labels;
  }
  const data = new Uint8Array(w * h * d);
  for (let z = 0; z < d; z += options.batchSize) {
    progress('segmenting', z, d);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const n = Math.min(options.batchSize, d - z);
    // Every chunk a whole batch (the last padded with copies of its last slice, whose labels are dropped): one
    // tensor shape throughout, so WebGL and WebGPU compile their programs once rather than again at the end.
    const slices = new Float32Array(options.batchSize * w * h);
    slices.set(image.data.subarray(z * w * h, (z + n) * w * h));
    for (let k = n; k < options.batchSize; k++) slices.copyWithin(k * w * h, (n - 1) * w * h, n * w * h);
    const chunk = { ...image, data: slices, shape: [w, h, options.batchSize] as [number, number, number] };
    data.set((await predictVolume([...model.unets], chunk, options)).data.subarray(0, n * w * h), z * w * h);
  }
  progress('segmenting', d, d);
  return { data: keepLargest ? largestComponent(data, image.shape) : data, shape: image.shape, spacing: image.spacing, origin: image.origin, direction: image.direction };
}

/** The label map as `.nii.gz` bytes, by the writer `medseg predict` uses (into the in-memory tree, read back). */
async function labelMapNifti(labels: Volume<Uint8Array>, name: string): Promise<Uint8Array> {
  const path = `/output/${name}.nii.gz`;
  await writeNifti(path, labels, { datatype: NiftiDatatype.Uint8, labelMap: true, description: `medseg prediction ${name}` });
  const bytes = readVirtualFile(path)!;
  clearVirtualFiles('/output');
  return bytes;
}

function volumeMl(labels: Volume<Uint8Array>, voxels: number): number {
  return (voxels * labels.spacing[0] * labels.spacing[1] * labels.spacing[2]) / 1000;
}

/**
 * Segments what the user gave the page, read from the in-memory tree at `root` by the same libs/data code as
 * `medseg predict`: a DICOM tree (the series of the model's modality), or a NIfTI volume. The SEG comes from the
 * same writer, with the same segments and algorithm as `medseg predict` writes.
 */
export async function segmentStudy(model: WebModel, root: string, niftiPath: string | undefined, progress: Progress): Promise<SegmentedSeries> {
  const { manifest } = model;
  const classes = medsegModelLabels(manifest);
  const config = model.unets[0]!.config;
  if (niftiPath !== undefined) {
    progress('reading NIfTI', 0, 1);
    const volume = await readNifti(niftiPath);
    const spec = manifest.preprocessing.normalization ?? defaultNormalization(manifest.preprocessing.modality ?? 'MR');
    const image = normalizeIntensity(volume as Volume, spec).volume;
    const labels = await predictWithProgress(model, image, progress);
    const foregroundVoxels = countForeground(labels.data);
    const name = (niftiPath.split('/').pop() ?? 'volume').replace(/\.nii(\.gz)?$/, '');
    const nifti = await labelMapNifti(labels, name);
    return { description: `NIfTI ${name}, ${volume.shape.join('×')}`, image: volume as Volume, labels, foregroundVoxels, volumeMl: volumeMl(labels, foregroundVoxels), nifti, name, skipped: [] };
  }
  progress('reading DICOM', 0, 1);
  const scan = await scanDicomTree(root);
  const info = chooseSeries(scan.series, manifest.preprocessing.modality ?? undefined, scan.skipped);
  progress('decoding', 0, info.files.length);
  let series: DicomSeriesVolume;
  try {
    series = await readDicomSeries(info);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PageInputError(message, (error as { path?: string }).path ?? info.files[0]);
  }
  progress('decoding', info.files.length, info.files.length);
  const spec = manifest.preprocessing.normalization ?? defaultNormalization(series.modality);
  const image = normalizeIntensity(series.volume, spec).volume;
  const labels = await predictWithProgress(model, image, progress);
  progress('writing', 0, 1);
  const seg = encodeDicomSeg({
    source: await segSourceFromSeries(series),
    labels: labels.data,
    segments: Array.from({ length: config.classes }, (_, i) => ({ label: i + 1, name: classes[i + 1] ?? `class ${i + 1}` })),
    algorithm: { name: `medseg U-Net ${config.backbone}`, version: '0.1.0' },
    seriesDescription: `medseg ${config.backbone} U-Net`,
  });
  const name = (series.patientId || 'series').replace(/[^A-Za-z0-9._-]+/g, '_');
  const nifti = await labelMapNifti(labels, name);
  const foregroundVoxels = countForeground(labels.data);
  progress('writing', 1, 1);
  const [w, h, d] = series.volume.shape;
  return {
    description: `${series.modality} series ${info.seriesNumber ?? ''} of ${series.patientId || 'unknown patient'}: ${w}×${h}×${d}, ${series.volume.spacing.map((s) => s.toFixed(2)).join('×')} mm`,
    image: series.volume,
    labels,
    foregroundVoxels,
    volumeMl: volumeMl(labels, foregroundVoxels),
    seg,
    nifti,
    name,
    ...(series.window === undefined ? {} : { window: { center: series.window.center, width: series.window.width } }),
    skipped: scan.skipped,
  };
}
