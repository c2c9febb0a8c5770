import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../../testing.js';
import { createRng } from '../random.js';
import type { Vec3, Volume } from '../volume.js';
import { gridWithInPlaneSpacing, resampleVolume } from './resampleVolume.js';

const axes: [Vec3, Vec3, Vec3] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

function randomVolume(shape: Vec3, seed: number): Volume<Float32Array> {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.uniform(-100, 100)), shape, spacing: [0.8, 0.9, 2], origin: [10, -5, 30], direction: axes };
}

describe('resampleVolume', () => {
  it('reproduces the source on its own grid, for both interpolations', () => {
    const source = randomVolume([9, 7, 4], 1);
    expect(resampleVolume(source, source, 'nearest').data).toEqual(source.data);
    const linear = resampleVolume(source, source, 'linear').data;
    linear.forEach((v, i) => expect(v).toBeCloseTo(source.data[i]!, 4));
  });

  it('shifts a label map by whole voxels with nearest neighbour and invents no labels', () => {
    const labels = Uint8Array.from({ length: 8 * 6 * 3 }, (_, i) => (i % 5 === 0 ? 2 : i % 7 === 0 ? 1 : 0));
    const source: Volume<Uint8Array> = { data: labels, shape: [8, 6, 3], spacing: [1, 1, 1], origin: [0, 0, 0], direction: axes };
    const shifted = resampleVolume(source, { ...source, origin: [2, 1, 0] }, 'nearest');
    for (let z = 0; z < 3; z++) for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) {
      const expected = x + 2 < 8 && y + 1 < 6 ? labels[x + 2 + 8 * (y + 1) + 48 * z]! : 0;
      expect(shifted.data[x + 8 * y + 48 * z]).toBe(expected);
    }
    const coarse = resampleVolume(source, gridWithInPlaneSpacing(source, 1.7), 'nearest');
    expect(new Set(coarse.data)).toEqual(new Set([0, 1, 2]));
  });

  it('matches scipy.ndimage.map_coordinates (order 1) on a rotated, rescaled grid', () => {
    const source = randomVolume([12, 10, 5], 2);
    const t = 0.3;
    const target = {
      shape: [11, 9, 4] as Vec3,
      spacing: [1.1, 0.7, 2.5] as Vec3,
      origin: [11.5, -4, 31] as Vec3,
      direction: [[Math.cos(t), Math.sin(t), 0], [-Math.sin(t), Math.cos(t), 0], [0, 0, 1]] as [Vec3, Vec3, Vec3],
    };
    const ours = resampleVolume(source, target, 'linear', -999).data;
    // scipy samples at source index coordinates computed independently in numpy; mode='constant' with the
    // same fill, and points within 1e-6 of the border clamped as ours are.
    const script = `
import sys, json, numpy as np
from scipy.ndimage import map_coordinates
d = json.loads(sys.stdin.read())
src = np.array(d['data'], np.float64).reshape(d['shape'][::-1])
t = d['target']
D = np.array(t['direction']).T * np.array(t['spacing'])
idx = np.stack(np.meshgrid(*[np.arange(n) for n in t['shape'][::-1]], indexing='ij'))[::-1].reshape(3, -1)
lps = D @ idx + np.array(t['origin'])[:, None]
S = np.eye(3) * np.array(d['spacing'])
u = np.linalg.solve(S, lps - np.array(d['origin'])[:, None])
hi = np.array(d['shape'])[:, None] - 1
inside = np.all((u > -1e-6) & (u < hi + 1e-6), axis=0)
u = np.clip(u, 0, hi)
vals = map_coordinates(src, u[::-1], order=1, mode='nearest')
vals[~inside] = -999
print(json.dumps(vals.tolist()))`;
    const input = JSON.stringify({ data: Array.from(source.data), shape: source.shape, spacing: source.spacing, origin: source.origin, target });
    const result = spawnSync(debianPython, ['-c', script], { input, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
    const reference = JSON.parse(result.stdout) as number[];
    expect(reference.filter((v) => v !== -999).length).toBeGreaterThan(100);
    reference.forEach((v, i) => expect(Math.abs(ours[i]! - v)).toBeLessThan(1e-3));
  });
});
