import { checkVoxelLimit } from '../limits/resourceLimits.js';
import type { Grid } from '../masks/rasterizeContours.js';
import { type Volume, type VoxelArray, lpsToVoxelMatrix, voxelToLpsMatrix } from '../volume.js';

export type Interpolation = 'nearest' | 'linear';

/**
 * Resamples a volume onto another grid in patient space. `nearest` never invents values, so label maps stay
 * label maps (masks are never interpolated linearly); `linear` is trilinear. Outside the source, `fill`.
 * The output has the source's array type for `nearest`, Float32Array for `linear`.
 */
export function resampleVolume<T extends VoxelArray>(source: Volume<T>, target: Grid, interpolation: Interpolation, fill = 0): Volume<T | Float32Array> {
  const [sx, sy, sz] = source.shape;
  const [tx, ty, tz] = target.shape;
  // target voxel -> LPS -> source voxel, composed into one affine.
  const toLps = voxelToLpsMatrix(target);
  const fromLps = lpsToVoxelMatrix(source);
  const m: number[][] = fromLps.map((row) => [0, 1, 2, 3].map((col) =>
    row[0]! * toLps[0]![col]! + row[1]! * toLps[1]![col]! + row[2]! * toLps[2]![col]! + (col === 3 ? row[3]! : 0)));
  const src = source.data;
  const out = interpolation === 'nearest'
    ? new (src.constructor as new (length: number) => T)(tx * ty * tz)
    : new Float32Array(tx * ty * tz);
  const sliceSize = sx * sy;
  const [m0, m1, m2] = m as [number[], number[], number[]];
  let index = 0;
  for (let z = 0; z < tz; z++) {
    for (let y = 0; y < ty; y++) {
      let u = m0[1]! * y + m0[2]! * z + m0[3]!;
      let v = m1[1]! * y + m1[2]! * z + m1[3]!;
      let w = m2[1]! * y + m2[2]! * z + m2[3]!;
      for (let x = 0; x < tx; x++, index++, u += m0[0]!, v += m1[0]!, w += m2[0]!) {
        if (interpolation === 'nearest') {
          const i = Math.round(u);
          const j = Math.round(v);
          const k = Math.round(w);
          out[index] = i >= 0 && i < sx && j >= 0 && j < sy && k >= 0 && k < sz ? src[i + sx * j + sliceSize * k]! : fill;
          continue;
        }
        // Trilinear; a coordinate within 1e-6 of the edge counts as on it, so a grid that coincides with the
        // source reproduces it exactly instead of fading its last row to `fill`.
        const fu = Math.min(Math.max(u, 0), sx - 1);
        const fv = Math.min(Math.max(v, 0), sy - 1);
        const fw = Math.min(Math.max(w, 0), sz - 1);
        if (Math.abs(fu - u) > 1e-6 || Math.abs(fv - v) > 1e-6 || Math.abs(fw - w) > 1e-6) {
          out[index] = fill;
          continue;
        }
        const i0 = Math.min(Math.floor(fu), Math.max(sx - 2, 0));
        const j0 = Math.min(Math.floor(fv), Math.max(sy - 2, 0));
        const k0 = Math.min(Math.floor(fw), Math.max(sz - 2, 0));
        const a = fu - i0;
        const b = fv - j0;
        const c = fw - k0;
        const i1 = Math.min(i0 + 1, sx - 1);
        const j1 = Math.min(j0 + 1, sy - 1);
        const k1 = Math.min(k0 + 1, sz - 1);
        const at = (i: number, j: number, k: number): number => src[i + sx * j + sliceSize * k]!;
        const c00 = at(i0, j0, k0) * (1 - a) + at(i1, j0, k0) * a;
        const c10 = at(i0, j1, k0) * (1 - a) + at(i1, j1, k0) * a;
        const c01 = at(i0, j0, k1) * (1 - a) + at(i1, j0, k1) * a;
        const c11 = at(i0, j1, k1) * (1 - a) + at(i1, j1, k1) * a;
        out[index] = (c00 * (1 - b) + c10 * b) * (1 - c) + (c01 * (1 - b) + c11 * b) * c;
      }
    }
  }
  return { data: out, shape: target.shape, spacing: target.spacing, origin: target.origin, direction: target.direction };
}

/**
 * The grid of `volume` with in-plane spacing changed to `spacing` mm, covering the same field of view. The new
 * size is checked against `--max-voxels` before anything is allocated for it (PixelSpacing 60 resampled to
 * 1 mm is 3600 times the voxels); `path` names the source in the error.
 */
export function gridWithInPlaneSpacing(volume: Grid, spacing: number, path?: string): Grid {
  const columns = Math.max(1, Math.round((volume.shape[0] * volume.spacing[0]) / spacing));
  const rows = Math.max(1, Math.round((volume.shape[1] * volume.spacing[1]) / spacing));
  checkVoxelLimit(columns * rows * volume.shape[2], `resampling ${volume.shape.join('x')} to ${spacing} mm gives ${columns}x${rows}x${volume.shape[2]}, which`, path);
  // Keep the field of view's outer edge: the first voxel centre moves by half a voxel of the difference.
  const shiftX = (spacing - volume.spacing[0]) / 2;
  const shiftY = (spacing - volume.spacing[1]) / 2;
  const origin = [0, 1, 2].map((a) => volume.origin[a]! + volume.direction[0][a]! * shiftX + volume.direction[1][a]! * shiftY);
  return {
    shape: [columns, rows, volume.shape[2]],
    spacing: [spacing, spacing, volume.spacing[2]],
    origin: origin as unknown as Grid['origin'],
    direction: volume.direction,
  };
}
