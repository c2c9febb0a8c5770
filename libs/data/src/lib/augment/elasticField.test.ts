import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { drawElasticControls, elasticField, type ElasticControls } from './elasticField.js';

function controlsFrom(gridHeight: number, gridWidth: number, spacing: number, f: (gx: number, gy: number) => [number, number]): ElasticControls {
  const dx = new Float32Array(gridHeight * gridWidth);
  const dy = new Float32Array(gridHeight * gridWidth);
  for (let gy = 0; gy < gridHeight; gy++) {
    for (let gx = 0; gx < gridWidth; gx++) [dx[gy * gridWidth + gx], dy[gy * gridWidth + gx]] = f(gx, gy);
  }
  return { dx, dy, gridHeight, gridWidth, spacing };
}

describe('elasticField', () => {
  const [height, width, spacing] = [50, 70, 16];

  it('reproduces constant and linear control values exactly (B-spline partition of unity and linear precision)', () => {
    const drawn = drawElasticControls(createRng(1), height, width, spacing, 1);
    const constant = elasticField(controlsFrom(drawn.gridHeight, drawn.gridWidth, spacing, () => [3, -2]), height, width);
    expect(constant.dx.every((v) => Math.abs(v - 3) < 1e-5)).toBe(true);
    expect(constant.dy.every((v) => Math.abs(v + 2) < 1e-5)).toBe(true);
    // Control point (gx, gy) sits at pixel ((gx - 1) spacing, (gy - 1) spacing); linear values give the same plane.
    const plane = (x: number, y: number): number => 0.01 * x - 0.02 * y + 1;
    const linear = elasticField(
      controlsFrom(drawn.gridHeight, drawn.gridWidth, spacing, (gx, gy) => [plane((gx - 1) * spacing, (gy - 1) * spacing), 0]),
      height,
      width,
    );
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) expect(Math.abs(linear.dx[y * width + x]! - plane(x, y))).toBeLessThan(1e-5);
  });

  it('draws a smooth field whose size follows the magnitude and whose draws repeat with the seed', () => {
    const a = elasticField(drawElasticControls(createRng(7), height, width, spacing, 4), height, width);
    const b = elasticField(drawElasticControls(createRng(7), height, width, spacing, 4), height, width);
    const c = elasticField(drawElasticControls(createRng(8), height, width, spacing, 4), height, width);
    expect(a).toEqual(b);
    expect(a.dx).not.toEqual(c.dx);
    let sumSq = 0;
    let steepest = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        sumSq += a.dx[i]! ** 2;
        if (x > 0) steepest = Math.max(steepest, Math.abs(a.dx[i]! - a.dx[i - 1]!));
      }
    }
    const rms = Math.sqrt(sumSq / (height * width));
    // Cubic B-spline smoothing shrinks the control std (4 px) by sqrt(sum of squared weights) in 2D: ~0.6x at most.
    expect(rms).toBeGreaterThan(0.5);
    expect(rms).toBeLessThan(4);
    // Smooth: neighbouring pixels differ by a small fraction of the magnitude (control points are 16 px apart).
    expect(steepest).toBeLessThan(1.5);
  });

  it('refuses a control grid too small for the plane', () => {
    const small = drawElasticControls(createRng(1), 10, 10, spacing, 1);
    expect(() => elasticField(small, 100, 100)).toThrow(/cannot cover/);
  });
});
