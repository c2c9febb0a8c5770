import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { readNifti } from '../nifti/readNifti.js';
import { flip } from './flip.js';

/** Runs numpy on a float32 plane (bound to `a`, shape h x w) and returns the float32 bytes the script prints. */
function numpy(plane: Float32Array, height: number, width: number, expression: string): Float32Array {
  const file = join(mkdtempSync(join(tmpdir(), 'medseg-flip-')), 'plane.f32');
  writeFileSync(file, plane);
  const script = `import sys, numpy as np
a = np.fromfile(sys.argv[1], dtype='<f4').reshape(${height}, ${width})
sys.stdout.buffer.write(np.ascontiguousarray(${expression}, dtype='<f4').tobytes())`;
  const result = spawnSync(debianPython, ['-c', script, file], { maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return new Float32Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength / 4);
}

// A real, non-square STS slice through the tumour: rows x columns = 158 x 174.
let slice: Float32Array;
let mask: Uint8Array;
let height: number;
let width: number;

beforeAll(async () => {
  const image = await readNifti(sharedPath('data/sts/nifti/STS_001/MR_T1_image.nii.gz'));
  const labels = await readNifti(sharedPath('data/sts/nifti/STS_001/MR_T1_mask.nii.gz'));
  [width, height] = image.shape;
  const z = 28;
  slice = Float32Array.from(image.data.subarray(z * width * height, (z + 1) * width * height));
  mask = Uint8Array.from(labels.data.subarray(z * width * height, (z + 1) * width * height));
});

describe('flip', () => {
  it('mirrors rows and columns exactly as numpy.flip does', () => {
    expect(height).not.toBe(width);
    expect(flip(slice, height, width, 0)).toEqual(numpy(slice, height, width, 'np.flip(a, 0)'));
    expect(flip(slice, height, width, 1)).toEqual(numpy(slice, height, width, 'np.flip(a, 1)'));
  });

  it('is its own inverse and never modifies its input, for images and masks', () => {
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
