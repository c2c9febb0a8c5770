import { readFile } from 'node:fs/promises';
import dicomParser from 'dicom-parser';
import { MaskError } from './maskErrors.js';

/** The RT Structure Set attributes medseg reads, by DICOM keyword. */
const RtTag = {
  SOPClassUID: 'x00080016',
  SOPInstanceUID: 'x00080018',
  ReferencedSOPInstanceUID: 'x00081155',
  PatientID: 'x00100020',
  StudyInstanceUID: 'x0020000d',
  SeriesInstanceUID: 'x0020000e',
  FrameOfReferenceUID: 'x00200052',
  ReferencedFrameOfReferenceSequence: 'x30060010',
  RTReferencedStudySequence: 'x30060012',
  RTReferencedSeriesSequence: 'x30060014',
  ContourImageSequence: 'x30060016',
  StructureSetROISequence: 'x30060020',
  ROINumber: 'x30060022',
  ReferencedFrameOfReferenceUID: 'x30060024',
  ROIName: 'x30060026',
  ROIContourSequence: 'x30060039',
  ContourSequence: 'x30060040',
  ContourGeometricType: 'x30060042',
  ContourData: 'x30060050',
  ReferencedROINumber: 'x30060084',
} as const;

export const RtStructStorageUid = '1.2.840.10008.5.1.4.1.1.481.3';

export interface RtContour {
  /** x, y, z triplets in patient coordinates (LPS, mm). */
  readonly points: Float64Array;
  readonly geometricType: string;
  readonly referencedSopInstanceUids: readonly string[];
}

export interface RtRoi {
  readonly number: number;
  readonly name: string;
  readonly frameOfReferenceUid: string | undefined;
  readonly contours: readonly RtContour[];
}

export interface RtStruct {
  readonly path: string;
  readonly sopInstanceUid: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly frameOfReferenceUids: readonly string[];
  /** Series whose images the contours were drawn on (from the referenced frame of reference sequence). */
  readonly referencedSeriesInstanceUids: readonly string[];
  readonly rois: readonly RtRoi[];
}

type DataSet = dicomParser.DataSet;

function items(dataSet: DataSet, tag: string): DataSet[] {
  return (dataSet.elements[tag]?.items ?? []).map((item) => item.dataSet).filter((d): d is DataSet => d !== undefined);
}

function text(dataSet: DataSet, tag: string): string {
  return (dataSet.string(tag) ?? '').trim();
}

/** Reads an RT Structure Set: its ROIs with their planar contours, and the series they refer to. */
export async function readRtStruct(path: string): Promise<RtStruct> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new MaskError(`cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path, cause: error });
  }
  return parseRtStruct(bytes, path);
}

export function parseRtStruct(bytes: Uint8Array, path: string): RtStruct {
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unreadable';
    throw new MaskError(`not a readable DICOM file (${reason})`, { path, cause: error });
  }
  // dicom-parser reads values lazily: an element that runs past the end throws (a string) only when read.
  try {
    return describeRtStruct(dataSet, path);
  } catch (error) {
    if (error instanceof MaskError) throw error;
    const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : 'unreadable';
    throw new MaskError(`malformed RT Structure Set (${reason})`, { path, cause: error });
  }
}

function describeRtStruct(dataSet: DataSet, path: string): RtStruct {
  const sopClass = text(dataSet, RtTag.SOPClassUID);
  if (sopClass !== RtStructStorageUid) {
    throw new MaskError(`not an RT Structure Set (SOP class ${sopClass || 'missing'})`, { path });
  }

  const frameOfReferenceUids: string[] = [];
  const referencedSeries: string[] = [];
  for (const frame of items(dataSet, RtTag.ReferencedFrameOfReferenceSequence)) {
    frameOfReferenceUids.push(text(frame, RtTag.FrameOfReferenceUID));
    for (const study of items(frame, RtTag.RTReferencedStudySequence)) {
      for (const series of items(study, RtTag.RTReferencedSeriesSequence)) referencedSeries.push(text(series, RtTag.SeriesInstanceUID));
    }
  }

  const contoursByRoi = new Map<number, RtContour[]>();
  for (const roiContour of items(dataSet, RtTag.ROIContourSequence)) {
    const number = Number(text(roiContour, RtTag.ReferencedROINumber));
    const contours: RtContour[] = [];
    for (const contour of items(roiContour, RtTag.ContourSequence)) {
      const values = text(contour, RtTag.ContourData).split('\\').filter((v) => v.trim() !== '').map(Number);
      if (values.length % 3 !== 0 || values.some((v) => !Number.isFinite(v))) {
        throw new MaskError(`ROI ${number} has malformed ContourData (${values.length} values)`, { path });
      }
      contours.push({
        points: Float64Array.from(values),
        geometricType: text(contour, RtTag.ContourGeometricType),
        referencedSopInstanceUids: items(contour, RtTag.ContourImageSequence).map((image) => text(image, RtTag.ReferencedSOPInstanceUID)),
      });
    }
    contoursByRoi.set(number, contours);
  }

  const rois = items(dataSet, RtTag.StructureSetROISequence).map((roi): RtRoi => {
    const number = Number(text(roi, RtTag.ROINumber));
    const frame = text(roi, RtTag.ReferencedFrameOfReferenceUID);
    return { number, name: text(roi, RtTag.ROIName), frameOfReferenceUid: frame || undefined, contours: contoursByRoi.get(number) ?? [] };
  });

  return {
    path,
    sopInstanceUid: text(dataSet, RtTag.SOPInstanceUID),
    patientId: text(dataSet, RtTag.PatientID),
    studyInstanceUid: text(dataSet, RtTag.StudyInstanceUID),
    frameOfReferenceUids,
    referencedSeriesInstanceUids: referencedSeries,
    rois,
  };
}

/**
 * ROIs whose name matches a pattern: `*` and `?` wildcards, case-insensitive (`GTV*` finds `GTV_Mass_MR_T1`).
 */
export function selectRois(rtStruct: RtStruct, pattern: string): RtRoi[] {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${escaped}$`, 'i');
  return rtStruct.rois.filter((roi) => regex.test(roi.name));
}
