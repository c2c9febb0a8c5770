import type { VoxelArray } from '../volume.js';

/** NIfTI-1 `datatype` codes (nifti1.h) for the voxel types medseg reads and writes. */
export const NiftiDatatype = {
  Uint8: 2,
  Int16: 4,
  Int32: 8,
  Float32: 16,
  Float64: 64,
  Int8: 256,
  Uint16: 512,
  Uint32: 768,
} as const;
export type NiftiDatatype = (typeof NiftiDatatype)[keyof typeof NiftiDatatype];

type ArrayConstructorOf = {
  new (length: number): VoxelArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): VoxelArray;
  readonly BYTES_PER_ELEMENT: number;
};

export const niftiArrayTypes: Record<NiftiDatatype, ArrayConstructorOf> = {
  [NiftiDatatype.Uint8]: Uint8Array,
  [NiftiDatatype.Int16]: Int16Array,
  [NiftiDatatype.Int32]: Int32Array,
  [NiftiDatatype.Float32]: Float32Array,
  [NiftiDatatype.Float64]: Float64Array,
  [NiftiDatatype.Int8]: Int8Array,
  [NiftiDatatype.Uint16]: Uint16Array,
  [NiftiDatatype.Uint32]: Uint32Array,
};

export function datatypeOfArray(data: VoxelArray): NiftiDatatype {
  if (data instanceof Uint8Array) return NiftiDatatype.Uint8;
  if (data instanceof Int16Array) return NiftiDatatype.Int16;
  if (data instanceof Int32Array) return NiftiDatatype.Int32;
  if (data instanceof Float32Array) return NiftiDatatype.Float32;
  if (data instanceof Float64Array) return NiftiDatatype.Float64;
  if (data instanceof Int8Array) return NiftiDatatype.Int8;
  if (data instanceof Uint16Array) return NiftiDatatype.Uint16;
  return NiftiDatatype.Uint32;
}
