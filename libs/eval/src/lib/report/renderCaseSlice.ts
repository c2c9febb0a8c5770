import type { VoxelArray } from '@medseg/data';
import type { Grid } from '../grid.js';
import { percentile } from '@medseg/data';
import { surfaceVoxels } from '../surfaceVoxels.js';
import { encodePng } from './encodePng.js';

export interface CaseSliceImage {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The slice shown (0-based, volume order). */
  readonly slice: number;
}

export const truthColour = [40, 220, 60] as const;
export const predColour = [255, 50, 50] as const;

/**
 * A picture of one case for the report: the slice where the class covers most of the truth (else of the
 * prediction), cropped around both masks with a margin, resampled (nearest neighbour, square millimetres) to
 * about `size` pixels, the image in grey (1st to 99th percentile of the crop), the truth outlined in green and
 * the prediction in red. Without an image the masks are drawn as faint fills.
 */
export function renderCaseSlice(
  truth: ArrayLike<number>,
  pred: ArrayLike<number>,
  grid: Grid,
  label: number,
  image?: VoxelArray,
  size = 240,
): CaseSliceImage {
  const [nx, ny, nz] = grid.shape;
  const plane = nx * ny;
  let best = 0, bestCount = -1, bestPred = 0, bestPredCount = -1;
  for (let z = 0; z < nz; z++) {
    let t = 0, p = 0;
    for (let i = z * plane; i < (z + 1) * plane; i++) {
      if (truth[i] === label) t++;
      if (pred[i] === label) p++;
    }
    if (t > bestCount) [best, bestCount] = [z, t];
    if (p > bestPredCount) [bestPred, bestPredCount] = [z, p];
  }
  const z = bestCount > 0 ? best : bestPred;
  const offset = z * plane;
  // Crop: the union of both masks on this slice, grown by half its size (at least 16 voxels), inside the image.
  let x0 = nx, y0 = ny, x1 = -1, y1 = -1;
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = offset + x + nx * y;
    if (truth[i] === label || pred[i] === label) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) [x0, y0, x1, y1] = [0, 0, nx - 1, ny - 1];
  const mx = Math.max(16, Math.round((x1 - x0 + 1) / 2));
  const my = Math.max(16, Math.round((y1 - y0 + 1) / 2));
  x0 = Math.max(0, x0 - mx); x1 = Math.min(nx - 1, x1 + mx);
  y0 = Math.max(0, y0 - my); y1 = Math.min(ny - 1, y1 + my);
  const cw = x1 - x0 + 1, ch = y1 - y0 + 1;
  const [sx, sy] = grid.spacing;
  const scale = size / Math.max(cw * sx, ch * sy);
  const width = Math.max(1, Math.round(cw * sx * scale));
  const height = Math.max(1, Math.round(ch * sy * scale));

  const tMask = new Uint8Array(width * height);
  const pMask = new Uint8Array(width * height);
  const grey = new Float64Array(width * height);
  for (let v = 0; v < height; v++) {
    const y = y0 + Math.min(ch - 1, Math.floor((v * ch) / height));
    for (let u = 0; u < width; u++) {
      const x = x0 + Math.min(cw - 1, Math.floor((u * cw) / width));
      const i = offset + x + nx * y;
      const o = u + width * v;
      tMask[o] = truth[i] === label ? 1 : 0;
      pMask[o] = pred[i] === label ? 1 : 0;
      grey[o] = image === undefined ? 0 : image[i]!;
    }
  }
  let lo = 0, hi = 1;
  if (image !== undefined) {
    lo = percentile(grey, 1);
    hi = percentile(grey, 99);
    if (!(hi > lo)) hi = lo + 1;
  }
  const tEdge = surfaceVoxels(tMask, [width, height, 1], 2);
  const pEdge = surfaceVoxels(pMask, [width, height, 1], 2);
  const rgb = new Uint8Array(width * height * 3);
  for (let o = 0; o < width * height; o++) {
    let r: number, g: number, b: number;
    if (image !== undefined) {
      const level = Math.round(Math.min(1, Math.max(0, (grey[o]! - lo) / (hi - lo))) * 255);
      r = g = b = level;
    } else {
      r = g = b = 20;
      if (tMask[o]) g += 50;
      if (pMask[o]) r += 60;
    }
    if (tEdge[o] && pEdge[o]) [r, g, b] = [255, 220, 0];
    else if (tEdge[o]) [r, g, b] = truthColour;
    else if (pEdge[o]) [r, g, b] = predColour;
    rgb[3 * o] = r;
    rgb[3 * o + 1] = g;
    rgb[3 * o + 2] = b;
  }
  return { png: encodePng(rgb, width, height), width, height, slice: z };
}
