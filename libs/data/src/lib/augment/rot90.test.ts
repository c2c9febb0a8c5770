import { beforeAll, describe, expect, it } from 'vitest';
import { numpyOnPlane as numpy, readStsSlice } from '../../testing.js';
import { rot90 } from './rot90.js';


// A real, non-square STS slice through the tumour: rows x columns = 158 x 174.
let slice: Float32Array;
let mask: Uint8Array;
let height: number;
let width: number;

beforeAll(async () => {
  ({ image: slice, mask, width, height } = await readStsSlice('STS_001', 28));
});

describe('rot90', async () => {
  it('turns a non-square slice as numpy.rot90 does for k = 1, 2, 3, swapping height and width on odd k', async () => {
    for (const k of [1, 2, 3]) {
      const turned = rot90(slice, height, width, k);
      expect(turned.height).toBe(k % 2 === 1 ? width : height);
      expect(turned.width).toBe(k % 2 === 1 ? height : width);
      expect(turned.data).toEqual(await numpy(slice, height, width, `np.rot90(a, ${k})`));
    }
  });

  it('gives the identity after four quarter turns and for k = 0 or 4, and k = -1 equals k = 3', async () => {
    let current = { data: mask, height, width };
    for (let i = 0; i < 4; i++) current = rot90(current.data, current.height, current.width, 1);
    expect(current).toEqual({ data: mask, height, width });
    expect(rot90(slice, height, width, 4).data).toEqual(slice);
    expect(rot90(slice, height, width, -1)).toEqual(rot90(slice, height, width, 3));
  });
});
