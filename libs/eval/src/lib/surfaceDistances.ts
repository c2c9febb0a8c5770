import { countNonZero, cropMask, unionBoundingBox } from './binaryMask.js';
import { squaredDistanceTransformAt } from './distanceTransform.js';
import { type Grid, assertGrid, assertMaskLength, gridDimensions } from './grid.js';
import { surfaceVoxels } from './surfaceVoxels.js';

/**
 * The two directed sets of surface distances between a predicted and a true binary mask, in millimetres:
 * for every surface voxel of the prediction, the distance to the nearest surface voxel of the truth
 * (`predToTruth`), and the other way round (`truthToPred`), in voxel order.
 */
export interface SurfaceDistances {
  readonly predToTruth: Float64Array;
  readonly truthToPred: Float64Array;
  /** Surface voxel counts; 0 means that mask is empty. */
  readonly predSurfaceVoxels: number;
  readonly truthSurfaceVoxels: number;
}

/**
 * Masks are binary (non-zero = inside), or label maps with `label` saying which label is inside.
 *
 * Surface distances as MONAI computes them (`get_mask_edges` then `get_surface_distance`): surfaces are the
 * masks minus their face-connected erosion; each directed distance comes from an exact Euclidean distance
 * transform of the other surface with the voxel spacing. When one mask is empty, every surface voxel of the
 * other gets +Infinity in both directions; when both are empty, both sets are empty.
 *
 * Like MONAI, it works on the bounding box of the union of both masks: nothing outside it can be a surface
 * voxel or change a distance between surface voxels, and it makes large, mostly empty volumes cheap.
 */
export function surfaceDistances(pred: ArrayLike<number>, truth: ArrayLike<number>, grid: Grid, label?: number): SurfaceDistances {
  assertGrid(grid, 'surfaceDistances');
  assertMaskLength(pred, grid, 'surfaceDistances', 'pred');
  assertMaskLength(truth, grid, 'surfaceDistances', 'truth');
  const dimensions = gridDimensions(grid);
  const box = unionBoundingBox(pred, truth, grid.shape, label);
  if (box === undefined) {
    return { predToTruth: new Float64Array(0), truthToPred: new Float64Array(0), predSurfaceVoxels: 0, truthSurfaceVoxels: 0 };
  }
  const p = cropMask(pred, grid.shape, box, label);
  const t = cropMask(truth, grid.shape, box, label);
  const predSurface = surfaceVoxels(p.mask, p.shape, dimensions);
  const truthSurface = surfaceVoxels(t.mask, t.shape, dimensions);
  const nPred = countNonZero(predSurface);
  const nTruth = countNonZero(truthSurface);
  if (nPred === 0 || nTruth === 0) {
    const n = nPred + nTruth;
    return { predToTruth: new Float64Array(n).fill(Infinity), truthToPred: new Float64Array(n).fill(Infinity), predSurfaceVoxels: nPred, truthSurfaceVoxels: nTruth };
  }
  return {
    predToTruth: sampleDistances(squaredDistanceTransformAt(truthSurface, predSurface, p.shape, grid.spacing, dimensions), predSurface, nPred),
    truthToPred: sampleDistances(squaredDistanceTransformAt(predSurface, truthSurface, p.shape, grid.spacing, dimensions), truthSurface, nTruth),
    predSurfaceVoxels: nPred,
    truthSurfaceVoxels: nTruth,
  };
}

function sampleDistances(squared: Float64Array, at: Uint8Array, count: number): Float64Array {
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < at.length; i++) if (at[i] !== 0) out[j++] = Math.sqrt(squared[i]!);
  return out;
}
