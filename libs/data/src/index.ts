// Public API of @medseg/data. Each area keeps its exports in its own section.

// -- core --
export type { Vec3, VoxelArray, Volume } from './lib/volume.js';
export { voxelCount, voxelIndex, voxelToLpsMatrix, voxelToRasMatrix } from './lib/volume.js';
export { MedsegError } from './lib/errors.js';
export type { Rng, RngState } from './lib/random.js';
export { createRng, hashString } from './lib/random.js';

// -- dicom (reading, decoding, series) --

// -- nifti --

// -- masks (RTSTRUCT, SEG, PNG) and datasets --

// -- augmentation --

// -- dicom writing (SEG, synthetic studies) --
