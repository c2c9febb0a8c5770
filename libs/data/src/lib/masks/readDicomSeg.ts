import { readFile } from 'node:fs/promises';
import { getDecimals, getItem, getItems, getString, getUint16 } from '../dicom/dicomValues.js';
import { type DicomDataset, parseDicomBytes } from '../dicom/parseDicom.js';
import { SopClass, Tag, TransferSyntax } from '../dicom/tags.js';
import type { Vec3 } from '../volume.js';
import { MedsegError } from '../errors.js';
import { MaskError } from './maskErrors.js';

/** Segmentation attributes by keyword (PS3.3 C.8.20), beside the general ones in `Tag`. */
const SegTag = {
  SegmentationType: 'x00620001',
  SegmentSequence: 'x00620002',
  SegmentNumber: 'x00620004',
  SegmentLabel: 'x00620005',
  SegmentIdentificationSequence: 'x0062000a',
  ReferencedSegmentNumber: 'x0062000b',
  MaximumFractionalValue: 'x0062000e',
  SegmentationFractionalType: 'x00620010',
  DerivationImageSequence: 'x00089124',
  SourceImageSequence: 'x00082112',
  ReferencedSopInstanceUid: 'x00081155',
  ReferencedSeriesSequence: 'x00081115',
} as const;

export type SegmentationType = 'BINARY' | 'FRACTIONAL' | 'LABELMAP';

export interface SegFrame {
  /** The segment this frame belongs to; 0 for label map frames, whose pixel values are segment numbers. */
  readonly segmentNumber: number;
  readonly referencedSopInstanceUids: readonly string[];
  readonly imagePositionPatient: Vec3 | undefined;
  /** Rows x columns values: 0/1 (binary), 0..maximumFractionalValue (fractional) or segment numbers (label map). */
  readonly pixels: Uint8Array | Uint16Array;
}

export interface DicomSeg {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly frameOfReferenceUid: string | undefined;
  readonly referencedSeriesInstanceUids: readonly string[];
  readonly segmentationType: SegmentationType;
  readonly maximumFractionalValue: number;
  readonly segments: readonly { readonly number: number; readonly label: string }[];
  readonly rows: number;
  readonly columns: number;
  readonly imageOrientationPatient: readonly [Vec3, Vec3] | undefined;
  readonly pixelSpacing: readonly [number, number] | undefined;
  readonly frames: readonly SegFrame[];
}

const vec3 = (values: number[]): Vec3 | undefined => (values.length >= 3 ? [values[0]!, values[1]!, values[2]!] : undefined);

