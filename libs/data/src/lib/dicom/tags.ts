/**
 * DICOM attributes by keyword, in dicom-parser's `xggggeeee` form, so that business code names what it reads
 * (`Tag.RescaleSlope`) instead of spelling hex. Only the attributes medseg reads are listed.
 */
export const Tag = {
  // File meta information
  MediaStorageSopClassUid: 'x00020002',
  TransferSyntaxUid: 'x00020010',
  // SOP common, patient, study, series
  SpecificCharacterSet: 'x00080005',
  ImageType: 'x00080008',
  SopClassUid: 'x00080016',
  SopInstanceUid: 'x00080018',
  Modality: 'x00080060',
  SeriesDescription: 'x0008103e',
  PatientId: 'x00100020',
  StudyInstanceUid: 'x0020000d',
  SeriesInstanceUid: 'x0020000e',
  SeriesNumber: 'x00200011',
  AcquisitionNumber: 'x00200012',
  InstanceNumber: 'x00200013',
  ImagePositionPatient: 'x00200032',
  ImageOrientationPatient: 'x00200037',
  FrameOfReferenceUid: 'x00200052',
  SliceThickness: 'x00180050',
  SpacingBetweenSlices: 'x00180088',
  GantryDetectorTilt: 'x00181120',
  // Image pixel module
  SamplesPerPixel: 'x00280002',
  PhotometricInterpretation: 'x00280004',
  PlanarConfiguration: 'x00280006',
  NumberOfFrames: 'x00280008',
  Rows: 'x00280010',
  Columns: 'x00280011',
  PixelSpacing: 'x00280030',
  BitsAllocated: 'x00280100',
  BitsStored: 'x00280101',
  HighBit: 'x00280102',
  PixelRepresentation: 'x00280103',
  WindowCenter: 'x00281050',
  WindowWidth: 'x00281051',
  RescaleIntercept: 'x00281052',
  RescaleSlope: 'x00281053',
  RescaleType: 'x00281054',
  WindowCenterWidthExplanation: 'x00281055',
  PixelData: 'x7fe00010',
  FloatPixelData: 'x7fe00008',
  DoubleFloatPixelData: 'x7fe00009',
  // Enhanced multi-frame functional groups
  SharedFunctionalGroupsSequence: 'x52009229',
  PerFrameFunctionalGroupsSequence: 'x52009230',
  PixelMeasuresSequence: 'x00289110',
  PlanePositionSequence: 'x00209113',
  PlaneOrientationSequence: 'x00209116',
  PixelValueTransformationSequence: 'x00289145',
  FrameVoiLutSequence: 'x00289132',
  FrameContentSequence: 'x00209111',
  DimensionIndexValues: 'x00209157',
  // RT dose
  GridFrameOffsetVector: 'x3004000c',
  StackId: 'x00209056',
  InStackPositionNumber: 'x00209057',
} as const;

export type TagKeyword = keyof typeof Tag;

/** Transfer syntax UIDs by name (PS3.5 annex A / PS3.6 table A-1). */
export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLosslessProcess14: '1.2.840.10008.1.2.4.57',
  JpegLossless: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  HtJpeg2000Lossless: '1.2.840.10008.1.2.4.201',
  HtJpeg2000LosslessRpcl: '1.2.840.10008.1.2.4.202',
  HtJpeg2000: '1.2.840.10008.1.2.4.203',
  RleLossless: '1.2.840.10008.1.2.5',
  DeflatedImageFrameCompression: '1.2.840.10008.1.2.8.1',
} as const;

export type TransferSyntaxUid = (typeof TransferSyntax)[keyof typeof TransferSyntax];

const transferSyntaxNames = new Map<string, string>(Object.entries(TransferSyntax).map(([name, uid]) => [uid, name]));

/** The keyword of a transfer syntax UID, or the UID itself when medseg does not know it. */
export function transferSyntaxName(uid: string): string {
  return transferSyntaxNames.get(uid) ?? uid;
}

/** SOP classes that medseg treats specially (PS3.4 annex B). */
export const SopClass = {
  RtStructureSetStorage: '1.2.840.10008.5.1.4.1.1.481.3',
  SegmentationStorage: '1.2.840.10008.5.1.4.1.1.66.4',
  LabelMapSegmentationStorage: '1.2.840.10008.5.1.4.1.1.66.7',
  EnhancedCtImageStorage: '1.2.840.10008.5.1.4.1.1.2.1',
  EnhancedMrImageStorage: '1.2.840.10008.5.1.4.1.1.4.1',
} as const;
