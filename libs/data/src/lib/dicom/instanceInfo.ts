import type { Vec3 } from '../volume.js';
import type { DataSet } from './dicomParserModule.js';
import { getDecimal, getDecimals, getItem, getItems, getString, getUint16 } from './dicomValues.js';
import type { DicomDataset } from './parseDicom.js';
import { identityRescale, type Rescale } from './pixels/modalityLut.js';
import type { VoiWindow } from './pixels/voiWindow.js';
import { readPixelDescription } from './pixelDescription.js';
import type { DicomFrameInfo, DicomInstanceInfo, DicomObjectInfo } from './seriesTypes.js';
import { SopClass, Tag } from './tags.js';

/** The identifying attributes every object has, image or not. */
export function describeObject(dataset: DicomDataset): DicomObjectInfo {
  const raw = dataset.raw;
  return {
    path: dataset.path,
    sopClassUid: getString(raw, Tag.SopClassUid) ?? dataset.mediaStorageSopClassUid ?? '',
    sopInstanceUid: getString(raw, Tag.SopInstanceUid) ?? '',
    modality: getString(raw, Tag.Modality) ?? '',
    patientId: getString(raw, Tag.PatientId) ?? '',
    studyInstanceUid: getString(raw, Tag.StudyInstanceUid) ?? '',
    seriesInstanceUid: getString(raw, Tag.SeriesInstanceUid) ?? '',
    frameOfReferenceUid: getString(raw, Tag.FrameOfReferenceUid) ?? '',
  };
}

// Objects that carry pixel data but are not images to stack: segmentations are masks, paired by reference.
const nonImageClasses = new Set<string>([SopClass.SegmentationStorage, SopClass.LabelMapSegmentationStorage]);

/** Whether the object is an image that belongs in a volume (has pixels and is not a segmentation). */
export function isImageObject(dataset: DicomDataset, sopClassUid: string): boolean {
  const raw = dataset.raw;
  const hasPixels = raw.elements[Tag.PixelData] ?? raw.elements[Tag.FloatPixelData] ?? raw.elements[Tag.DoubleFloatPixelData];
  return hasPixels !== undefined && !nonImageClasses.has(sopClassUid) && (getUint16(raw, Tag.Rows) ?? 0) > 0;
}

function vec3(values: number[]): Vec3 | undefined {
  return values.length >= 3 ? [values[0]!, values[1]!, values[2]!] : undefined;
}

/**
 * An ImageOrientationPatient that can define a plane: two unit vectors (within 1%) at right angles (within
 * about 1°). All-zero, parallel or non-unit directions (which would make a singular affine) give undefined.
 */
function orientation(values: number[]): DicomFrameInfo['orientation'] {
  if (values.length < 6) return undefined;
  const [a, b, c, d, e, f] = values as [number, number, number, number, number, number];
  const unit = (x: number, y: number, z: number) => Math.abs(Math.hypot(x, y, z) - 1) < 0.01;
  if (!unit(a, b, c) || !unit(d, e, f) || Math.abs(a * d + b * e + c * f) > 0.02) return undefined;
  return [a, b, c, d, e, f];
}

function spacing(values: number[]): readonly [number, number] | undefined {
  return values.length >= 2 && values[0]! > 0 && values[1]! > 0 ? [values[0]!, values[1]!] : undefined;
}

/** The raw text of an attribute that is present but unusable (for the problem the arrangement reports). */
function invalid(dataSet: DataSet | undefined, tag: string, valid: boolean): string | undefined {
  if (valid || !dataSet?.elements[tag]) return undefined;
  return getString(dataSet, tag) ?? '(empty)';
}

function rescaleOf(dataSet: DataSet | undefined): Rescale | undefined {
  if (!dataSet) return undefined;
  const slope = getDecimal(dataSet, Tag.RescaleSlope);
  const intercept = getDecimal(dataSet, Tag.RescaleIntercept);
  if (slope === undefined && intercept === undefined) return undefined;
  // A zero slope is a writer's mistake; treating it as 1 keeps the stored values (as GDCM and dcm2niix do).
  return { slope: slope === undefined || slope === 0 ? 1 : slope, intercept: intercept ?? 0 };
  // (Slopes that overflow the output, e.g. 1e308, are refused where the volume is built: readDicomSeries.)
}

function windowOf(dataSet: DataSet | undefined): VoiWindow | undefined {
  if (!dataSet) return undefined;
  const center = getDecimal(dataSet, Tag.WindowCenter);
  const width = getDecimal(dataSet, Tag.WindowWidth);
  if (center === undefined || width === undefined || width <= 0) return undefined;
  const explanation = getString(dataSet, Tag.WindowCenterWidthExplanation)?.split('\\')[0];
  return explanation ? { center, width, explanation } : { center, width };
}

/**
 * Describes an image object frame by frame without decoding pixels. Enhanced multi-frame objects take each
 * frame's geometry, rescale and window from its per-frame functional group, falling back to the shared one.
 */
