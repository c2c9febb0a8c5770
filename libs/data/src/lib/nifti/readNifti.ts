import { readFile } from 'node:fs/promises';
import { NIFTI1, isNIFTI1 } from 'nifti-reader-js';
import type { Volume, VoxelArray } from '../volume.js';
import { geometryFromRasMatrix } from './niftiAffine.js';
import { type NiftiDatatype, niftiArrayTypes } from './niftiDatatype.js';
import { NiftiReadError } from './niftiErrors.js';
import { inflateCapped } from '../limits/inflateCapped.js';
import { ResourceLimitError, checkVoxelLimit } from '../limits/resourceLimits.js';

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
      bytes = inflateCapped(bytes, 'gzip', path);
    } catch (error) {
      if (error instanceof ResourceLimitError) throw error;
      throw new NiftiReadError(`corrupt gzip stream (${(error as Error).message})`, { path, cause: error });
    }
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (bytes.byteLength < 348 || !isNIFTI1(buffer)) throw new NiftiReadError('not a NIfTI-1 file (no n+1/ni1 magic)', { path });
  const header = new NIFTI1();
  try {
    header.readHeader(buffer);
  } catch (error) {
    throw new NiftiReadError(`unreadable NIfTI-1 header (${(error as Error).message})`, { path, cause: error });
  }
  const dims = header.dims;
  const ndim = dims[0] ?? 0;
  if (ndim < 2 || ndim > 7) throw new NiftiReadError(`dim[0] is ${ndim}: expected a 2D or 3D image`, { path });
  const used = dims.slice(1, ndim + 1);
  if (used.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new NiftiReadError(`dim = [${dims.slice(0, ndim + 1).join(', ')}] has a zero or negative size`, { path });
  }
  const extra = used.slice(3).reduce((product, value) => product * value, 1);
  if (extra !== 1) {
    throw new NiftiReadError(`expected a 2D or 3D image, found dim = [${dims.slice(0, ndim + 1).join(', ')}]`, { path });
  }
  const shape = [used[0]!, used[1]!, ndim >= 3 ? used[2]! : 1] as [number, number, number];
  checkVoxelLimit(shape[0] * shape[1] * shape[2], `the image (${shape.join('x')})`, path);
  const ArrayType = niftiArrayTypes[header.datatypeCode as NiftiDatatype];
  if (!ArrayType) throw new NiftiReadError(`unsupported datatype code ${header.datatypeCode}`, { path });
  const count = shape[0] * shape[1] * shape[2];
  if (!Number.isFinite(header.vox_offset) || header.vox_offset < 0) {
    throw new NiftiReadError(`vox_offset ${header.vox_offset} is not a valid byte offset`, { path });
  }
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
  const intercept = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  if (Number.isFinite(slope) && slope !== 0 && (slope !== 1 || intercept !== 0)) {
    const scaled = new Float32Array(count);
    for (let i = 0; i < count; i++) scaled[i] = data[i]! * slope + intercept;
    if (!scaled.every(Number.isFinite)) {
      throw new NiftiReadError(`scl_slope ${slope} / scl_inter ${intercept} give values beyond float32 (non-finite voxels)`, { path });
    }
    data = scaled;
  }
  const affine0 = header.sform_code > 0 ? readSform(buffer, header.littleEndian) : header.affine.map((row) => [...row]);
  if (!affine0.flat().every(Number.isFinite)) throw new NiftiReadError('the voxel-to-world affine has non-finite entries', { path });

  const affine = affine0;
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
