import { dirname } from 'node:path';
import {
  caseIdsForSeries,
  type CrossValidationFold,
  type DatasetCase,
  type DatasetManifest,
  defaultNormalization,
  type DicomSeriesVolume,
  MedsegError,
  normalizeIntensity,
  type NormalizationSpec,
  pathExists,
  readDatasetCase,
  readDicomSeries,
  scanDicomTree,
  type Volume,
} from '@medseg/data';
import { datasetCaseSplits } from './dataset-slices.js';

/** One series to predict. */
export interface PredictionInput {
  readonly id: string;
  /** Normalised image on the grid the label map is written on. */
  readonly image: Volume<Float32Array>;
  readonly seriesInstanceUid: string;
  readonly modality: string;
  /** The source series when the grid is the source's own (a SEG can reference it). */
  readonly series?: DicomSeriesVolume;
}

/**
 * Series of a DICOM tree, normalised as the training data was, each with its case id; an unreadable series is
 * reported through `skip` and the others go on.
 */
export async function* dicomPredictionInputs(
  input: string,
  normalization: NormalizationSpec | null,
  skip: (path: string, reason: string) => void,
  keep: (seriesInstanceUid: string) => boolean = () => true,
  seriesPerPatient?: ReadonlyMap<string, number>,
): AsyncGenerator<PredictionInput> {
  const scan = await scanDicomTree(input);
  for (const file of scan.skipped) skip(file.path, file.reason);
  // Safe, bounded, unique case IDs (the same rule as ingest): they name the files written under --out. A shard of a
  // PACS holds only its own series: the server's count per patient names cases as the whole run would.
  const ids = caseIdsForSeries(scan.series, seriesPerPatient);
  for (const [i, info] of scan.series.entries()) {
    // A shard's series; the case ids above were counted over the whole input, so they agree across shards.
    if (!keep(info.seriesInstanceUid)) continue;
    let input: PredictionInput;
    try {
      const series = await readDicomSeries(info);
      const spec = normalization ?? defaultNormalization(series.modality);
      const id = ids[i]!;
      input = { id, image: normalizeIntensity(series.volume, spec).volume, seriesInstanceUid: info.seriesInstanceUid, modality: series.modality, series };
    } catch (error) {
      // One unreadable series (bad pixel data, inconsistent geometry) must not cost the others their predictions.
      const path = (error instanceof MedsegError ? error.path : undefined) ?? info.files[0] ?? info.seriesInstanceUid;
      const message = error instanceof Error ? error.message : String(error);
      skip(path, `series ${info.seriesInstanceUid} not predicted: ${message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message}`);
      continue;
    }
    yield input;
  }
}

/** The cases of a dataset in a split ('all', 'train', 'val', 'test'; train/val follow `fold` when given). */
export function datasetSplitCases(manifest: DatasetManifest, split: string, fold: CrossValidationFold | undefined): DatasetCase[] {
  const splits = datasetCaseSplits(manifest, fold);
  return manifest.cases.filter((_: DatasetCase, i) => split === 'all' || splits[i] === split);
}

/** Cases of a dataset folder (already normalised); the source series is read back when the grid is its own. */
export async function* datasetPredictionInputs(
  dataset: string,
  manifest: DatasetManifest,
  cases: readonly DatasetCase[],
  note: (message: string) => void,
): AsyncGenerator<PredictionInput> {
  const sameGrid = manifest.settings.spacing === undefined && manifest.settings.size === undefined;
  for (const entry of cases) {
    const { image } = await readDatasetCase(dataset, entry);
    let series: DicomSeriesVolume | undefined;
    if (sameGrid && (await pathExists(entry.source.firstImage))) {
      const scan = await scanDicomTree(dirname(entry.source.firstImage));
      const info = scan.series.find((s) => s.seriesInstanceUid === entry.seriesInstanceUid);
      if (info !== undefined) series = await readDicomSeries(info);
    }
    if (series === undefined) note(`${entry.id}: source series not available on the same grid; no DICOM SEG`);
    yield { id: entry.id, image, seriesInstanceUid: entry.seriesInstanceUid, modality: entry.modality, ...(series === undefined ? {} : { series }) };
  }
}
