import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { NIFTI1, isNIFTI1 } from 'nifti-reader-js';
import type { Volume, VoxelArray } from '../volume.js';
import { geometryFromRasMatrix } from './niftiAffine.js';
import { type NiftiDatatype, niftiArrayTypes } from './niftiDatatype.js';
import { NiftiReadError } from './niftiErrors.js';

export interface NiftiVolume extends Volume {
  /** The datatype stored in the file (before `scl_slope`/`scl_inter`, which `data` has applied). */
  readonly datatype: number;
  readonly sformCode: number;
  readonly qformCode: number;
  /** The voxel-to-RAS matrix the geometry came from, chosen as nibabel does (sform, else qform). */
  readonly affine: number[][];
}

const SROW_OFFSET = 280;

/** Reads a NIfTI-1 file (`.nii` or `.nii.gz`) as a volume. 4D files are read only when they hold one volume. */
export async function readNifti(path: string): Promise<NiftiVolume> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new NiftiReadError(`cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path, cause: error });
  }
  return parseNifti(bytes, path);
}

export function parseNifti(input: Uint8Array, path?: string): NiftiVolume {
  let bytes = input;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new NiftiReadError('corrupt gzip stream', { path, cause: error });
    }
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.byteLength < 348 || !isNIFTI1(buffer)) throw new NiftiReadError('not a NIfTI-1 file', { path });
  const header = new NIFTI1();
  header.readHeader(buffer);
  const dims = header.dims;
  const ndim = dims[0] ?? 0;
  const extra = dims.slice(4, ndim + 1).reduce((product, value) => product * Math.max(1, value), 1);
  if (ndim < 2 || ndim > 7 || extra !== 1) {
    throw new NiftiReadError(`expected a 2D or 3D image, found dim = [${dims.slice(0, ndim + 1).join(', ')}]`, { path });
  }
  const shape = [dims[1] ?? 1, ndim >= 2 ? (dims[2] ?? 1) : 1, ndim >= 3 ? (dims[3] ?? 1) : 1].map((v) => Math.max(1, v)) as [number, number, number];
  const ArrayType = niftiArrayTypes[header.datatypeCode as NiftiDatatype];
  if (!ArrayType) throw new NiftiReadError(`unsupported datatype code ${header.datatypeCode}`, { path });
  const count = shape[0] * shape[1] * shape[2];
  const offset = Math.max(352, Math.round(header.vox_offset));
  const byteLength = count * ArrayType.BYTES_PER_ELEMENT;
  if (offset + byteLength > bytes.byteLength) {
    throw new NiftiReadError(`truncated: needs ${offset + byteLength} bytes of image data, has ${bytes.byteLength}`, { path });
  }
  // A copy (Buffer#slice would be a view into a shared pool), so the typed array starts at offset 0.
  const raw = Uint8Array.prototype.slice.call(bytes, offset, offset + byteLength);
  if (!header.littleEndian) swapBytes(raw, ArrayType.BYTES_PER_ELEMENT);
  let data: VoxelArray = new ArrayType(raw.buffer, 0, count);

  const slope = header.scl_slope;
  const intercept = header.scl_inter;
  if (Number.isFinite(slope) && slope !== 0 && (slope !== 1 || intercept !== 0)) {
    const scaled = new Float32Array(count);
    for (let i = 0; i < count; i++) scaled[i] = data[i]! * slope + intercept;
    data = scaled;
  }

  const affine = header.sform_code > 0 ? readSform(buffer, header.littleEndian) : header.affine.map((row) => [...row]);
  return {
    data,
    shape,
    ...geometryFromRasMatrix(affine),
    datatype: header.datatypeCode,
    sformCode: header.sform_code,
    qformCode: header.qform_code,
    affine,
  };
}

function readSform(buffer: ArrayBuffer, littleEndian: boolean): number[][] {
  const view = new DataView(buffer);
  const rows: number[][] = [];
  for (let row = 0; row < 3; row++) {
    const values: number[] = [];
    for (let col = 0; col < 4; col++) values.push(view.getFloat32(SROW_OFFSET + (row * 4 + col) * 4, littleEndian));
    rows.push(values);
  }
  rows.push([0, 0, 0, 1]);
  return rows;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width / 2; j++) {
      const t = bytes[i + j]!;
      bytes[i + j] = bytes[i + width - 1 - j]!;
      bytes[i + width - 1 - j] = t;
    }
  }
}
