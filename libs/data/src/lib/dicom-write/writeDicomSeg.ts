import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { MedsegError } from '../errors.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import type { Vec3, Volume } from '../volume.js';

/** The parts of dcmjs 0.50 (which ships no types) that medseg calls. */
interface Dcmjs {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
  };
}

let dcmjsModule: Dcmjs | undefined;
/** Loaded on first use through require (its CommonJS build), typed by the interface above. */
function dcmjs(): Dcmjs {
  dcmjsModule ??= createRequire(import.meta.url)('dcmjs') as Dcmjs;
  return dcmjsModule;
}

/** A DICOM SEG that cannot be written from what it was given. */
export class DicomWriteError extends MedsegError {}

const SegmentationStorage = '1.2.840.10008.5.1.4.1.1.66.4';
const ExplicitVrLittleEndian = '1.2.840.10008.1.2.1';
/** medseg's implementation class: a UUID-derived UID (2.25 root), fixed so every file names the same writer. */
const ImplementationClassUid = '2.25.208796421734582036478622916130283150331';
const Tags = {
  ReferencedSegmentNumber: 0x0062000b,
  SegmentIdentificationSequence: 0x0062000a,
  ImagePositionPatient: 0x00200032,
  PlanePositionSequence: 0x00209113,
} as const;

/** The image series a SEG is derived from: identity, referenced instances and geometry. */
export interface SegSourceSeries {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly sopClassUid: string;
  /** One per slice, in volume order. */
  readonly sopInstanceUids: readonly string[];
  /** Geometry of the source volume (the label map lies on it). */
  readonly grid: Pick<Volume, 'shape' | 'spacing' | 'origin' | 'direction'>;
  readonly patient?: { readonly id?: string; readonly name?: string; readonly birthDate?: string; readonly sex?: string };
  readonly study?: { readonly date?: string; readonly time?: string; readonly id?: string; readonly accessionNumber?: string; readonly referringPhysicianName?: string };
}

export interface SegSegment {
  /** Label value in the label map, written as SegmentNumber. */
  readonly label: number;
  readonly name: string;
  /** SNOMED CT property type; default Neoplasm (108369006). */
  readonly type?: { readonly code: string; readonly scheme: string; readonly meaning: string };
}

export interface DicomSegOptions {
  readonly source: SegSourceSeries;
  /** Label map on the source grid, column fastest, then row, then slice. */
  readonly labels: Uint8Array;
  readonly segments: readonly SegSegment[];
  readonly algorithm: { readonly name: string; readonly version: string };
  readonly seriesDescription?: string;
  readonly seriesNumber?: number;
  /** For reproducible files; fresh UIDs (2.25 + UUID) otherwise. */
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
  /** Content date and time; now otherwise. */
  readonly date?: Date;
}

/** A UID under the 2.25 root from a random UUID (ITU-T X.667), as DICOM PS3.5 B.2 allows without a registered root. */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

function dicomDateTime(date: Date): { date: string; time: string } {
  const iso = date.toISOString();
  return { date: iso.slice(0, 10).replace(/-/g, ''), time: iso.slice(11, 19).replace(/:/g, '') };
}

/**
 * Copied text cut to its VR's maximum length (SH 16, LO 64): some sources exceed them (the STS files carry
 * 20-character Study IDs), and a SEG must not inherit their errors. The UIDs, not these, link the objects.
 */
const fit = (value: string | undefined, max: number): string => (value ?? '').slice(0, max);

const ds = (value: number): string => {
  // DS holds at most 16 characters.
  const text = String(Number(value.toPrecision(10)));
  return text.length <= 16 ? text : value.toExponential(8);
};

function slicePosition(grid: SegSourceSeries['grid'], z: number): Vec3 {
  const { origin, direction, spacing } = grid;
  return [0, 1, 2].map((axis) => origin[axis]! + direction[2][axis]! * spacing[2] * z) as unknown as Vec3;
}

/**
 * Encodes a binary DICOM Segmentation (PS3.3 A.51) of a label map on a source series' grid: one frame per
 * segment and slice that holds it, each referencing its source instance, with shared orientation and spacing
 * and a per-frame position, bit-packed frames (PS3.5 8.1.1: frames follow one another without padding).
 */
