import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasmBackend } from './wasmBackend.js';

const shape = [3, 5, 4, 6];
const rng = createRng(11);
const values = Float32Array.from({ length: 3 * 5 * 4 * 6 }, () => rng.uniform(-2, 2));

async function reduce(backend: 'cpu' | 'wasm', kind: 'sum' | 'mean', axis: number[], keepDims: boolean) {
  await tf.setBackend(backend);
  const out = tf.tidy(() => tf[kind](tf.tensor(values, shape), axis, keepDims));
  const result = { shape: out.shape, values: (await out.data()) as Float32Array };
  out.dispose();
  return result;
}

describe('leadingAxesReductionWasm (Sum and Mean over all but the last axis on wasm)', () => {
  beforeAll(async () => {
    await activateWasmBackend();
  });

  // Covered axes (any order, keepDims or not) and axes that must fall back to the stock kernel.
  for (const axis of [[0, 1, 2], [2, 0, 1], [0, 1], [3], [1, 2, 3]])
    for (const kind of ['sum', 'mean'] as const)
      for (const keepDims of [false, true]) {
        it(`${kind} over [${axis.join(', ')}]${keepDims ? ' keepDims' : ''} matches the cpu backend`, async () => {
          const wasm = await reduce('wasm', kind, axis, keepDims);
          const cpu = await reduce('cpu', kind, axis, keepDims);
          expect(wasm.shape).toEqual(cpu.shape);
          // Sums of up to 60 values in [-2, 2] in another order: float32 agreement to 1e-5 absolute.
          const worst = Math.max(...Array.from(cpu.values, (v, i) => Math.abs(v - wasm.values[i]!)));
          expect(worst).toBeLessThanOrEqual(1e-5);
        });
      }
});
