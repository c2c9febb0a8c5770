import { beforeAll, describe, expect, it } from 'vitest';
import { numpyOnPlane as numpy, readStsSlice } from '../../testing.js';
import { flip } from './flip.js';


// A real, non-square STS slice through the tumour: rows x columns = 158 x 174.
let slice: Float32Array;
let mask: Uint8Array;
let height: number;
let width: number;

beforeAll(async () => {
  ({ image: slice, mask, width, height } = await readStsSlice('STS_001', 28));
});

describe('flip', async () => {
  it('mirrors rows and columns exactly as numpy.flip does', async () => {
    expect(height).not.toBe(width);
    expect(flip(slice, height, width, 0)).toEqual(await numpy(slice, height, width, 'np.flip(a, 0)'));
    expect(flip(slice, height, width, 1)).toEqual(await numpy(slice, height, width, 'np.flip(a, 1)'));
  });

  it('is its own inverse and never modifies its input, for images and masks', async () => {
    const before = slice.slice();
    for (const axis of [0, 1] as const) {
      expect(flip(flip(slice, height, width, axis), height, width, axis)).toEqual(slice);
      const flipped = flip(mask, height, width, axis);
      expect(flipped).toBeInstanceOf(Uint8Array);
      expect(flip(flipped, height, width, axis)).toEqual(mask);
    }
    expect(slice).toEqual(before);
  });
});
