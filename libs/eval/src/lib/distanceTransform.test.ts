import { join } from 'node:path';
import { createRng } from '@medseg/data';
import { afterAll, describe, expect, it } from 'vitest';
import { readFloat64, runPython, tempFolder, writeUint8, maxAbsDiff } from '../testing/python.js';
import { distanceTransform } from './distanceTransform.js';

const tmp = tempFolder();
afterAll(() => tmp.dispose());

/** Sparse random features: a few seeds, so distances span many voxels and parabola envelopes get long. */
function randomFeatures(n: number, density: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() < density ? 1 : 0;
  return out;
}

const scipyEdt = `
import numpy as np
from scipy.ndimage import distance_transform_edt
out = []
for c in inp:
    nx, ny, nz = c['shape']
    f = np.fromfile(c['file'], dtype=np.uint8).reshape((nx, ny, nz), order='F')
    if c['dims'] == 2:
        f = f[:, :, 0]
    d = distance_transform_edt(f == 0, sampling=c['spacing'][:c['dims']])
    np.asfortranarray(d).astype(np.float64).ravel(order='F').tofile(c['file'] + '.edt')
    out.append(c['file'] + '.edt')
print(json.dumps(out))
`;

describe('distanceTransform', () => {
  const cases = [
    { name: '3D anisotropic, sparse', shape: [37, 29, 23] as const, spacing: [0.7, 1.3, 3.27] as const, density: 0.002 },
    { name: '3D isotropic, dense', shape: [20, 21, 22] as const, spacing: [1, 1, 1] as const, density: 0.2 },
    { name: '3D, one feature voxel', shape: [15, 16, 17] as const, spacing: [0.976562, 0.976562, 3.269955] as const, density: 0.0003 },
    { name: '2D anisotropic', shape: [64, 48, 1] as const, spacing: [0.5, 2.25, 1] as const, density: 0.003 },
  ];

  it('matches scipy.ndimage.distance_transform_edt with sampling, voxel for voxel', () => {
    const inputs = cases.map((c, k) => {
      const features = randomFeatures(c.shape[0] * c.shape[1] * c.shape[2], c.density, 100 + k);
      if (features.every((v) => v === 0)) features[features.length >> 1] = 1;
      const file = join(tmp.path, `features-${k}.u8`);
      writeUint8(file, features);
      return { file, features, shape: c.shape, spacing: c.spacing, dims: c.shape[2] === 1 ? 2 : 3 };
    });
    const outputs = runPython<string[]>(scipyEdt, inputs.map(({ file, shape, spacing, dims }) => ({ file, shape, spacing, dims })));
    inputs.forEach((input, k) => {
      const expected = readFloat64(outputs[k]!);
      const actual = distanceTransform(input.features, input.shape, input.spacing);
      expect(actual.length, cases[k]!.name).toBe(expected.length);
      expect(maxAbsDiff(actual, expected), cases[k]!.name).toBeLessThan(1e-9);
    });
  });

  it('is infinite everywhere without features and zero on them', () => {
    const none = distanceTransform(new Uint8Array(27), [3, 3, 3], [1, 1, 1]);
    expect([...none].every((v) => v === Infinity)).toBe(true);
    const one = new Uint8Array(27);
    one[13] = 1;
    const d = distanceTransform(one, [3, 3, 3], [1, 2, 3]);
    expect(d[13]).toBe(0);
    // Corner (0,0,0) is one step along each axis from the centre: sqrt(1 + 4 + 9).
    expect(d[0]).toBeCloseTo(Math.sqrt(14), 12);
  });
});
