import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerCpuKernelFixes } from './registerCpuKernelFixes.js';

type Shape4 = [number, number, number, number];

function seeded(shape: Shape4, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

function gradient(inShape: Shape4, out: [number, number], dyValues: Float32Array, alignCorners = false): Float32Array {
  return tf.tidy(() => {
    const dy = tf.tensor4d(dyValues, [inShape[0], out[0], out[1], inShape[3]]);
    return tf.engine().runKernel('ResizeNearestNeighborGrad', { images: tf.zeros(inShape), dy }, { alignCorners, halfPixelCenters: false }) as tf.Tensor;
  }).dataSync() as Float32Array;
}

describe('registerCpuKernelFixes (ResizeNearestNeighborGrad on the cpu backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerCpuKernelFixes();
  });

  it('gives every image of a batch its own block sums (closed form for a factor of 2)', () => {
    const inShape: Shape4 = [3, 4, 5, 2];
    const dy = seeded([3, 8, 10, 2], 1);
    const actual = gradient(inShape, [8, 10], dy);
    const expected = new Float32Array(actual.length);
    for (let b = 0; b < 3; b++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 10; x++)
          for (let c = 0; c < 2; c++) {
            const target = ((b * 4 + (y >> 1)) * 5 + (x >> 1)) * 2 + c;
            expected[target] = expected[target]! + dy[((b * 8 + y) * 10 + x) * 2 + c]!;
          }
    expect(Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i]!)))).toBeLessThanOrEqual(1e-6);
  });

  it('equals the batch-1 kernel image by image for any geometry', () => {
    const dy = seeded([2, 7, 9, 3], 2);
    for (const alignCorners of [false, true]) {
      const batched = gradient([2, 4, 6, 3], [7, 9], dy, alignCorners);
      const plane = 4 * 6 * 3;
      for (let b = 0; b < 2; b++) {
        const single = gradient([1, 4, 6, 3], [7, 9], dy.subarray(b * 7 * 9 * 3, (b + 1) * 7 * 9 * 3), alignCorners);
        expect(Array.from(batched.subarray(b * plane, (b + 1) * plane))).toEqual(Array.from(single));
      }
    }
  });
});
