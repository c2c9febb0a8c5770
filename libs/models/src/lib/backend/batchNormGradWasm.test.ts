import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasmBackend } from './wasmBackend.js';

function seeded(size: number, seed: number, low = -1, high = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng.uniform(low, high));
}

const shape: [number, number, number, number] = [3, 5, 7, 6];
const size = shape.reduce((a, b) => a * b, 1);
const inputs = {
  x: seeded(size, 1, -2, 3),
  weights: seeded(size, 2),
  mean: seeded(6, 3),
  variance: seeded(6, 4, 0.2, 2),
  offset: seeded(6, 5),
  scale: seeded(6, 6, 0.5, 1.5),
};

/** Gradients of Σ w·BN(x) with respect to every BN input, on one backend, plus the numTensors leak check. */
async function bnGradients(backend: 'cpu' | 'wasm', withScale: boolean): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const grads = tf.tidy(() => {
    const w = tf.tensor4d(inputs.weights, shape);
    const f = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale?: tf.Tensor) =>
      tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D | undefined, 1e-3).mul(w).sum();
    const args = [tf.tensor4d(inputs.x, shape), tf.tensor1d(inputs.mean), tf.tensor1d(inputs.variance), tf.tensor1d(inputs.offset)];
    return tf.grads(f)(withScale ? [...args, tf.tensor1d(inputs.scale)] : args);
  });
  const values = await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array));
  tf.dispose(grads);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/** The batch-statistics path of a Keras BatchNormalization layer in training: moments, then batchNorm. */
async function trainingBnGradient(backend: 'cpu' | 'wasm'): Promise<Float32Array> {
  await tf.setBackend(backend);
  const g = tf.tidy(() => {
    const w = tf.tensor4d(inputs.weights, shape);
    const f = (x: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, tf.tensor1d(inputs.offset), tf.tensor1d(inputs.scale), 1e-3).mul(w).sum();
    };
    return tf.grad(f)(tf.tensor4d(inputs.x, shape));
  });
  const values = (await g.data()) as Float32Array;
  g.dispose();
  return values;
}

// float32 sums of ~100 terms in a different order (GEMM vs reduction): 1e-4 relative to the largest value.
function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  const worst = Math.max(...Array.from(expected, (e, i) => Math.abs(actual[i]! - e)));
  expect(worst).toBeLessThanOrEqual(1e-4 * scale);
}

describe('batchNormGradWasm (FusedBatchNorm gradient on wasm)', () => {
  beforeAll(async () => {
    await activateWasmBackend();
  });

  // Only with scale: tfjs 4.22 cannot differentiate batchNorm without one on any backend (its tape saves the
  // missing input), and Keras BatchNormalization layers always pass gamma and beta.
  it('matches the stock gradient on cpu for x, mean, variance, offset and scale', async () => {
    const wasm = await bnGradients('wasm', true);
    const cpu = await bnGradients('cpu', true);
    for (let i = 0; i < 5; i++) expectClose(wasm[i]!, cpu[i]!);
  });

  it('matches the cpu gradient through batch statistics (a BatchNormalization layer in training)', async () => {
    expectClose(await trainingBnGradient('wasm'), await trainingBnGradient('cpu'));
  });

  it('leaves other backends on the stock gradient (cpu results unchanged by registration)', async () => {
    // The stock gradient's Tile shows up in a cpu profile; ours never tiles.
    await tf.setBackend('cpu');
    const profile = await tf.profile(() => {
      const g = tf.grad((x: tf.Tensor) =>
        tf.batchNorm4d(x as tf.Tensor4D, tf.tensor1d(inputs.mean), tf.tensor1d(inputs.variance), tf.tensor1d(inputs.offset), tf.tensor1d(inputs.scale)).sum(),
      );
      return g(tf.tensor4d(inputs.x, shape));
    });
    expect(profile.kernelNames).toContain('Tile');
  });
});