export function encodeDicomSeg(options: DicomSegOptions): Uint8Array {
  const { source, labels, segments } = options;
  const [columns, rows, slices] = source.grid.shape;
  const plane = columns * rows;
  if (labels.length !== plane * slices) {
    throw new DicomWriteError(`encodeDicomSeg: label map holds ${labels.length} voxels, the source grid ${plane * slices}`);
  }
  if (source.sopInstanceUids.length !== slices) {
    throw new DicomWriteError(`encodeDicomSeg: ${source.sopInstanceUids.length} source instances for ${slices} slices`);
  }
  if (segments.length === 0) throw new DicomWriteError('encodeDicomSeg: no segments');

  // Frames: for each segment, the slices that hold it; a SEG needs at least one frame, so an empty
  // prediction keeps the first slice of the first segment.
  const frames: { segment: number; label: number; z: number }[] = [];
  segments.forEach((segment, s) => {
    for (let z = 0; z < slices; z++) {
      let any = false;
      for (let i = z * plane; i < (z + 1) * plane && !any; i++) any = labels[i] === segment.label;
      if (any) frames.push({ segment: s + 1, label: segment.label, z });
    }
  });
  if (frames.length === 0) frames.push({ segment: 1, label: segments[0]!.label, z: 0 });

  const totalBits = frames.length * plane;
  const bytes = new Uint8Array(Math.ceil(totalBits / 8) + (Math.ceil(totalBits / 8) % 2));
  frames.forEach((frame, f) => {
    const base = f * plane;
    for (let i = 0; i < plane; i++) {
      if (labels[frame.z * plane + i] === frame.label) {
        const bit = base + i;
        bytes[bit >> 3]! |= 1 << (bit & 7);
      }
    }
  });

  const now = dicomDateTime(options.date ?? new Date());
  const sopInstanceUid = options.sopInstanceUid ?? newUid();
  const seriesInstanceUid = options.seriesInstanceUid ?? newUid();
  const dimensionOrganizationUid = `2.25.${BigInt(`0x${createHash('sha256').update(seriesInstanceUid).digest('hex').slice(0, 30)}`).toString()}`;
  const d = source.grid.direction;
  const orientation = [...d[0], ...d[1]].map(ds);
  const referenced = new Set(frames.map((f) => f.z));
  const sourceImage = (z: number) => ({
    ReferencedSOPClassUID: source.sopClassUid,
    ReferencedSOPInstanceUID: source.sopInstanceUids[z]!,
    PurposeOfReferenceCodeSequence: [{ CodeValue: '121322', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Source image for image processing operation' }],
  });

  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    ImageType: ['DERIVED', 'PRIMARY'],
    InstanceCreationDate: now.date,
    InstanceCreationTime: now.time,
    SOPClassUID: SegmentationStorage,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: source.study?.date ?? '',
    SeriesDate: now.date,
    ContentDate: now.date,
    StudyTime: source.study?.time ?? '',
    SeriesTime: now.time,
    ContentTime: now.time,
    AccessionNumber: fit(source.study?.accessionNumber, 16),
    Modality: 'SEG',
    Manufacturer: 'medseg',
    ReferringPhysicianName: source.study?.referringPhysicianName ?? '',
    SeriesDescription: options.seriesDescription ?? `${options.algorithm.name} segmentation`,
    ManufacturerModelName: options.algorithm.name.slice(0, 64),
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: source.seriesInstanceUid,
        ReferencedInstanceSequence: [...referenced].sort((a, b) => a - b).map((z) => ({
          ReferencedSOPClassUID: source.sopClassUid,
          ReferencedSOPInstanceUID: source.sopInstanceUids[z]!,
        })),
      },
    ],
    PatientName: source.patient?.name ?? '',
    PatientID: fit(source.patient?.id, 64),
    PatientBirthDate: source.patient?.birthDate ?? '',
    PatientSex: source.patient?.sex ?? '',
    DeviceSerialNumber: '1',
    SoftwareVersions: options.algorithm.version,
    StudyInstanceUID: source.studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    StudyID: fit(source.study?.id, 16),
    SeriesNumber: String(options.seriesNumber ?? 901),
    InstanceNumber: '1',
    FrameOfReferenceUID: source.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: Tags.ReferencedSegmentNumber,
        FunctionalGroupPointer: Tags.SegmentIdentificationSequence,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: Tags.ImagePositionPatient,
        FunctionalGroupPointer: Tags.PlanePositionSequence,
        DimensionDescriptionLabel: 'ImagePositionPatient',
      },
    ],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: String(frames.length),
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    ContentLabel: 'MEDSEG',
    ContentDescription: `${options.algorithm.name} ${options.algorithm.version}`.slice(0, 64),
    ContentCreatorName: '',
    SegmentSequence: segments.map((segment, s) => ({
      SegmentedPropertyCategoryCodeSequence: [{ CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically Altered Structure' }],
      SegmentNumber: s + 1,
      SegmentLabel: segment.name.slice(0, 64),
      SegmentAlgorithmType: 'AUTOMATIC',
      SegmentAlgorithmName: options.algorithm.name.slice(0, 64),
      SegmentedPropertyTypeCodeSequence: [
        segment.type === undefined
          ? { CodeValue: '108369006', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Neoplasm' }
          : { CodeValue: segment.type.code, CodingSchemeDesignator: segment.type.scheme, CodeMeaning: segment.type.meaning },
      ],
    })),
    SharedFunctionalGroupsSequence: [
      {
        PlaneOrientationSequence: [{ ImageOrientationPatient: orientation }],
        PixelMeasuresSequence: [
          {
            PixelSpacing: [ds(source.grid.spacing[1]), ds(source.grid.spacing[0])],
            SliceThickness: ds(source.grid.spacing[2]),
            SpacingBetweenSlices: ds(source.grid.spacing[2]),
          },
        ],
      },
    ],
    PerFrameFunctionalGroupsSequence: frames.map((frame) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [sourceImage(frame.z)],
          DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
        },
      ],
      FrameContentSequence: [{ DimensionIndexValues: [frame.segment, frame.z + 1] }],
      PlanePositionSequence: [{ ImagePositionPatient: slicePosition(source.grid, frame.z).map(ds) }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: frame.segment }],
    })),
    PixelData: [bytes.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  const meta = dcmjs().data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SegmentationStorage,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: ExplicitVrLittleEndian,
    ImplementationClassUID: ImplementationClassUid,
    ImplementationVersionName: 'MEDSEG_0_1',
    _vrMap: { FileMetaInformationVersion: 'OB' },
  });
  const { DicomDict } = dcmjs().data;
  const dict = new DicomDict(meta);
  dict.dict = dcmjs().data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** Writes `encodeDicomSeg(options)` to `path` atomically. */
export async function writeDicomSeg(path: string, options: DicomSegOptions): Promise<void> {
  try {
    await writeFileAtomic(path, encodeDicomSeg(options));
  } catch (error) {
    if (error instanceof DicomWriteError) throw new DicomWriteError(error.message, { path, cause: error });
    throw error;
  }
}
