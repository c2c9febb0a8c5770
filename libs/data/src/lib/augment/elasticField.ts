import type { Rng } from '../random.js';
import type { DisplacementField } from './warp.js';

/** Control-point displacements on a coarse grid, `gridHeight` x `gridWidth`, row-major, in pixels. */
export interface ElasticControls {
  readonly dx: Float32Array;
  readonly dy: Float32Array;
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** Pixels between control points. */
  readonly spacing: number;
}

/** Control points needed to cover `size` pixels with a cubic B-spline at `spacing` (one extra on each side). */
function gridSize(size: number, spacing: number): number {
  return Math.floor(Math.max(size - 1, 0) / spacing) + 4;
}

/**
 * Random control displacements: independent normals with standard deviation `magnitude` pixels on a grid every
 * `spacing` pixels. The cubic B-spline through them is smooth (C2), like batchgenerators' Gaussian-smoothed
 * noise but at a cost independent of the smoothness.
 */
export function drawElasticControls(rng: Rng, height: number, width: number, spacing: number, magnitude: number): ElasticControls {
  const gridHeight = gridSize(height, spacing);
  const gridWidth = gridSize(width, spacing);
  const n = gridHeight * gridWidth;
  const dx = new Float32Array(n);
  const dy = new Float32Array(n);
  for (let i = 0; i < n; i++) dx[i] = rng.normal() * magnitude;
  for (let i = 0; i < n; i++) dy[i] = rng.normal() * magnitude;
  return { dx, dy, gridHeight, gridWidth, spacing };
}

/** Per-pixel B-spline weights and first control index along one axis (separable, so computed once per axis). */
function axisWeights(size: number, spacing: number): { first: Int32Array; weights: Float64Array } {
  const first = new Int32Array(size);
  const weights = new Float64Array(size * 4);
  for (let p = 0; p < size; p++) {
    const t = p / spacing;
    const i = Math.floor(t);
    const u = t - i;
    const v = 1 - u;
    // Uniform cubic B-spline basis; control index i + 1 sits at pixel i * spacing.
    first[p] = i;
    weights[p * 4] = (v * v * v) / 6;
    weights[p * 4 + 1] = (3 * u * u * u - 6 * u * u + 4) / 6;
    weights[p * 4 + 2] = (-3 * u * u * u + 3 * u * u + 3 * u + 1) / 6;
    weights[p * 4 + 3] = (u * u * u) / 6;
  }
  return { first, weights };
}

/** Evaluates the cubic B-spline through `controls` at every pixel of a `height` x `width` grid. */
export function elasticField(controls: ElasticControls, height: number, width: number): DisplacementField {
  const { gridWidth, spacing } = controls;
  if (controls.gridHeight < gridSize(height, spacing) || gridWidth < gridSize(width, spacing)) {
    throw new RangeError(`elasticField: a ${controls.gridHeight}x${gridWidth} grid at spacing ${spacing} cannot cover ${height}x${width}`);
  }
  const xs = axisWeights(width, spacing);
  const ys = axisWeights(height, spacing);
  const dx = new Float32Array(height * width);
  const dy = new Float32Array(height * width);
  // First pass: interpolate along y into a height x gridWidth table, then along x per pixel.
  const rowX = new Float64Array(height * gridWidth);
  const rowY = new Float64Array(height * gridWidth);
  for (let y = 0; y < height; y++) {
    const j0 = ys.first[y]!;
    const w0 = ys.weights[y * 4]!;
    const w1 = ys.weights[y * 4 + 1]!;
    const w2 = ys.weights[y * 4 + 2]!;
    const w3 = ys.weights[y * 4 + 3]!;
    for (let g = 0; g < gridWidth; g++) {
      const k = j0 * gridWidth + g;
      rowX[y * gridWidth + g] =
        w0 * controls.dx[k]! + w1 * controls.dx[k + gridWidth]! + w2 * controls.dx[k + 2 * gridWidth]! + w3 * controls.dx[k + 3 * gridWidth]!;
      rowY[y * gridWidth + g] =
        w0 * controls.dy[k]! + w1 * controls.dy[k + gridWidth]! + w2 * controls.dy[k + 2 * gridWidth]! + w3 * controls.dy[k + 3 * gridWidth]!;
    }
  }
  let i = 0;
  for (let y = 0; y < height; y++) {
    const base = y * gridWidth;
    for (let x = 0; x < width; x++, i++) {
      const k = base + xs.first[x]!;
      const w0 = xs.weights[x * 4]!;
      const w1 = xs.weights[x * 4 + 1]!;
      const w2 = xs.weights[x * 4 + 2]!;
      const w3 = xs.weights[x * 4 + 3]!;
      dx[i] = w0 * rowX[k]! + w1 * rowX[k + 1]! + w2 * rowX[k + 2]! + w3 * rowX[k + 3]!;
      dy[i] = w0 * rowY[k]! + w1 * rowY[k + 1]! + w2 * rowY[k + 2]! + w3 * rowY[k + 3]!;
    }
  }
  return { dx, dy };
}
