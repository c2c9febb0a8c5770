import { warp } from './warp.js';

/**
 * Simulates a coarser acquisition: samples the plane at `zoom` (0 < zoom <= 1) of its resolution by nearest
 * neighbour, then interpolates back to the full grid bilinearly (nnU-Net's SimulateLowResolutionTransform uses
 * nearest down, cubic up). Pixel centres are aligned, as in scipy's `zoom(..., grid_mode=True)`.
 */
export function simulateLowResolution(image: Float32Array, height: number, width: number, zoom: number): Float32Array {
  const lowHeight = Math.max(1, Math.round(height * zoom));
  const lowWidth = Math.max(1, Math.round(width * zoom));
  if (lowHeight === height && lowWidth === width) return image.slice();
  const rx = width / lowWidth;
  const ry = height / lowHeight;
  // Low-res pixel (i, j) covers full-res [i rx, (i + 1) rx): its centre is (i + 0.5) rx - 0.5.
  const low = warp(image, height, width, {
    inverse: [rx, 0, 0.5 * rx - 0.5, 0, ry, 0.5 * ry - 0.5],
    outHeight: lowHeight,
    outWidth: lowWidth,
    interpolation: 'nearest',
    padding: 'border',
  });
  return warp(low, lowHeight, lowWidth, {
    inverse: [1 / rx, 0, 0.5 / rx - 0.5, 0, 1 / ry, 0.5 / ry - 0.5],
    outHeight: height,
    outWidth: width,
    interpolation: 'bilinear',
    padding: 'border',
  });
}
