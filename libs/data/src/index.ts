// Public API of @medseg/data. Each area keeps its exports in its own section.

// -- core --
export type { Vec3, VoxelArray, Volume } from './lib/volume.js';
export { voxelCount, voxelIndex, voxelToLpsMatrix, voxelToRasMatrix } from './lib/volume.js';
export { MedsegError } from './lib/errors.js';
export type { Rng, RngState } from './lib/random.js';
export { createRng, hashString } from './lib/random.js';

// -- dicom (reading, decoding, series) --

// -- nifti --
export type { NiftiVolume } from './lib/nifti/readNifti.js';
export { readNifti, parseNifti } from './lib/nifti/readNifti.js';
export type { WriteNiftiOptions } from './lib/nifti/writeNifti.js';
export { writeNifti, encodeNifti } from './lib/nifti/writeNifti.js';
export { NiftiDatatype } from './lib/nifti/niftiDatatype.js';
export { NiftiReadError } from './lib/nifti/niftiErrors.js';
export { writeFileAtomic } from './lib/fs/writeFileAtomic.js';

// -- masks (RTSTRUCT, SEG, PNG) and datasets --

// -- augmentation --

// -- dicom writing (SEG, synthetic studies) --
