import { join } from 'node:path';
import { SopClass } from '../dicom/tags.js';
import { prepareOutputFolder } from '../fs/prepareOutputFolder.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import { hashString } from '../random.js';
import { type PhantomCase, createPhantomCase } from './createPhantomCase.js';
import { deterministicUid } from './deterministicUid.js';
import { encodeDicomPart10 } from './encodeDicomPart10.js';

export interface PhantomStudyOptions {
  /** Replace a study already in the output folder (refused otherwise, as is any non-empty folder). */
  readonly overwrite?: boolean;
  readonly seed?: number;
  readonly patients?: number;
  readonly columns?: number;
  readonly rows?: number;
  readonly slices?: number;
  /** In-plane pixel spacing and slice spacing, mm. */
  readonly pixelSpacing?: number;
  readonly sliceSpacing?: number;
}

export interface PhantomStudyPatient {
  readonly patientId: string;
  readonly seriesInstanceUid: string;
  readonly imageFolder: string;
  readonly rtStructPath: string;
  readonly lesionVoxels: number;
}

const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const STUDY_DATE = '20260101';
const ROI_NAME = 'GTV_lesion';

const ds = (value: number): string => {
  // DS holds at most 16 characters.
  const text = Number(value.toFixed(4)).toString();
  return text.length <= 16 ? text : value.toPrecision(10);
};

/**
 * Writes a synthetic study as real DICOM: per patient, an axial MR series (one file per slice, explicit VR little
 * endian) and an RTSTRUCT whose ROI `GTV_lesion` holds the lesion outlines as planar contours referencing their
 * slices. The same seed writes the same bytes. Layout: `OUT/PHANTOM_nnn/image/IMnnnn.dcm`, `OUT/PHANTOM_nnn/RS.dcm`.
 */
export async function writePhantomStudy(out: string, options: PhantomStudyOptions = {}): Promise<PhantomStudyPatient[]> {
  const output = await prepareOutputFolder(out, { kind: 'phantom', ...(options.overwrite === true ? { overwrite: true } : {}) });
  const seed = options.seed ?? 1;
  const count = options.patients ?? 8;
  const pixelSpacing = options.pixelSpacing ?? 1.2;
  const sliceSpacing = options.sliceSpacing ?? 4;
  const written: PhantomStudyPatient[] = [];
  for (let p = 0; p < count; p++) {
    const patientId = `PHANTOM_${String(p + 1).padStart(3, '0')}`;
    const phantom = createPhantomCase({
      seed: hashString(patientId, seed >>> 0),
      ...(options.columns === undefined ? {} : { columns: options.columns }),
      ...(options.rows === undefined ? {} : { rows: options.rows }),
      ...(options.slices === undefined ? {} : { slices: options.slices }),
    });
    const uid = (key: string) => deterministicUid(seed, `${patientId}/${key}`);
    const study = { studyInstanceUid: uid('study'), frameOfReferenceUid: uid('frame'), seriesInstanceUid: uid('series') };
    const patientModule = {
      PatientName: `Phantom^${p + 1}`,
      PatientID: patientId,
      PatientBirthDate: '',
      PatientSex: 'O',
      StudyInstanceUID: study.studyInstanceUid,
      StudyDate: STUDY_DATE,
      StudyTime: '120000',
      StudyID: '1',
      AccessionNumber: '',
      ReferringPhysicianName: '',
      StudyDescription: 'medseg synthetic thigh MR',
      Manufacturer: 'medseg',
      SpecificCharacterSet: 'ISO_IR 100',
    };
    // Columns run to patient left (+x), rows to posterior (+y), slices from foot to head (+z, the slice normal).
    const origin = [-(phantom.columns / 2) * pixelSpacing, -(phantom.rows / 2) * pixelSpacing, 0];
    const position = (z: number) => [origin[0]!, origin[1]!, origin[2]! + z * sliceSpacing];
    const imageUids = Array.from({ length: phantom.slices }, (_, z) => uid(`image/${z}`));
    const folder = join(output.work, patientId);
    const imageFolder = join(folder, 'image');
    for (let z = 0; z < phantom.slices; z++) {
      const frame = phantom.pixels.slice(z * phantom.columns * phantom.rows, (z + 1) * phantom.columns * phantom.rows);
      const dataset: Record<string, unknown> = {
        ...patientModule,
        SOPClassUID: MR_IMAGE_STORAGE,
        SOPInstanceUID: imageUids[z],
        ImageType: ['ORIGINAL', 'PRIMARY', 'OTHER'],
        Modality: 'MR',
        SeriesInstanceUID: study.seriesInstanceUid,
        SeriesNumber: 1,
        SeriesDescription: 'T1 synthetic',
        Laterality: 'R',
        PatientPosition: 'FFS',
        BodyPartExamined: 'THIGH',
        SeriesDate: STUDY_DATE,
        ContentDate: STUDY_DATE,
        ContentTime: '120000',
        InstanceNumber: z + 1,
        FrameOfReferenceUID: study.frameOfReferenceUid,
        PositionReferenceIndicator: '',
        ImagePositionPatient: position(z).map(ds),
        ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
        SliceLocation: ds(position(z)[2]!),
        PixelSpacing: [ds(pixelSpacing), ds(pixelSpacing)],
        SliceThickness: ds(sliceSpacing),
        SpacingBetweenSlices: ds(sliceSpacing),
        ScanningSequence: 'SE',
        SequenceVariant: 'NONE',
        ScanOptions: '',
        MRAcquisitionType: '2D',
        RepetitionTime: '500',
        EchoTime: '15',
        EchoTrainLength: '1',
        MagneticFieldStrength: '1.5',
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: phantom.rows,
        Columns: phantom.columns,
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 0,
        WindowCenter: '600',
        WindowWidth: '1200',
        PixelData: [frame.buffer],
        _vrMap: { PixelData: 'OW' },
      };
      await writeFileAtomic(join(imageFolder, `IM${String(z + 1).padStart(4, '0')}.dcm`), encodeDicomPart10(dataset));
    }
    const rtStructPath = join(folder, 'RS.dcm');
    await writeFileAtomic(rtStructPath, encodeDicomPart10(rtStructDataset(phantom, patientModule, study, imageUids, position, pixelSpacing, uid)));
    const lesionVoxels = [...phantom.contours.keys()].length;
    written.push({ patientId, seriesInstanceUid: study.seriesInstanceUid, imageFolder: join(out, patientId, 'image'), rtStructPath: join(out, patientId, 'RS.dcm'), lesionVoxels });
  }
  await output.commit();
  return written;
}

