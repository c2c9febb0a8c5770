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

/**
 * 4x4 row-major matrix mapping LPS millimetres to (fractional) voxel indices: the inverse of
 * `voxelToLpsMatrix`, for placing contours, SEG frames and resampled grids. Directions need not be orthogonal
 * (gantry tilt), so this is a true inverse, not a transpose.
 */
export function lpsToVoxelMatrix(volume: Pick<Volume, 'spacing' | 'origin' | 'direction'>): number[][] {
  const m = voxelToLpsMatrix(volume);
  const [a, b, c] = [m[0]![0]!, m[0]![1]!, m[0]![2]!];
  const [d, e, f] = [m[1]![0]!, m[1]![1]!, m[1]![2]!];
  const [g, h, i] = [m[2]![0]!, m[2]![1]!, m[2]![2]!];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (!(Math.abs(det) > 1e-12)) throw new RangeError('lpsToVoxelMatrix: the grid geometry is singular (zero spacing or parallel directions)');
  const r = [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
  const t = [m[0]![3]!, m[1]![3]!, m[2]![3]!];
  return [...r.map((row) => [...row, -(row[0]! * t[0]! + row[1]! * t[1]! + row[2]! * t[2]!)]), [0, 0, 0, 1]];
}
