import type { Vec3 } from '../volume.js';
import type { Rescale } from './pixels/modalityLut.js';
import type { VoiWindow } from './pixels/voiWindow.js';

/** One 2D frame of an image series as the scan found it: a single-frame file, or one frame of a multi-frame file. */
export interface DicomFrameInfo {
  readonly path: string;
  /** 0-based frame within its file. */
  readonly frameIndex: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number | undefined;
  readonly rows: number;
  readonly columns: number;
  /** ImagePositionPatient (or the frame's PlanePositionSequence), LPS mm. */
  readonly position: Vec3 | undefined;
  /** ImageOrientationPatient: row direction then column direction. */
  readonly orientation: readonly [number, number, number, number, number, number] | undefined;
  /** PixelSpacing: [between rows, between columns] in mm. */
  readonly pixelSpacing: readonly [number, number] | undefined;
  readonly rescale: Rescale;
  readonly window: VoiWindow | undefined;
  /** PixelSpacing as written when it is present but unusable (zero, negative, NaN, not numbers). */
  readonly invalidPixelSpacing?: string;
  /** ImageOrientationPatient as written when present but unusable (all zero, parallel, not unit vectors). */
  readonly invalidOrientation?: string;
}

/** One image file of a series. */
export interface DicomInstanceInfo {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntaxUid: string;
  readonly numberOfFrames: number;
  readonly samplesPerPixel: number;
  readonly photometricInterpretation: string;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly sliceThickness: number | undefined;
  readonly spacingBetweenSlices: number | undefined;
  readonly gantryTilt: number | undefined;
  readonly frames: readonly DicomFrameInfo[];
}

/** The image files of one SeriesInstanceUID, found without decoding pixels. */
export interface DicomSeriesInfo {
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly patientId: string;
  readonly modality: string;
  readonly seriesDescription: string;
  readonly seriesNumber: number | undefined;
  readonly sopClassUid: string;
  readonly frameOfReferenceUid: string;
  readonly transferSyntaxUids: readonly string[];
  /** Files in the order the scan found them (sorted by path); `readDicomSeries` orders them in space. */
  readonly instances: readonly DicomInstanceInfo[];
  readonly files: readonly string[];
}

/** A DICOM object without image pixels (RTSTRUCT, SEG, SR, DICOMDIR, ...), listed so masks can be paired by reference. */
export interface DicomObjectInfo {
  readonly path: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly modality: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
}

/** A file the scan or the reader could not use, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface DicomTreeScan {
  readonly series: DicomSeriesInfo[];
  readonly others: DicomObjectInfo[];
  readonly skipped: SkippedFile[];
}

export type SeriesProblemKind =
  | 'missing-slices'
  | 'uneven-spacing'
  | 'gantry-tilt'
  | 'mixed-orientation'
  | 'mixed-size'
  | 'duplicate-position'
  | 'no-position'
  | 'invalid-spacing'
  | 'invalid-orientation';

/** Something about a series' geometry that a user should know before trusting the stacked volume. */
export interface SeriesProblem {
  readonly kind: SeriesProblemKind;
  readonly message: string;
}