/** Reads a DICOM Segmentation (binary, fractional, or label map) with its per-frame references. */
export async function readDicomSeg(path: string): Promise<DicomSeg> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new MaskError(`cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path, cause: error });
  }
  const dataset = parseDicomBytes(bytes, path);
  // dicom-parser reads values lazily: an element that runs past the end throws (a string) only when read.
  try {
    return parseDicomSeg(dataset);
  } catch (error) {
    if (error instanceof MedsegError) throw error;
    const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unreadable';
    throw new MaskError(`malformed DICOM Segmentation (${reason})`, { path, cause: error });
  }
}

export function parseDicomSeg(dataset: DicomDataset): DicomSeg {
  const { raw, path } = dataset;
  const sopClass = getString(raw, Tag.SopClassUid) ?? '';
  const isLabelMapClass = sopClass === SopClass.LabelMapSegmentationStorage;
  if (sopClass !== SopClass.SegmentationStorage && !isLabelMapClass) {
    throw new MaskError(`not a DICOM Segmentation (SOP class ${sopClass || 'missing'})`, { path });
  }
  const type = (getString(raw, SegTag.SegmentationType) ?? (isLabelMapClass ? 'LABELMAP' : '')).toUpperCase();
  if (type !== 'BINARY' && type !== 'FRACTIONAL' && type !== 'LABELMAP') {
    throw new MaskError(`unknown SegmentationType '${type}'`, { path });
  }
  if (dataset.transferSyntaxUid !== TransferSyntax.ExplicitVrLittleEndian && dataset.transferSyntaxUid !== TransferSyntax.ImplicitVrLittleEndian
    && dataset.transferSyntaxUid !== TransferSyntax.DeflatedExplicitVrLittleEndian) {
    throw new MaskError(`compressed SEG pixel data (${dataset.transferSyntaxUid}) is not supported; decompress it with dcmtk's dcmdrle/dcmdjpeg first`, { path });
  }
  const rows = getUint16(raw, Tag.Rows) ?? 0;
  const columns = getUint16(raw, Tag.Columns) ?? 0;
  const bitsAllocated = getUint16(raw, Tag.BitsAllocated) ?? 0;
  const frameCount = Number(getString(raw, Tag.NumberOfFrames) ?? '1');
  if (rows === 0 || columns === 0 || !Number.isInteger(frameCount) || frameCount < 1) {
    throw new MaskError(`invalid SEG geometry (rows ${rows}, columns ${columns}, frames ${frameCount})`, { path });
  }
  const pixelElement = raw.elements[Tag.PixelData];
  if (!pixelElement) throw new MaskError('SEG has no pixel data', { path });
  const pixelBytes = new Uint8Array(raw.byteArray.buffer, raw.byteArray.byteOffset + pixelElement.dataOffset, pixelElement.length);
  const frameSize = rows * columns;
  const needed = bitsAllocated === 1 ? Math.ceil((frameSize * frameCount) / 8) : frameSize * frameCount * (bitsAllocated / 8);
  if (pixelBytes.length < needed) {
    throw new MaskError(`pixel data is truncated: ${frameCount} frames of ${rows}x${columns} at ${bitsAllocated} bits need ${needed} bytes, found ${pixelBytes.length}`, { path });
  }

  const shared = getItem(raw, Tag.SharedFunctionalGroupsSequence);
  const perFrame = getItems(raw, Tag.PerFrameFunctionalGroupsSequence);
  const group = (frame: number, tag: string) => getItem(perFrame[frame] ?? raw, tag) ?? (shared ? getItem(shared, tag) : undefined);

  const orientation = getDecimals(group(0, Tag.PlaneOrientationSequence) ?? raw, Tag.ImageOrientationPatient);
  const spacing = getDecimals(group(0, Tag.PixelMeasuresSequence) ?? raw, Tag.PixelSpacing);

  const frames: SegFrame[] = [];
  for (let f = 0; f < frameCount; f++) {
    const segmentItem = group(f, SegTag.SegmentIdentificationSequence);
    const segmentNumber = type === 'LABELMAP' ? 0 : (segmentItem ? getUint16(segmentItem, SegTag.ReferencedSegmentNumber) : undefined) ?? 1;
    const references: string[] = [];
    for (const derivation of getItems(perFrame[f] ?? raw, SegTag.DerivationImageSequence)) {
      for (const source of getItems(derivation, SegTag.SourceImageSequence)) {
        const uid = getString(source, SegTag.ReferencedSopInstanceUid);
        if (uid) references.push(uid);
      }
    }
    const position = group(f, Tag.PlanePositionSequence);
    frames.push({
      segmentNumber,
      referencedSopInstanceUids: references,
      imagePositionPatient: position ? vec3(getDecimals(position, Tag.ImagePositionPatient)) : undefined,
      pixels: framePixels(pixelBytes, f, frameSize, bitsAllocated, path),
    });
  }

  const referencedSeries = getItems(raw, SegTag.ReferencedSeriesSequence).flatMap((item) => getString(item, Tag.SeriesInstanceUid) ?? []);
  return {
    path,
    sopInstanceUid: getString(raw, Tag.SopInstanceUid) ?? '',
    patientId: getString(raw, Tag.PatientId) ?? '',
    studyInstanceUid: getString(raw, Tag.StudyInstanceUid) ?? '',
    frameOfReferenceUid: getString(raw, Tag.FrameOfReferenceUid),
    referencedSeriesInstanceUids: referencedSeries,
    segmentationType: type,
    maximumFractionalValue: type === 'FRACTIONAL' ? (getUint16(raw, SegTag.MaximumFractionalValue) ?? 255) : 1,
    segments: getItems(raw, SegTag.SegmentSequence).map((item) => ({
      number: getUint16(item, SegTag.SegmentNumber) ?? 0,
      label: getString(item, SegTag.SegmentLabel) ?? '',
    })),
    rows,
    columns,
    imageOrientationPatient: orientation.length === 6 ? [vec3(orientation)!, vec3(orientation.slice(3))!] : undefined,
    pixelSpacing: spacing.length === 2 ? [spacing[0]!, spacing[1]!] : undefined,
    frames,
  };
}

/**
 * One frame's values. 1-bit frames are packed back to back with no padding between frames (PS3.5 8.1.1), so a
 * frame whose pixel count is not a multiple of 8 starts mid-byte; bits fill each byte from the least significant.
 */
function framePixels(bytes: Uint8Array, frame: number, frameSize: number, bitsAllocated: number, path: string): Uint8Array | Uint16Array {
  if (bitsAllocated === 1) {
    const out = new Uint8Array(frameSize);
    const firstBit = frame * frameSize;
    for (let i = 0; i < frameSize; i++) {
      const bit = firstBit + i;
      out[i] = (bytes[bit >>> 3]! >>> (bit & 7)) & 1;
    }
    return out;
  }
  if (bitsAllocated === 8) return bytes.slice(frame * frameSize, (frame + 1) * frameSize);
  if (bitsAllocated === 16) {
    const copy = bytes.slice(frame * frameSize * 2, (frame + 1) * frameSize * 2);
    return new Uint16Array(copy.buffer, 0, frameSize);
  }
  throw new MaskError(`unsupported BitsAllocated ${bitsAllocated} for a SEG`, { path });
}