function rtStructDataset(
  phantom: PhantomCase,
  patientModule: Record<string, unknown>,
  study: { studyInstanceUid: string; frameOfReferenceUid: string; seriesInstanceUid: string },
  imageUids: readonly string[],
  position: (z: number) => number[],
  pixelSpacing: number,
  uid: (key: string) => string,
): Record<string, unknown> {
  const imageReference = (z: number) => ({ ReferencedSOPClassUID: MR_IMAGE_STORAGE, ReferencedSOPInstanceUID: imageUids[z] });
  const contours = [...phantom.contours.entries()].sort((a, b) => a[0] - b[0]).flatMap(([z, polygons]) =>
    polygons.map((polygon) => {
      const data: string[] = [];
      const [x0, y0, z0] = position(z) as [number, number, number];
      for (let v = 0; v < polygon.length / 2; v++) data.push(ds(x0 + polygon[v * 2]! * pixelSpacing), ds(y0 + polygon[v * 2 + 1]! * pixelSpacing), ds(z0));
      return { ContourImageSequence: [imageReference(z)], ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: polygon.length / 2, ContourData: data };
    }));
  return {
    ...patientModule,
    SOPClassUID: SopClass.RtStructureSetStorage,
    SOPInstanceUID: uid('rtstruct'),
    Modality: 'RTSTRUCT',
    SeriesInstanceUID: uid('rtstruct-series'),
    SeriesNumber: 2,
    SeriesDescription: 'Ground truth',
    StructureSetLabel: 'GT',
    StructureSetDate: STUDY_DATE,
    StructureSetTime: '120000',
    InstanceNumber: 1,
    OperatorsName: '',
    FrameOfReferenceUID: study.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ReferencedFrameOfReferenceSequence: [{
      FrameOfReferenceUID: study.frameOfReferenceUid,
      RTReferencedStudySequence: [{
        ReferencedSOPClassUID: '1.2.840.10008.3.1.2.3.1',
        ReferencedSOPInstanceUID: study.studyInstanceUid,
        RTReferencedSeriesSequence: [{ SeriesInstanceUID: study.seriesInstanceUid, ContourImageSequence: imageUids.map((_, z) => imageReference(z)) }],
      }],
    }],
    StructureSetROISequence: [{ ROINumber: 1, ReferencedFrameOfReferenceUID: study.frameOfReferenceUid, ROIName: ROI_NAME, ROIGenerationAlgorithm: 'MANUAL' }],
    ROIContourSequence: [{ ReferencedROINumber: 1, ROIDisplayColor: ['255', '0', '0'], ContourSequence: contours }],
    RTROIObservationsSequence: [{ ObservationNumber: 1, ReferencedROINumber: 1, RTROIInterpretedType: 'GTV', ROIInterpreter: '' }],
  };
}
