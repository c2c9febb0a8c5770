import type { SeriesProblem, SkippedFile } from '../dicom/seriesTypes.js';
import type { Vec3 } from '../volume.js';
import type { CaseIntensities } from '../plan/intensitySummary.js';
import type { Split } from './assignSplit.js';
import type { NormalizationParameters, NormalizationSpec } from './normalizeIntensity.js';

export const DATASET_SCHEMA_VERSION = 1;

export type MaskSourceKind = 'rtstruct' | 'seg' | 'nifti' | 'png';

/** One case (one image series with its mask) as the manifest describes it. */
export interface DatasetCase {
  readonly id: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly split: Split;
  /** [columns, rows, slices] of the stored arrays. */
  readonly shape: Vec3;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: readonly [Vec3, Vec3, Vec3];
  readonly normalization: { readonly spec: NormalizationSpec; readonly parameters: NormalizationParameters };
  /** Voxels of each class (index 0 = background). */
  readonly classVoxels: readonly number[];
  /** Voxels of any foreground class: the tumour volume in voxels. */
  readonly foregroundVoxels: number;
  /** Slices (0-based, volume order) that hold foreground. */
  readonly foregroundSlices: readonly number[];
  readonly source: {
    readonly imageFiles: number;
    readonly firstImage: string;
    readonly mask: string;
    readonly maskKind: MaskSourceKind;
    /** SOP Instance UID of each stored slice, for writing DICOM SEG predictions that reference them. */
    readonly sopInstanceUids: readonly string[];
  };
  readonly problems: readonly SeriesProblem[];
  /**
   * The series' own grid before `--spacing`/`--size` (what the planner fingerprints), and its raw intensities
   * (modality units, HU for CT, before normalisation) inside and outside the mask on that grid. Absent in
   * datasets ingested before medseg recorded them; the fingerprint then falls back to the stored arrays.
   */
  readonly sourceGrid?: { readonly shape: Vec3; readonly spacing: Vec3 };
  readonly intensity?: CaseIntensities;
  readonly files: { readonly image: string; readonly mask: string; readonly preview: string };
  /** For labels 1..K, the ROI (or SEG segment) names that made each class in this case; absent in older datasets. */
  readonly classRois?: readonly (readonly string[])[];
}

export interface IngestSettings {
  readonly images: string;
  readonly masks: string | undefined;
  readonly roi: readonly string[];
  readonly seed: number;
  readonly val: number;
  readonly test: number;
  readonly valPatients: string | undefined;
  readonly testPatients: string | undefined;
  /** Target in-plane spacing in mm; undefined keeps each series' own. */
  readonly spacing: number | undefined;
  /** Crop or pad every slice to [columns, rows]; undefined keeps the size. */
  readonly size: readonly [number, number] | undefined;
  readonly normalize: string;
  /** Whether slices without foreground are used for training (they are always stored). */
  readonly emptySlices: 'keep' | 'drop';
  readonly segThreshold: number;
}

export interface DatasetClass {
  readonly key: string;
  readonly label: string;
  readonly roiNames: readonly string[];
}

export interface DatasetManifest {
  readonly schemaVersion: number;
  readonly generator: string;
  readonly settings: IngestSettings;
  /** Class keys by label value (the `--roi` pattern, or the segment name); 0 is background. */
  readonly classes: readonly string[];
  /**
   * Per label value: its key, a display label (the ROI name when every case matched the same one, else the key)
   * and the ROI names matched across cases. Absent in datasets from before it existed.
   */
  readonly classInfo?: readonly DatasetClass[];
  readonly splits: Readonly<Record<Split, number>>;
  readonly cases: readonly DatasetCase[];
  readonly skipped: readonly SkippedFile[];
}
