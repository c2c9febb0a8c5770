import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasmBackend } from './wasmBackend.js';

type Shape4 = [number, number, number, number];

function seeded(shape: Shape4): Float32Array {
  const rng = createRng(7);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

/** d/dx Σ w·upsample(x) on one backend: the kernel under test receives dy = w. */
async function upsampleGradient(backend: 'cpu' | 'wasm', inShape: Shape4, out: [number, number], alignCorners: boolean): Promise<Float32Array> {
  await tf.setBackend(backend);
  const outShape: Shape4 = [inShape[0], out[0], out[1], inShape[3]];
  const weights = seeded(outShape);
  const g = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, out, alignCorners).mul(tf.tensor(weights, outShape)).sum())(tf.zeros(inShape)),
  );
  const values = (await g.data()) as Float32Array;
  g.dispose();
  return values;
}

/** Closed form for an integer factor: each input pixel's gradient is the sum of its f×f block of dy. */
function blockSums(inShape: Shape4, out: [number, number]): Float32Array {
  const [n, h, w, c] = inShape;
  const fh = out[0] / h;
  const fw = out[1] / w;
  const dy = seeded([n, out[0], out[1], c]);
  const sums = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < out[0]; y++)
      for (let x = 0; x < out[1]; x++)
        for (let k = 0; k < c; k++) {
          const target = ((b * h + Math.floor(y / fh)) * w + Math.floor(x / fw)) * c + k;
          sums[target] = sums[target]! + dy[((b * out[0] + y) * out[1] + x) * c + k]!;
        }
  return sums;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
}

describe('resizeNearestNeighborGradWasm', () => {
  beforeAll(async () => {
    await activateWasmBackend();
  });

  // Sums of f² values of magnitude ≤ 1 via an average pool times f²: within a few float32 ulps of exact sums.
  for (const [inShape, out] of [
    [[2, 4, 6, 3], [8, 12]],
    [[3, 5, 3, 2], [15, 6]],
  ] as const) {
    it(`integer upsampling ${inShape[1]}x${inShape[2]} → ${out[0]}x${out[1]}, batch ${inShape[0]}: block sums of dy`, async () => {
      const wasm = await upsampleGradient('wasm', [...inShape], [...out], false);
      expect(maxDifference(wasm, blockSums([...inShape], [...out]))).toBeLessThanOrEqual(1e-5);
    });
  }

  it('non-integer factors and alignCorners fall back to the stock kernel (same result as cpu, batch 1)', async () => {
    // Batch 1 only: tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad repeats the first image's result for
    // every later image of a batch, so it is no reference beyond batch 1.
    for (const [out, alignCorners] of [
      [[7, 9], false],
      [[8, 12], true],
    ] as const) {
      const wasm = await upsampleGradient('wasm', [1, 4, 6, 2], [...out], alignCorners);
      const cpu = await upsampleGradient('cpu', [1, 4, 6, 2], [...out], alignCorners);
      expect(maxDifference(wasm, cpu)).toBeLessThanOrEqual(1e-5);
    }
  });
});
