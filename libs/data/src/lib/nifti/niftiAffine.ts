import type { Vec3, Volume } from '../volume.js';

type Geometry = Pick<Volume, 'spacing' | 'origin' | 'direction'>;

/**
 * Splits a voxel-to-RAS matrix (NIfTI sform, nibabel `affine`) into medseg's LPS geometry: DICOM's patient
 * axes have the first two signs flipped, spacing is each voxel axis' length, direction its unit vector.
 */
export function geometryFromRasMatrix(ras: readonly (readonly number[])[]): Geometry {
  const lps = (row: number, col: number): number => (row < 2 ? -1 : 1) * ras[row]![col]!;
  const spacing: number[] = [];
  const direction: Vec3[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const column: Vec3 = [lps(0, axis), lps(1, axis), lps(2, axis)];
    const length = Math.hypot(...column) || 1;
    spacing.push(length);
    direction.push([column[0] / length, column[1] / length, column[2] / length]);
  }
  return {
    spacing: spacing as unknown as Vec3,
    origin: [lps(0, 3), lps(1, 3), lps(2, 3)],
    direction: direction as unknown as [Vec3, Vec3, Vec3],
  };
}

/**
 * NIfTI's quaternion form of a rotation (nifti1_io.c `mat44_to_quatern`): the unit quaternion (b, c, d) and
 * `qfac` = -1 when the axes are left-handed (the third column is negated first).
 */
export function rotationToQuaternion(columns: readonly [Vec3, Vec3, Vec3]): { b: number; c: number; d: number; qfac: 1 | -1 } {
  const [x, y, z] = columns;
  const det = x[0] * (y[1] * z[2] - z[1] * y[2]) - y[0] * (x[1] * z[2] - z[1] * x[2]) + z[0] * (x[1] * y[2] - y[1] * x[2]);
  const qfac: 1 | -1 = det < 0 ? -1 : 1;
  const r = (row: number, col: number): number => {
    const column = col === 0 ? x : col === 1 ? y : z;
    return (col === 2 ? qfac : 1) * column[row]!;
  };
  let a = r(0, 0) + r(1, 1) + r(2, 2) + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r(2, 1) - r(1, 2))) / a;
    c = (0.25 * (r(0, 2) - r(2, 0))) / a;
    d = (0.25 * (r(1, 0) - r(0, 1))) / a;
  } else {
    const xd = 1 + r(0, 0) - (r(1, 1) + r(2, 2));
    const yd = 1 + r(1, 1) - (r(0, 0) + r(2, 2));
    const zd = 1 + r(2, 2) - (r(0, 0) + r(1, 1));
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r(0, 1) + r(1, 0))) / b;
      d = (0.25 * (r(0, 2) + r(2, 0))) / b;
      a = (0.25 * (r(2, 1) - r(1, 2))) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r(0, 1) + r(1, 0))) / c;
      d = (0.25 * (r(1, 2) + r(2, 1))) / c;
      a = (0.25 * (r(0, 2) - r(2, 0))) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r(0, 2) + r(2, 0))) / d;
      c = (0.25 * (r(1, 2) + r(2, 1))) / d;
      a = (0.25 * (r(1, 0) - r(0, 1))) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}