export function describeInstance(dataset: DicomDataset, object: DicomObjectInfo): DicomInstanceInfo {
  const raw = dataset.raw;
  const pixels = readPixelDescription(dataset);
  const instanceNumber = getDecimal(raw, Tag.InstanceNumber);
  const shared = getItem(raw, Tag.SharedFunctionalGroupsSequence);
  const perFrame = getItems(raw, Tag.PerFrameFunctionalGroupsSequence);
  // Reads a functional group macro for frame i: the per-frame item first, then the shared one.
  const group = (frame: DataSet | undefined, macro: string): DataSet | undefined =>
    (frame ? getItem(frame, macro) : undefined) ?? (shared ? getItem(shared, macro) : undefined);

  const topPosition = vec3(getDecimals(raw, Tag.ImagePositionPatient));
  const topOrientation = orientation(getDecimals(raw, Tag.ImageOrientationPatient));
  const topSpacing = spacing(getDecimals(raw, Tag.PixelSpacing));
  const topRescale = rescaleOf(raw) ?? identityRescale;
  const topWindow = windowOf(raw);
  const frames: DicomFrameInfo[] = [];
  const enhanced = perFrame.length > 0 || shared !== undefined;
  // RT dose and similar multi-frame objects place frame i at ImagePositionPatient + offset[i] * normal.
  const gridOffsets = getDecimals(raw, Tag.GridFrameOffsetVector);
  for (let i = 0; i < pixels.numberOfFrames; i++) {
    const frameGroup = perFrame[i];
    let position = topPosition;
    let frameOrientation = topOrientation;
    let frameSpacing = topSpacing;
    let rescale = topRescale;
    let window = topWindow;
    if (enhanced) {
      const plane = group(frameGroup, Tag.PlanePositionSequence);
      const planeOrientation = group(frameGroup, Tag.PlaneOrientationSequence);
      const measures = group(frameGroup, Tag.PixelMeasuresSequence);
      const transform = group(frameGroup, Tag.PixelValueTransformationSequence);
      position = (plane && vec3(getDecimals(plane, Tag.ImagePositionPatient))) ?? position;
      frameOrientation = (planeOrientation && orientation(getDecimals(planeOrientation, Tag.ImageOrientationPatient))) ?? frameOrientation;
      frameSpacing = (measures && spacing(getDecimals(measures, Tag.PixelSpacing))) ?? frameSpacing;
      rescale = rescaleOf(transform) ?? rescale;
      window = windowOf(group(frameGroup, Tag.FrameVoiLutSequence)) ?? window;
    } else if (i > 0 && topPosition && topOrientation && gridOffsets.length === pixels.numberOfFrames) {
      const n = normalOf(topOrientation);
      const d = gridOffsets[i]! - gridOffsets[0]!;
      position = [topPosition[0] + n[0] * d, topPosition[1] + n[1] * d, topPosition[2] + n[2] * d];
    } else if (i > 0) {
      position = undefined;
    }
    const invalidSpacing = frameSpacing ? undefined : (invalid(enhanced ? group(frameGroup, Tag.PixelMeasuresSequence) : undefined, Tag.PixelSpacing, false) ?? invalid(raw, Tag.PixelSpacing, false));
    const invalidOrientation = frameOrientation ? undefined : (invalid(enhanced ? group(frameGroup, Tag.PlaneOrientationSequence) : undefined, Tag.ImageOrientationPatient, false) ?? invalid(raw, Tag.ImageOrientationPatient, false));
    frames.push({
      ...(invalidSpacing === undefined ? {} : { invalidPixelSpacing: invalidSpacing }),
      ...(invalidOrientation === undefined ? {} : { invalidOrientation }),
      path: dataset.path,
      frameIndex: i,
      sopInstanceUid: object.sopInstanceUid,
      instanceNumber,
      rows: pixels.rows,
      columns: pixels.columns,
      position,
      orientation: frameOrientation,
      pixelSpacing: frameSpacing,
      rescale,
      window,
    });
  }
  const measures = group(perFrame[0], Tag.PixelMeasuresSequence);
  return {
    path: dataset.path,
    sopInstanceUid: object.sopInstanceUid,
    sopClassUid: object.sopClassUid,
    transferSyntaxUid: dataset.transferSyntaxUid,
    numberOfFrames: pixels.numberOfFrames,
    samplesPerPixel: pixels.samplesPerPixel,
    photometricInterpretation: pixels.photometricInterpretation,
    bitsAllocated: pixels.bitsAllocated,
    bitsStored: pixels.bitsStored,
    sliceThickness: getDecimal(raw, Tag.SliceThickness) ?? (measures ? getDecimal(measures, Tag.SliceThickness) : undefined),
    spacingBetweenSlices: getDecimal(raw, Tag.SpacingBetweenSlices) ?? (measures ? getDecimal(measures, Tag.SpacingBetweenSlices) : undefined),
    gantryTilt: getDecimal(raw, Tag.GantryDetectorTilt),
    frames,
  };
}

/** Unit normal of an ImageOrientationPatient: row direction × column direction. */
export function normalOf(o: readonly number[]): Vec3 {
  const [a, b, c, d, e, f] = [o[0]!, o[1]!, o[2]!, o[3]!, o[4]!, o[5]!];
  const n: Vec3 = [b * f - c * e, c * d - a * f, a * e - b * d];
  const length = Math.hypot(n[0], n[1], n[2]) || 1;
  return [n[0] / length, n[1] / length, n[2] / length];
}
