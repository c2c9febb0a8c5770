/** A binary mask on a grid: 1 inside, 0 outside, in the `Volume` voxel order. */
export type BinaryMask = Uint8Array;

/** The voxels of a label map equal to `label`, as a binary mask. */
export function binaryMask(labels: ArrayLike<number>, label: number): BinaryMask {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) out[i] = 1;
  return out;
}

export function countNonZero(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

/** Inclusive voxel bounds [min, max] per axis. */
export interface Box {
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

/**
 * The smallest box holding every voxel of `a` or `b` that is inside (non-zero, or equal to `label` when given),
 * or undefined when both are empty.
 */
export function unionBoundingBox(a: ArrayLike<number>, b: ArrayLike<number>, shape: readonly [number, number, number], label?: number): Box | undefined {
  const [nx, ny, nz] = shape;
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (label === undefined ? a[i] === 0 && b[i] === 0 : a[i] !== label && b[i] !== label) continue;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (z < z0) z0 = z;
        if (z > z1) z1 = z;
      }
    }
  }
  if (x1 < 0) return undefined;
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}

/** The binary mask (non-zero, or equal to `label` when given) inside `box`, as a new array with the box's shape. */
export function cropMask(mask: ArrayLike<number>, shape: readonly [number, number, number], box: Box, label?: number): { mask: BinaryMask; shape: [number, number, number] } {
  const [nx, ny] = shape;
  const cx = box.max[0] - box.min[0] + 1;
  const cy = box.max[1] - box.min[1] + 1;
  const cz = box.max[2] - box.min[2] + 1;
  const out = new Uint8Array(cx * cy * cz);
  let o = 0;
  for (let z = 0; z < cz; z++) {
    for (let y = 0; y < cy; y++) {
      const row = box.min[0] + nx * (box.min[1] + y + ny * (box.min[2] + z));
      if (label === undefined) for (let x = 0; x < cx; x++) out[o++] = mask[row + x] !== 0 ? 1 : 0;
      else for (let x = 0; x < cx; x++) out[o++] = mask[row + x] === label ? 1 : 0;
    }
  }
  return { mask: out, shape: [cx, cy, cz] };
}
