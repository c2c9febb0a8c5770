// Public API of @medseg/data. Each area keeps its exports in its own section.

// -- core --
export type { Vec3, VoxelArray, Volume } from './lib/volume.js';
export { lpsToVoxelMatrix, voxelCount, voxelIndex, voxelToLpsMatrix, voxelToRasMatrix } from './lib/volume.js';
export { MedsegError, OutputFolderError, PlanError } from './lib/errors.js';
export type { ResourceLimits } from './lib/limits/resourceLimits.js';
export {
  DEFAULT_MAX_INFLATED_BYTES,
  DEFAULT_MAX_VOXELS,
  ResourceLimitError,
  checkVoxelLimit,
  resourceLimits,
  setResourceLimits,
} from './lib/limits/resourceLimits.js';
export { inflateCapped } from './lib/limits/inflateCapped.js';
export { MAX_SAFE_NAME_LENGTH, isSafeName, safeName } from './lib/names/safeName.js';
export type { NameRequest } from './lib/names/uniqueSafeNames.js';
export { uidSuffix, uniqueSafeNames } from './lib/names/uniqueSafeNames.js';
export { PathEscapeError, isInside, safeJoin } from './lib/fs/safeJoin.js';
export { OutputWriteError, describeSystemError, isSystemError, outputWriteError } from './lib/fs/systemErrors.js';
export { printable } from './lib/names/printable.js';
export type { Rng, RngState } from './lib/random.js';
export { createRng, hashString } from './lib/random.js';
export { medsegVersion } from './lib/version.js';

// -- dicom (reading, decoding, series) --
export { Tag, TransferSyntax, SopClass, transferSyntaxName } from './lib/dicom/tags.js';
export type { TagKeyword, TransferSyntaxUid } from './lib/dicom/tags.js';
export {
  DicomParseError,
  DicomDecodeError,
  NoPixelDataError,
  UnsupportedPixelFormatError,
  UnsupportedTransferSyntaxError,
} from './lib/dicom/errors.js';
export type { DicomDataset, ParseDicomOptions } from './lib/dicom/parseDicom.js';
export { parseDicomBytes } from './lib/dicom/parseDicom.js';
export type { DataSet as DicomRawDataSet, Element as DicomRawElement } from './lib/dicom/dicomParserModule.js';
export { getDecimal, getDecimals, getItem, getItems, getString, getStrings, getUint16 } from './lib/dicom/dicomValues.js';
export type { PixelDescription } from './lib/dicom/pixelDescription.js';
export { readPixelDescription } from './lib/dicom/pixelDescription.js';
export type { DicomFile, ReadDicomFileOptions } from './lib/dicom/readDicomFile.js';
export { readDicomFile, decodeDicomDataset } from './lib/dicom/readDicomFile.js';
export { isTransferSyntaxSupported } from './lib/dicom/decode/decodeFrames.js';
export type { Rescale } from './lib/dicom/pixels/modalityLut.js';
export { applyModalityLut } from './lib/dicom/pixels/modalityLut.js';
export type { VoiWindow, WindowPreset } from './lib/dicom/pixels/voiWindow.js';
export { applyWindow, windowPresets } from './lib/dicom/pixels/voiWindow.js';
export type {
  DicomFrameInfo,
  DicomInstanceInfo,
  DicomObjectInfo,
  DicomSeriesInfo,
  DicomTreeScan,
  SeriesProblem,
  SeriesProblemKind,
  SkippedFile,
} from './lib/dicom/seriesTypes.js';
export type { ScanDicomTreeOptions } from './lib/dicom/scanDicomTree.js';
export { scanDicomTree } from './lib/dicom/scanDicomTree.js';
export type { DicomSeriesVolume, ReadDicomSeriesOptions } from './lib/dicom/readDicomSeries.js';
export { readDicomSeries } from './lib/dicom/readDicomSeries.js';
export type { SliceArrangement } from './lib/dicom/arrangeSlices.js';
export { arrangeSlices } from './lib/dicom/arrangeSlices.js';

// -- nifti --
export type { NiftiVolume } from './lib/nifti/readNifti.js';
export { readNifti, parseNifti } from './lib/nifti/readNifti.js';
export type { WriteNiftiOptions } from './lib/nifti/writeNifti.js';
export { writeNifti, encodeNifti } from './lib/nifti/writeNifti.js';
export { NiftiDatatype } from './lib/nifti/niftiDatatype.js';
export { NiftiReadError } from './lib/nifti/niftiErrors.js';
export { writeFileAtomic } from './lib/fs/writeFileAtomic.js';
export { pathExists } from './lib/fs/pathExists.js';
export type { OutputFolder, PrepareOutputFolderOptions } from './lib/fs/prepareOutputFolder.js';
export { checkOutputFile, checkOutputFolder, OUTPUT_MARKER, outputFolderKind, prepareOutputFolder } from './lib/fs/prepareOutputFolder.js';
export { builtWorkerEntry } from './lib/fs/builtWorkerEntry.js';

