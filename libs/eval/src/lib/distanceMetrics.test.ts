import { describe, expect, it } from 'vitest';
import {
  averageSymmetricSurfaceDistance,
  hausdorffDistance,
  percentileHausdorffDistance,
  surfaceDice,
} from './distanceMetrics.js';
import { evaluateCase } from './evaluateCase.js';
import type { Grid } from './grid.js';
import { percentile } from '@medseg/data';
import { surfaceDistances } from './surfaceDistances.js';

/**
 * Half-space x < a (truth) against x < a + k (prediction) filling the rest of the grid, as in MONAI's surface
 * distance tests. With border_value 0 the surfaces are the image-border faces plus the face at x = a - 1 (or
 * a + k - 1); the distances follow by hand: prediction voxels beyond the truth lie (x - a + 1) columns off the
 * truth's last column; the truth's last-column voxels are k columns from the prediction's, unless a border face
 * of the prediction or its first column is nearer.
 */
function halfSpaceExpectation(shape: readonly [number, number, number], spacing: readonly [number, number, number], a: number, k: number) {
  const [, ny, nz] = shape;
  const [sx, sy, sz] = spacing;
  const is3d = nz > 1;
  const onBorder = (y: number, z: number) => y === 0 || y === ny - 1 || (is3d && (z === 0 || z === nz - 1));
  const predToTruth: number[] = [];
  const truthToPred: number[] = [];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < a + k; x++) {
        if (x === 0 || x === a + k - 1 || onBorder(y, z)) predToTruth.push(Math.max(0, x - a + 1) * sx);
      }
      for (let x = 0; x < a; x++) {
        if (x === a - 1 && !onBorder(y, z) && x !== 0) {
          const candidates = [k * sx, y * sy, (ny - 1 - y) * sy, (a - 1) * sx];
          if (is3d) candidates.push(z * sz, (nz - 1 - z) * sz);
          truthToPred.push(Math.min(...candidates));
        } else if (x === 0 || x === a - 1 || onBorder(y, z)) truthToPred.push(0);
      }
    }
  }
  return { predToTruth, truthToPred };
}

function halfSpaces(shape: readonly [number, number, number], a: number, k: number): { pred: Uint8Array; truth: Uint8Array } {
  const [nx, ny, nz] = shape;
  const pred = new Uint8Array(nx * ny * nz);
  const truth = new Uint8Array(nx * ny * nz);
  for (let i = 0; i < pred.length; i++) {
    const x = i % nx;
    if (x < a) truth[i] = 1;
    if (x < a + k) pred[i] = 1;
  }
  return { pred, truth };
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

describe('surface distance metrics, closed form', () => {
  const setups: { name: string; grid: Grid; a: number; k: number }[] = [
    { name: '2D, k = 3, spacing 0.5 x 2', grid: { shape: [40, 30, 1], spacing: [0.5, 2, 1] }, a: 12, k: 3 },
    { name: '2D, k = 7, spacing 1.5 x 0.25', grid: { shape: [50, 20, 1], spacing: [1.5, 0.25, 1] }, a: 20, k: 7 },
    { name: '3D, k = 2, spacing 0.8 x 1.2 x 3', grid: { shape: [24, 18, 12], spacing: [0.8, 1.2, 3] }, a: 9, k: 2 },
    { name: '3D, k = 5, spacing 2 x 0.7 x 0.9', grid: { shape: [30, 16, 14], spacing: [2, 0.7, 0.9] }, a: 10, k: 5 },
  ];

  it.each(setups)('half-space shifted by k voxels: $name', ({ grid, a, k }) => {
    const { pred, truth } = halfSpaces(grid.shape, a, k);
    const expected = halfSpaceExpectation(grid.shape, grid.spacing, a, k);
    const d = surfaceDistances(pred, truth, grid);
    expect([...d.predToTruth].sort((x, y) => x - y)).toEqual(expected.predToTruth.sort((x, y) => x - y).map((v) => expect.closeTo(v, 12)));
    expect([...d.truthToPred].sort((x, y) => x - y)).toEqual(expected.truthToPred.sort((x, y) => x - y).map((v) => expect.closeTo(v, 12)));
    const both = [...expected.predToTruth, ...expected.truthToPred];
    expect(hausdorffDistance(d)).toBeCloseTo(k * grid.spacing[0], 12);
    expect(percentileHausdorffDistance(d)).toBeCloseTo(Math.max(percentile(expected.predToTruth, 95), percentile(expected.truthToPred, 95)), 12);
    expect(averageSymmetricSurfaceDistance(d)).toBeCloseTo(mean(both), 12);
    const tolerance = 2 * grid.spacing[0];
    expect(surfaceDice(d, tolerance)).toBeCloseTo(both.filter((v) => v <= tolerance).length / both.length, 12);
  });

  it('two balls: Hausdorff distance = |r1 - r2| + offset and Dice = overlap of the volumes, to the voxel', () => {
    const n = 64;
    const h = 0.5;
    const grid: Grid = { shape: [n, n, n], spacing: [h, h, h] };
    const ball = (cx: number, r: number) => {
      const m = new Uint8Array(n * n * n);
      let i = 0;
      for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++, i++) {
        const dx = (x - cx) * h, dy = (y - n / 2) * h, dz = (z - n / 2) * h;
        if (dx * dx + dy * dy + dz * dz <= r * r) m[i] = 1;
      }
      return m;
    };
    const r1 = 10, r2 = 8, offsetVoxels = 4;
    const [concentric] = evaluateCase(ball(n / 2, r2), ball(n / 2, r1), grid, { labels: [1] });
    const voxelDiagonal = Math.sqrt(3) * h;
    expect(Math.abs(concentric!.hd - (r1 - r2))).toBeLessThanOrEqual(voxelDiagonal);
    expect(Math.abs(concentric!.assd - (r1 - r2))).toBeLessThanOrEqual(voxelDiagonal);
    // Nested balls: Dice = 2 V2 / (V1 + V2) = 2 r2^3 / (r1^3 + r2^3).
    expect(concentric!.dice).toBeCloseTo((2 * r2 ** 3) / (r1 ** 3 + r2 ** 3), 2);
    const sphereMl = ((4 / 3) * Math.PI * r1 ** 3) / 1000;
    expect(Math.abs(concentric!.truthVolumeMl - sphereMl) / sphereMl).toBeLessThan(0.01);
    const [shifted] = evaluateCase(ball(n / 2 + offsetVoxels, r2), ball(n / 2, r1), grid, { labels: [1] });
    expect(Math.abs(shifted!.hd - (r1 - r2 + offsetVoxels * h))).toBeLessThanOrEqual(voxelDiagonal);
    // Equal balls offset by o: every surface point is within o of the other surface, and HD = o exactly on the axis.
    const [equal] = evaluateCase(ball(n / 2 + offsetVoxels, r1), ball(n / 2, r1), grid, { labels: [1] });
    expect(Math.abs(equal!.hd - offsetVoxels * h)).toBeLessThanOrEqual(voxelDiagonal);
    const [tolerant] = evaluateCase(ball(n / 2 + offsetVoxels, r1), ball(n / 2, r1), grid, { labels: [1], toleranceMm: offsetVoxels * h + voxelDiagonal });
    expect(tolerant!.surfaceDice).toBe(1);
    const [strict] = evaluateCase(ball(n / 2 + offsetVoxels, r1), ball(n / 2, r1), grid, { labels: [1], toleranceMm: h });
    expect(strict!.surfaceDice).toBeLessThan(1);
    expect(strict!.surfaceDice).toBeGreaterThan(0);
  });
});
