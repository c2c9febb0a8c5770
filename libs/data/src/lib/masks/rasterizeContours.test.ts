import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../volume.js';
import { type Grid, rasterizeContours } from './rasterizeContours.js';

const axial: Grid = {
  shape: [40, 30, 3],
  spacing: [0.5, 0.5, 2],
  origin: [-10, -7, 100],
  direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
};

/** A polygon in patient coordinates on slice `k` of `grid`, from vertices in voxel (column, row) units. */
function polygon(grid: Grid, k: number, vertices: [number, number][]): { points: Float64Array } {
  const points: number[] = [];
  for (const [x, y] of vertices) {
    for (let a = 0; a < 3; a++) {
      points.push(grid.origin[a]! + grid.direction[0][a]! * x * grid.spacing[0] + grid.direction[1][a]! * y * grid.spacing[1] + grid.direction[2][a]! * k * grid.spacing[2]);
    }
  }
  return { points: Float64Array.from(points) };
}

function count(mask: Uint8Array, grid: Grid, k: number): number {
  const size = grid.shape[0] * grid.shape[1];
  return mask.subarray(k * size, (k + 1) * size).reduce((sum, v) => sum + v, 0);
}

describe('rasterizeContours', () => {
  it('fills exactly the pixel centres inside a rectangle, on the slice the contour lies on', () => {
    // Corners between centres: columns 3..12 (10) and rows 4..9 (6) have their centres inside.
    const { mask } = rasterizeContours([polygon(axial, 1, [[2.5, 3.5], [12.5, 3.5], [12.5, 9.5], [2.5, 9.5]])], axial);
    expect(count(mask, axial, 1)).toBe(60);
    expect(count(mask, axial, 0) + count(mask, axial, 2)).toBe(0);
    expect(mask[1 * 1200 + 4 * 40 + 3]).toBe(1);
    expect(mask[1 * 1200 + 4 * 40 + 2]).toBe(0);
  });

  it('keeps a contour drawn inside another as a hole (even-odd rule)', () => {
    const outer = polygon(axial, 0, [[0.5, 0.5], [20.5, 0.5], [20.5, 20.5], [0.5, 20.5]]);
    const inner = polygon(axial, 0, [[5.5, 5.5], [10.5, 5.5], [10.5, 10.5], [5.5, 10.5]]);
    const { mask } = rasterizeContours([outer, inner], axial);
    expect(count(mask, axial, 0)).toBe(20 * 20 - 5 * 5);
    expect(mask[8 * 40 + 8]).toBe(0);
  });

  it('counts the lattice points inside a finely drawn circle, on an oblique grid', () => {
    const t = 0.4;
    const oblique: Grid = {
      ...axial,
      direction: [[Math.cos(t), Math.sin(t), 0], [-Math.sin(t), Math.cos(t), 0], [0, 0, 1]] as [Vec3, Vec3, Vec3],
    };
    const [cx, cy, r] = [15.3, 14.7, 9.2];
    const vertices: [number, number][] = Array.from({ length: 2000 }, (_, i) => [cx + r * Math.cos((2 * Math.PI * i) / 2000), cy + r * Math.sin((2 * Math.PI * i) / 2000)]);
    const { mask } = rasterizeContours([polygon(oblique, 2, vertices)], oblique);
    let expected = 0;
    for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) expected++;
    expect(count(mask, oblique, 2)).toBe(expected);
  });

  it('reports contours between slices and outside the grid instead of placing them', () => {
    const between = polygon(axial, 0.5, [[1, 1], [5, 1], [5, 5]]);
    const outside = polygon(axial, 7, [[1, 1], [5, 1], [5, 5]]);
    const result = rasterizeContours([between, outside], axial, 0.25);
    expect(result.offSliceContours).toBe(1);
    expect(result.outsideContours).toBe(1);
    expect(result.mask.every((v) => v === 0)).toBe(true);
  });
});
