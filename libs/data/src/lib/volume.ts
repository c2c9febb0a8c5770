export type Vec3 = readonly [number, number, number];

export type VoxelArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/**
 * A 3D image on a regular grid in DICOM patient coordinates (LPS, millimetres).
 *
 * Voxels are stored column fastest, then row, then slice: the layout of stacked DICOM frames and of NIfTI,
 * so neither reading nor writing needs a transpose. A 2D image is a volume with one slice.
 */
export interface Volume<T extends VoxelArray = VoxelArray> {
  readonly data: T;
  /** [columns, rows, slices] */
  readonly shape: Vec3;
  /** Millimetres between voxel centres along [columns, rows, slices]. */
  readonly spacing: Vec3;
  /** LPS position of the centre of voxel (0, 0, 0). */
  readonly origin: Vec3;
  /** Unit LPS directions of increasing column index, row index and slice index. */
  readonly direction: readonly [Vec3, Vec3, Vec3];
}

export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Index of voxel (x, y, z) in `Volume.data`. */
export function voxelIndex(shape: Vec3, x: number, y: number, z: number): number {
  return x + shape[0] * (y + shape[1] * z);
}

/** 4x4 row-major matrix mapping voxel indices (x, y, z, 1) to LPS millimetres. */
export function voxelToLpsMatrix(volume: Pick<Volume, 'spacing' | 'origin' | 'direction'>): number[][] {
  const { spacing, origin, direction } = volume;
  const rows: number[][] = [];
  for (let axis = 0; axis < 3; axis++) {
    rows.push([
      direction[0][axis]! * spacing[0],
      direction[1][axis]! * spacing[1],
      direction[2][axis]! * spacing[2],
      origin[axis]!,
    ]);
  }
  rows.push([0, 0, 0, 1]);
  return rows;
}

/**
 * 4x4 row-major voxel-to-RAS matrix, as NIfTI's sform and nibabel's `affine` hold it: DICOM's LPS with the
 * first two axes negated, which is what dcm2niix writes.
 */
export function voxelToRasMatrix(volume: Pick<Volume, 'spacing' | 'origin' | 'direction'>): number[][] {
  const m = voxelToLpsMatrix(volume);
  return m.map((row, i) => (i < 2 ? row.map((v) => (v === 0 ? 0 : -v)) : row));
}
