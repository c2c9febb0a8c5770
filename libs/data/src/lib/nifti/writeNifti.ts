import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import { type Vec3, type Volume, type VoxelArray, voxelToRasMatrix } from '../volume.js';
import { rotationToQuaternion } from './niftiAffine.js';
import { NiftiDatatype, datatypeOfArray, niftiArrayTypes } from './niftiDatatype.js';

export interface WriteNiftiOptions {
  /** Stored type; defaults to the type of `volume.data`. Values are converted (integers rounded). */
  readonly datatype?: NiftiDatatype;
  /** NIfTI `descrip`, at most 79 ASCII characters. */
  readonly description?: string;
  /** Marks the image as a label map (NIFTI_INTENT_LABEL), as segmentation tools do. */
  readonly labelMap?: boolean;
}

const HEADER_BYTES = 348;
const DATA_OFFSET = 352;
const NIFTI_XFORM_SCANNER_ANAT = 1;
const NIFTI_INTENT_LABEL = 1002;
const NIFTI_UNITS_MM_SEC = 2 | 8;

/**
 * Encodes a volume as a single-file NIfTI-1 image (little endian). The sform holds the exact voxel-to-RAS
 * matrix; the qform its rigid part, as dcm2niix writes both with code 1 (scanner anatomical).
 */
export function encodeNifti(volume: Volume, options: WriteNiftiOptions = {}): Uint8Array {
  const datatype = options.datatype ?? datatypeOfArray(volume.data);
  const ArrayType = niftiArrayTypes[datatype];
  const count = volume.shape[0] * volume.shape[1] * volume.shape[2];
  if (volume.data.length !== count) {
    throw new RangeError(`encodeNifti: data has ${volume.data.length} voxels, shape ${volume.shape.join('x')} needs ${count}`);
  }
  const out = new Uint8Array(DATA_OFFSET + count * ArrayType.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  const ras = voxelToRasMatrix(volume);

  view.setInt32(0, HEADER_BYTES, true);
  out[38] = 'r'.charCodeAt(0);
  const ndim = volume.shape[2] > 1 ? 3 : 2;
  const dim = [ndim, volume.shape[0], volume.shape[1], volume.shape[2], 1, 1, 1, 1];
  dim.forEach((value, i) => view.setInt16(40 + i * 2, value, true));
  if (options.labelMap) view.setInt16(68, NIFTI_INTENT_LABEL, true);
  view.setInt16(70, datatype, true);
  view.setInt16(72, ArrayType.BYTES_PER_ELEMENT * 8, true);

  const rasColumns = [0, 1, 2].map((axis) => [
    ras[0]![axis]! / volume.spacing[axis]!,
    ras[1]![axis]! / volume.spacing[axis]!,
    ras[2]![axis]! / volume.spacing[axis]!,
  ]) as unknown as [Vec3, Vec3, Vec3];
  const quaternion = rotationToQuaternion(rasColumns);
  const pixdim = [quaternion.qfac, volume.spacing[0], volume.spacing[1], volume.spacing[2], 0, 0, 0, 0];
  pixdim.forEach((value, i) => view.setFloat32(76 + i * 4, value, true));
  view.setFloat32(108, DATA_OFFSET, true);
  view.setFloat32(112, 1, true);
  view.setFloat32(116, 0, true);
  out[123] = NIFTI_UNITS_MM_SEC;
  const description = (options.description ?? 'medseg').slice(0, 79);
  for (let i = 0; i < description.length; i++) out[148 + i] = description.charCodeAt(i) & 0x7f;
  view.setInt16(252, NIFTI_XFORM_SCANNER_ANAT, true);
  view.setInt16(254, NIFTI_XFORM_SCANNER_ANAT, true);
  view.setFloat32(256, quaternion.b, true);
  view.setFloat32(260, quaternion.c, true);
  view.setFloat32(264, quaternion.d, true);
  view.setFloat32(268, ras[0]![3]!, true);
  view.setFloat32(272, ras[1]![3]!, true);
  view.setFloat32(276, ras[2]![3]!, true);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 4; col++) view.setFloat32(280 + (row * 4 + col) * 4, ras[row]![col]!, true);
  }
  out.set([0x6e, 0x2b, 0x31, 0x00], 344);

  const target = new ArrayType(out.buffer, DATA_OFFSET, count);
  copyConverted(volume.data, target);
  // Typed arrays use the platform's byte order; every platform Node supports is little endian.
  return out;
}

function copyConverted(source: VoxelArray, target: VoxelArray): void {
  if (source.constructor === target.constructor || target instanceof Float32Array || target instanceof Float64Array) {
    target.set(source);
    return;
  }
  for (let i = 0; i < source.length; i++) target[i] = Math.round(source[i]!);
}

/** Writes `.nii` or, when the path ends in `.gz`, gzip-compressed `.nii.gz`; atomically. */
export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<void> {
  const encoded = encodeNifti(volume, options);
  await writeFileAtomic(path, path.endsWith('.gz') ? gzipSync(encoded, { level: 6 }) : encoded);
}