// -- masks (RTSTRUCT, SEG, PNG) and datasets --
export { MaskError } from './lib/masks/maskErrors.js';
export type { RtStruct, RtRoi, RtContour } from './lib/masks/readRtStruct.js';
export { readRtStruct, selectRois } from './lib/masks/readRtStruct.js';
export type { Grid, PlanarContour, RasterizedContours } from './lib/masks/rasterizeContours.js';
export { rasterizeContours } from './lib/masks/rasterizeContours.js';
export type { DicomSeg, SegFrame, SegmentationType } from './lib/masks/readDicomSeg.js';
export { readDicomSeg } from './lib/masks/readDicomSeg.js';
export type { SegTarget, PlacedSeg } from './lib/masks/placeSegFrames.js';
export { placeSegFrames } from './lib/masks/placeSegFrames.js';
export { readPngMasks } from './lib/masks/readPngMasks.js';
export type { Interpolation } from './lib/resample/resampleVolume.js';
export { resampleVolume, gridWithInPlaneSpacing } from './lib/resample/resampleVolume.js';
export type { OverlayTile } from './lib/preview/renderOverlayPng.js';
export { renderOverlayPng } from './lib/preview/renderOverlayPng.js';
export type { NormalizationSpec, NormalizationParameters } from './lib/dataset/normalizeIntensity.js';
export { normalizeIntensity, parseNormalization, defaultNormalization, normalizedRange } from './lib/dataset/normalizeIntensity.js';
export { percentile } from './lib/stats/percentile.js';
export type { CrossValidationFold, Split, SplitOptions } from './lib/dataset/assignSplit.js';
export { assignSplits, crossValidationSplits } from './lib/dataset/assignSplit.js';
export { cropOrPad } from './lib/dataset/cropOrPad.js';
export type { DatasetCase, DatasetClass, DatasetManifest, IngestSettings, MaskSourceKind } from './lib/dataset/datasetTypes.js';
export { DATASET_SCHEMA_VERSION } from './lib/dataset/datasetTypes.js';
export type { MaskSource, CaseMask } from './lib/dataset/buildCaseMask.js';
export { buildCaseMask } from './lib/dataset/buildCaseMask.js';
export type { MaskCandidates } from './lib/dataset/pairMaskSources.js';
export { caseIdFor, pairMaskSources } from './lib/dataset/pairMaskSources.js';
export { caseIdsForSeries } from './lib/dataset/caseIdsForSeries.js';
export { DatasetError, readDatasetManifest, readDatasetCase } from './lib/dataset/readDataset.js';
export type { IngestOptions, IngestProgress, IngestResult } from './lib/dataset/ingestDataset.js';
export { ingestDataset } from './lib/dataset/ingestDataset.js';

// -- dataset fingerprint and plan (plans.json) --
export type { CaseIntensities, IntensitySummary } from './lib/plan/intensitySummary.js';
export { INTENSITY_PERCENTILES, summarizeIntensities } from './lib/plan/intensitySummary.js';
export type { DatasetFingerprint, PooledIntensities, Spread } from './lib/plan/datasetFingerprint.js';
export { datasetFingerprint, poolIntensities } from './lib/plan/datasetFingerprint.js';
export type { Choice, PlannedNetwork, PlanOptions, StepMeasurement, TrainingPlan, ValidationChoice } from './lib/plan/planTraining.js';
export { encoderExtraSecondsPerImage, estimatedSecondsPerStep, PLAN_RULES, planTraining } from './lib/plan/planTraining.js';
export type { PlannedTrainSettings, SettingSource } from './lib/plan/planSettings.js';
export { applyPlan, plannedTrainSettings } from './lib/plan/planSettings.js';
export type { PlansRecord } from './lib/plan/plansRecord.js';
export { PLANS_FILE, PLANS_SCHEMA_VERSION, readPlans, validatePlans, writePlans } from './lib/plan/plansRecord.js';
export type { EnsurePlansResult, PlanDatasetOptions, PlanDatasetResult, StepMeasurer } from './lib/plan/planDataset.js';
export { ensurePlans, fingerprintDataset, planDataset, plannedNetwork, plansAreCurrent } from './lib/plan/planDataset.js';
export type { PlanIngestCheck } from './lib/plan/planIngestCheck.js';
export { planIngestChecks } from './lib/plan/planIngestCheck.js';

