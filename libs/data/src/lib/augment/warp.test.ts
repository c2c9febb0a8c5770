import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { readNifti } from '../nifti/readNifti.js';
import { affineFromParams, invertAffine, type Affine2d } from './affine2d.js';
import { warp } from './warp.js';

/**
 * scipy.ndimage.affine_transform of a plane with our inverse map. scipy works in (row, col) = (y, x) order and maps
 * output to input as `matrix @ o + offset`, so our [a b c; d e f] becomes [[e, d], [b, a]] and offset (f, c).
 */
function scipyWarp(plane: Float32Array, height: number, width: number, inverse: Affine2d, order: number, mode: string): Float32Array {
  const file = join(mkdtempSync(join(tmpdir(), 'medseg-warp-')), 'plane.f32');
  writeFileSync(file, plane);
  const [a, b, c, d, e, f] = inverse;
  const script = `import sys, numpy as np
from scipy import ndimage
p = np.fromfile(sys.argv[1], dtype='<f4').reshape(${height}, ${width}).astype(np.float64)
out = ndimage.affine_transform(p, np.array([[${e}, ${d}], [${b}, ${a}]]), offset=(${f}, ${c}), order=${order}, mode='${mode}', cval=0.0, prefilter=False)
sys.stdout.buffer.write(out.astype('<f4').tobytes())`;
  const result = spawnSync(debianPython, ['-c', script, file], { maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return new Float32Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength / 4);
}

let image: Float32Array;
let mask: Uint8Array;
let height: number;
let width: number;

beforeAll(async () => {
  const volume = await readNifti(sharedPath('data/sts/nifti/STS_003/MR_T1_image.nii.gz'));
  const labels = await readNifti(sharedPath('data/sts/nifti/STS_003/MR_T1_mask.nii.gz'));
  [width, height] = volume.shape;
  const z = 20;
  image = Float32Array.from(volume.data.subarray(z * width * height, (z + 1) * width * height));
  mask = Uint8Array.from(labels.data.subarray(z * width * height, (z + 1) * width * height));
});

const rotation: Affine2d = affineFromParams({ rotation: 0.4, scale: [1.2, 0.9], shear: [0.1, -0.05], translation: [3.3, -5.7] }, [60, 69], [60, 69]);

describe('warp', () => {
  it('resamples a real slice bilinearly exactly as scipy.ndimage.affine_transform(order=1, grid-constant)', () => {
    const inverse = invertAffine(rotation);
    const ours = warp(image, height, width, { inverse, outHeight: height, outWidth: width, interpolation: 'bilinear', padding: 'zeros' });
    const reference = scipyWarp(image, height, width, inverse, 1, 'grid-constant');
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - reference[i]!));
    // Values reach ~1200; float32 rounding of the sums stays far below 1e-3 of that.
    expect(worst).toBeLessThan(0.01);
    // And with `border` padding, as scipy's `nearest` mode.
    const border = warp(image, height, width, { inverse, outHeight: height, outWidth: width, interpolation: 'bilinear', padding: 'border' });
    const nearestMode = scipyWarp(image, height, width, inverse, 1, 'nearest');
    worst = 0;
    for (let i = 0; i < border.length; i++) worst = Math.max(worst, Math.abs(border[i]! - nearestMode[i]!));
    expect(worst).toBeLessThan(0.01);
  });

  it('resamples a mask by nearest neighbour as scipy does (order=0), so no new labels appear', () => {
    const inverse = invertAffine(rotation);
    const ours = warp(mask, height, width, { inverse, outHeight: height, outWidth: width, interpolation: 'nearest', padding: 'zeros' });
    const reference = scipyWarp(Float32Array.from(mask), height, width, inverse, 0, 'grid-constant');
    let differ = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== reference[i]) differ++;
    // Only pixels whose source lands within float error of a half-pixel boundary may round differently.
    expect(differ).toBeLessThanOrEqual(ours.length * 1e-3);
    expect(new Set(ours)).toEqual(new Set([0, 1]));
  });

  it('shifts a mask by an integer translation exactly, with background coming in at the edge', () => {
    const [tx, ty] = [7, -4];
    // Forward: p -> p + t, so the inverse reads p - t.
    const shifted = warp(mask, height, width, { inverse: [1, 0, -tx, 0, 1, -ty], outHeight: height, outWidth: width, interpolation: 'nearest', padding: 'zeros' });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sx = x - tx;
        const sy = y - ty;
        const expected = sx >= 0 && sx < width && sy >= 0 && sy < height ? mask[sy * width + sx]! : 0;
        if (shifted[y * width + x] !== expected) expect.fail(`pixel (${x}, ${y}) is ${shifted[y * width + x]}, expected ${expected}`);
      }
    }
    // Bilinear and bicubic images move exactly too: integer offsets put all weight on one tap.
    for (const interpolation of ['bilinear', 'bicubic'] as const) {
      const moved = warp(image, height, width, { inverse: [1, 0, -tx, 0, 1, -ty], outHeight: height, outWidth: width, interpolation, padding: 'zeros' });
      expect(moved[(50 + ty) * width + 50 + tx]).toBe(image[50 * width + 50]);
      expect(moved[(90 + ty) * width + 30 + tx]).toBe(image[90 * width + 30]);
    }
  });

  it('reproduces a linear ramp exactly with bicubic (Catmull-Rom) interpolation away from the edges', () => {
    const ramp = new Float32Array(height * width);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) ramp[y * width + x] = 2 * x - 3 * y + 5;
    const inverse = invertAffine(rotation);
    const out = warp(ramp, height, width, { inverse, outHeight: height, outWidth: width, interpolation: 'bicubic', padding: 'border' });
    let checked = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sx = inverse[0] * x + inverse[1] * y + inverse[2];
        const sy = inverse[3] * x + inverse[4] * y + inverse[5];
        if (sx < 2 || sy < 2 || sx > width - 3 || sy > height - 3) continue;
        expect(Math.abs(out[y * width + x]! - (2 * sx - 3 * sy + 5))).toBeLessThan(1e-3);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('writes the requested output grid (a crop) and adds the displacement field before the inverse map', () => {
    // A field of constant (+2, +1) equals a translation of the read position by (2, 1).
    const field = { dx: new Float32Array(40 * 30).fill(2), dy: new Float32Array(40 * 30).fill(1) };
    const viaField = warp(image, height, width, { inverse: [1, 0, 10, 0, 1, 20], field, outHeight: 40, outWidth: 30, interpolation: 'bilinear', padding: 'zeros' });
    const viaAffine = warp(image, height, width, { inverse: [1, 0, 12, 0, 1, 21], outHeight: 40, outWidth: 30, interpolation: 'bilinear', padding: 'zeros' });
    expect(viaField).toEqual(viaAffine);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 30; x++) expect(viaAffine[y * 30 + x]).toBe(image[(y + 21) * width + x + 12]);
  });
});
