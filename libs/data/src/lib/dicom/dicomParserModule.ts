// dicom-parser ships a UMD bundle: under Node's ESM loader its API is the CommonJS default export, not named
// exports, so it is imported once here and re-exported with its types.
import dicomParserDefault from 'dicom-parser';
import type * as DicomParserTypes from 'dicom-parser';

export const dicomParser = dicomParserDefault as unknown as typeof DicomParserTypes;
export type { DataSet, Element, Fragment } from 'dicom-parser';
