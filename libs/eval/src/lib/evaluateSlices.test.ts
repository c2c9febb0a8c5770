import { describe, expect, it } from 'vitest';
import { runPython } from '../testing/python.js';
import { evaluateSlices } from './evaluateSlices.js';

/** Two labels, a few slices with and without them; scipy's 2D Dice and HD per slice as the reference. */
describe('evaluateSlices', () => {
  it('gives each slice its 2D metrics (scipy per slice) and skips slices where both masks are empty', () => {
    const shape = [24, 20, 6] as const;
    const spacing = [0.8, 1.1, 4] as const;
    const truth = new Uint8Array(shape[0] * shape[1] * shape[2]);
    const pred = new Uint8Array(truth.length);
    const at = (x: number, y: number, z: number) => x + shape[0] * (y + shape[1] * z);
    for (let z = 1; z < 5; z++) {
      for (let y = 4; y < 14; y++) for (let x = 3; x < 12 + z; x++) truth[at(x, y, z)] = 1;
      if (z < 4) for (let y = 5; y < 15; y++) for (let x = 4; x < 11; x++) pred[at(x, y, z)] = 1;
    }
    for (let y = 2; y < 6; y++) for (let x = 16; x < 20; x++) pred[at(x, y, 2)] = 2;
    const slices = evaluateSlices(pred, truth, { shape, spacing }, { labels: [1, 2] });
    const expected = runPython<[number, number, number | null, number | null][]>(
      `
import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure
p = np.array(inp['pred'], dtype=np.uint8).reshape(inp['shape'], order='F')
t = np.array(inp['truth'], dtype=np.uint8).reshape(inp['shape'], order='F')
st = generate_binary_structure(2, 1)
out = []
for z in range(p.shape[2]):
    for label in (1, 2):
        a, b = p[:, :, z] == label, t[:, :, z] == label
        if not a.any() and not b.any(): continue
        dice = 2 * np.sum(a & b) / (a.sum() + b.sum())
        if a.any() and b.any():
            sa, sb = a ^ binary_erosion(a, st), b ^ binary_erosion(b, st)
            hd = max(distance_transform_edt(~sb, sampling=inp['spacing'][:2])[sa].max(), distance_transform_edt(~sa, sampling=inp['spacing'][:2])[sb].max())
        else:
            hd = None
        out.append([z, label, float(dice), None if hd is None else float(hd)])
print(json.dumps(out))
`,
      { pred: [...pred], truth: [...truth], shape, spacing },
    );
    expect(slices.map((s) => [s.slice, s.label])).toEqual(expected.map((e) => [e[0], e[1]]));
    slices.forEach((s, i) => {
      expect(s.dice).toBeCloseTo(expected[i]![2]!, 12);
      if (expected[i]![3] === null) expect(s.hd).toBe(Infinity);
      else expect(s.hd).toBeCloseTo(expected[i]![3]!, 12);
    });
  });
});
