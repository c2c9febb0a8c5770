import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../volume.js';
import { voxelToLpsMatrix } from '../volume.js';
import { cropOrPad } from './cropOrPad.js';

const t = 0.5;
const source: Volume<Int16Array> = {
  data: Int16Array.from({ length: 7 * 5 * 2 }, (_, i) => i + 1),
  shape: [7, 5, 2],
  spacing: [0.5, 0.8, 3],
  origin: [10, 20, 30],
  direction: [[Math.cos(t), Math.sin(t), 0], [-Math.sin(t), Math.cos(t), 0], [0, 0, 1]] as [Vec3, Vec3, Vec3],
};

function lps(volume: Volume, x: number, y: number, z: number): number[] {
  const m = voxelToLpsMatrix(volume);
  return [0, 1, 2].map((r) => m[r]![0]! * x + m[r]![1]! * y + m[r]![2]! * z + m[r]![3]!);
}

describe('cropOrPad', () => {
  it.each([[3, 3], [10, 8], [4, 9]])('to %ix%i keeps every kept voxel at the same patient position', (columns, rows) => {
    const out = cropOrPad(source, columns, rows, -1);
    expect(out.shape).toEqual([columns, rows, 2]);
    let kept = 0;
    for (let z = 0; z < 2; z++) for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) {
      const value = out.data[x + columns * (y + rows * z)]!;
      if (value === -1) continue;
      kept++;
      // The value identifies the source voxel; both grids must put it at the same place.
      const index = value - 1;
      const sx = index % 7;
      const sy = Math.floor(index / 7) % 5;
      const sz = Math.floor(index / 35);
      lps(out, x, y, z).forEach((v, a) => expect(v).toBeCloseTo(lps(source, sx, sy, sz)[a]!, 9));
    }
    expect(kept).toBe(Math.min(columns, 7) * Math.min(rows, 5) * 2);
  });
});
