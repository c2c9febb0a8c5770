import { MetricArgumentError } from './errors.js';

/**
 * The voxel grid that two masks share: `shape` [columns, rows, slices] with columns fastest (the `Volume`
 * layout of @medseg/data) and `spacing` in millimetres along the same axes. A grid with one slice is 2D: its
 * surfaces use the 4-neighbourhood and its distances ignore the slice axis.
 */
export interface Grid {
  readonly shape: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
}

/** 2 for a single-slice grid, else 3. */
export function gridDimensions(grid: Grid): 2 | 3 {
  return grid.shape[2] === 1 ? 2 : 3;
}

export function gridSize(grid: Grid): number {
  return grid.shape[0] * grid.shape[1] * grid.shape[2];
}

/** Volume of one voxel in millilitres (a 2D grid counts its pixel area times the slice spacing, as a slab). */
export function voxelVolumeMl(grid: Grid): number {
  return (grid.spacing[0] * grid.spacing[1] * grid.spacing[2]) / 1000;
}

export function assertGrid(grid: Grid, caller: string): void {
  for (let axis = 0; axis < 3; axis++) {
    const n = grid.shape[axis]!;
    const s = grid.spacing[axis]!;
    if (!Number.isInteger(n) || n < 1) throw new MetricArgumentError(`${caller}: shape[${axis}] must be a positive integer, got ${n}`);
    if (!(s > 0) || !Number.isFinite(s)) throw new MetricArgumentError(`${caller}: spacing[${axis}] must be a positive number of millimetres, got ${s}`);
  }
}

export function assertMaskLength(mask: ArrayLike<number>, grid: Grid, caller: string, name: string): void {
  const size = gridSize(grid);
  if (mask.length !== size) {
    throw new MetricArgumentError(`${caller}: ${name} has ${mask.length} voxels but the grid ${grid.shape.join('x')} has ${size}`);
  }
}
