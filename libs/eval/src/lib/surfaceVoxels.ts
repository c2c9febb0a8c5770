import type { BinaryMask } from './binaryMask.js';

/**
 * The surface of a binary mask as MONAI and scipy define it: the mask minus its binary erosion by the
 * face-connected structuring element (4-neighbourhood in 2D, 6 in 3D), with everything outside the grid
 * counting as background (scipy's `border_value=0`), so a mask touching the edge of the image has a surface
 * there. `dimensions` 2 ignores the slice axis: each slice is eroded on its own.
 */
export function surfaceVoxels(mask: ArrayLike<number>, shape: readonly [number, number, number], dimensions: 2 | 3 = shape[2] === 1 ? 2 : 3): BinaryMask {
  const [nx, ny, nz] = shape;
  const sliceSize = nx * ny;
  const out = new Uint8Array(mask.length);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (mask[i] === 0) continue;
        const interior =
          x > 0 && mask[i - 1] !== 0 &&
          x < nx - 1 && mask[i + 1] !== 0 &&
          y > 0 && mask[i - nx] !== 0 &&
          y < ny - 1 && mask[i + nx] !== 0 &&
          (dimensions === 2 || (z > 0 && mask[i - sliceSize] !== 0 && z < nz - 1 && mask[i + sliceSize] !== 0));
        if (!interior) out[i] = 1;
      }
    }
  }
  return out;
}
