import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasmBackend } from './wasmBackend.js';

const rng = createRng(21);
const tensorValues = (shape: number[], dtype: 'float32' | 'int32') =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (dtype === 'int32' ? rng.int(-1000, 1000) : rng.uniform(-3, 3)));

/** Runs `f` on the named backend and returns every output's shape, dtype and values. */
async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]) {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const result = await Promise.all(list.map(async (t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) })));
  tf.dispose(list);
  return result;
}

describe('channel-axis Concat and SplitV on wasm (plain loops instead of a set per row)', () => {
  beforeAll(async () => {
    await activateWasmBackend();
  });

  const cases: { name: string; shapes: number[][]; axis: number; dtype: 'float32' | 'int32' }[] = [
    { name: 'U-Net skip, last axis as -1', shapes: [[2, 5, 4, 8], [2, 5, 4, 3]], axis: -1, dtype: 'float32' },
    { name: 'three parts, last axis as 3', shapes: [[2, 3, 3, 1], [2, 3, 3, 5], [2, 3, 3, 2]], axis: 3, dtype: 'float32' },
    { name: 'int32, rank 2', shapes: [[7, 2], [7, 9]], axis: 1, dtype: 'int32' },
    { name: 'not the last axis (stock kernel)', shapes: [[2, 3, 4], [2, 1, 4]], axis: 1, dtype: 'float32' },
  ];
  for (const { name, shapes, axis, dtype } of cases) {
    it(`concat and its gradient (split): ${name} match the cpu backend exactly`, async () => {
      const data = shapes.map((shape) => tensorValues(shape, dtype));
      const concat = () => tf.concat(data.map((values, i) => tf.tensor(values, shapes[i], dtype)), axis);
      expect(await on('wasm', concat)).toEqual(await on('cpu', concat));
      if (dtype !== 'float32') return;
      // The gradient of concat is a SplitV of the upstream gradient into the inputs' widths.
      const outShape = [...shapes[0]!];
      const last = axis < 0 ? outShape.length + axis : axis;
      outShape[last] = shapes.reduce((sum, shape) => sum + shape[last]!, 0);
      const weightValues = tensorValues(outShape, 'float32');
      const grads = () => {
        const inputs = data.map((values, i) => tf.tensor(values, shapes[i]));
        const weights = tf.tensor(weightValues, outShape);
        return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.concat(xs, axis), weights)))(inputs);
      };
      expect(await on('wasm', grads)).toEqual(await on('cpu', grads));
    });
  }

  it('splits by a count, by sizes with -1, and into one part (the stock kernel) as the cpu backend does', async () => {
    const values = tensorValues([3, 2, 12], 'float32');
    for (const splits of [3, [4, -1, 2], [12]] as (number | number[])[]) {
      const split = () => tf.split(tf.tensor(values, [3, 2, 12]), splits, -1);
      expect(await on('wasm', split)).toEqual(await on('cpu', split));
    }
  });
});
