import type { Volume, VoxelArray } from '../volume.js';

/**
 * Crops or pads every slice to `columns` x `rows` around the slice centre (as MONAI's
 * ResizeWithPadOrCrop), moving the origin so that the geometry still maps each voxel to the same patient
 * position. Padding takes `fill`.
 */
export function cropOrPad<T extends VoxelArray>(volume: Volume<T>, columns: number, rows: number, fill = 0): Volume<T> {
  const [sx, sy, sz] = volume.shape;
  if (sx === columns && sy === rows) return volume;
  // Offset of the output's first column/row in input indices; negative means padding.
  const x0 = Math.floor((sx - columns) / 2);
  const y0 = Math.floor((sy - rows) / 2);
  const out = new (volume.data.constructor as new (length: number) => T)(columns * rows * sz);
  if (fill !== 0) out.fill(fill);
  for (let z = 0; z < sz; z++) {
    for (let y = 0; y < rows; y++) {
      const sourceY = y + y0;
      if (sourceY < 0 || sourceY >= sy) continue;
      const xStart = Math.max(0, -x0);
      const xEnd = Math.min(columns, sx - x0);
      if (xEnd <= xStart) continue;
      const from = z * sx * sy + sourceY * sx + x0 + xStart;
      out.set(volume.data.subarray(from, from + (xEnd - xStart)), z * columns * rows + y * columns + xStart);
    }
  }
  const origin = [0, 1, 2].map((a) => volume.origin[a]! + volume.direction[0][a]! * x0 * volume.spacing[0] + volume.direction[1][a]! * y0 * volume.spacing[1]);
  return { ...volume, data: out, shape: [columns, rows, sz], origin: origin as unknown as Volume['origin'] };
}
