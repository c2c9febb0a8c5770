/** The version of medseg, one constant for the whole workspace (`medseg --version`, manifests, DICOM SEG, run records). */
export const medsegVersion = '0.1.0';
