import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { readNifti } from '../nifti/readNifti.js';
import { rot90 } from './rot90.js';

/** Runs numpy on a float32 plane (bound to `a`, shape h x w) and returns the float32 bytes the script prints. */
function numpy(plane: Float32Array, height: number, width: number, expression: string): Float32Array {
  const file = join(mkdtempSync(join(tmpdir(), 'medseg-rot90-')), 'plane.f32');
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

describe('rot90', () => {
  it('turns a non-square slice as numpy.rot90 does for k = 1, 2, 3, swapping height and width on odd k', () => {
    for (const k of [1, 2, 3]) {
      const turned = rot90(slice, height, width, k);
      expect(turned.height).toBe(k % 2 === 1 ? width : height);
      expect(turned.width).toBe(k % 2 === 1 ? height : width);
      expect(turned.data).toEqual(numpy(slice, height, width, `np.rot90(a, ${k})`));
    }
  });

  it('gives the identity after four quarter turns and for k = 0 or 4, and k = -1 equals k = 3', () => {
    let current = { data: mask, height, width };
    for (let i = 0; i < 4; i++) current = rot90(current.data, current.height, current.width, 1);
    expect(current).toEqual({ data: mask, height, width });
    expect(rot90(slice, height, width, 4).data).toEqual(slice);
    expect(rot90(slice, height, width, -1)).toEqual(rot90(slice, height, width, 3));
  });
});