// -- augmentation --
export type { BackgroundAugmenter } from './lib/augment/backgroundAugmenter.js';
export { createBackgroundAugmenter } from './lib/augment/backgroundAugmenter.js';
export type { SliceBatch, SlicePair } from './lib/augment/sliceBatch.js';
export { sliceBatchFromVolumes, slicePair, stackSlicePairs } from './lib/augment/sliceBatch.js';
export type { AugmentConfig, AugmentPreset, Range as AugmentRange } from './lib/augment/augmentConfig.js';
export { augmentPresets, isAugmentPreset, validateAugmentConfig } from './lib/augment/augmentConfig.js';
export type { AugmentPipeline } from './lib/augment/augmentPipeline.js';
export { createAugmentPipeline } from './lib/augment/augmentPipeline.js';
export { AugmentConfigError, AugmentInputError } from './lib/augment/augmentErrors.js';
export type { RandomizableTransform, PlaneResult } from './lib/augment/pairedTransform.js';
export { PairedTransform } from './lib/augment/pairedTransform.js';
export {
  randBlur,
  randBrightness,
  randContrast,
  randFlip,
  randGamma,
  randLowResolution,
  randNoise,
  randRotate90,
} from './lib/augment/planeTransforms.js';
export type { Plane, PlaneAxis } from './lib/augment/flip.js';
export { flip } from './lib/augment/flip.js';
export { rot90 } from './lib/augment/rot90.js';
export type { Affine2d, AffineParams } from './lib/augment/affine2d.js';
export { affineFromParams, applyAffine, composeAffine, identityAffine, invertAffine } from './lib/augment/affine2d.js';
export type { DisplacementField, Interpolation as WarpInterpolation, Padding as WarpPadding, WarpOptions } from './lib/augment/warp.js';
export { warp } from './lib/augment/warp.js';
export type { ElasticControls } from './lib/augment/elasticField.js';
export { drawElasticControls, elasticField } from './lib/augment/elasticField.js';
export { addGaussianNoise, adjustContrast, adjustGamma, scaleIntensity } from './lib/augment/intensity.js';
export { gaussianBlur, gaussianKernel } from './lib/augment/gaussianBlur.js';
export { simulateLowResolution } from './lib/augment/lowResolution.js';
export type { SpatialDraw } from './lib/augment/spatialTransform.js';
export { randSpatial, drawCropOrigin } from './lib/augment/spatialTransform.js';
export type { ContactSheetOptions } from './lib/augment/contactSheet.js';
export { renderContactSheet } from './lib/augment/contactSheet.js';
export type { AugmentPreview, AugmentPreviewOptions } from './lib/augment/augmentPreview.js';
export { augmentPreview } from './lib/augment/augmentPreview.js';

// -- dicom writing (SEG, synthetic studies) --
export type { DicomSegOptions, SegSegment, SegSourceSeries } from './lib/dicom-write/writeDicomSeg.js';
export { DicomWriteError, encodeDicomSeg, newUid, writeDicomSeg } from './lib/dicom-write/writeDicomSeg.js';
export { segSourceFromSeries } from './lib/dicom-write/segSourceFromSeries.js';

// -- synthetic phantom studies (the demo's data) --
export type { PhantomCase, PhantomLesion, PhantomOptions } from './lib/phantom/createPhantomCase.js';
export { createPhantomCase } from './lib/phantom/createPhantomCase.js';
export type { PhantomStudyOptions, PhantomStudyPatient } from './lib/phantom/writePhantomStudy.js';
export { writePhantomStudy } from './lib/phantom/writePhantomStudy.js';
export { deterministicUid } from './lib/phantom/deterministicUid.js';
export { encodeDicomPart10 } from './lib/phantom/encodeDicomPart10.js';

// -- DICOMweb (QIDO-RS, WADO-RS, STOW-RS) and series shards --
export { DicomWebAuthError, DicomWebError, MultipartError } from './lib/dicomweb/dicomWebErrors.js';
export type { DicomJson, DicomWebClientOptions, InstanceRef, SeriesRef, StoreResult } from './lib/dicomweb/dicomWebClient.js';
export { DicomWebClient } from './lib/dicomweb/dicomWebClient.js';
export type { RetryPolicy } from './lib/dicomweb/dicomWebRequest.js';
export { DicomWebAuthEnv, dicomWebAuthorization } from './lib/dicomweb/dicomWebAuthorization.js';
export type { MultipartPart } from './lib/dicomweb/multipartRelated.js';
export { encodeMultipartRelated, multipartBoundary, parseMultipartRelated } from './lib/dicomweb/multipartRelated.js';
export type { DicomWebSelection, RetrieveDicomWebOptions, RetrieveDicomWebResult, RetrieveProgress } from './lib/dicomweb/retrieveDicomWeb.js';
export { retrieveDicomWeb } from './lib/dicomweb/retrieveDicomWeb.js';
export type { StoreOutcome } from './lib/dicomweb/storeDicomFile.js';
export { storeDicomFile } from './lib/dicomweb/storeDicomFile.js';
export type { SeriesShard } from './lib/dicomweb/seriesShard.js';
export { inShard, parseShard } from './lib/dicomweb/seriesShard.js';
