import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend/selectBackend.js';
import { accumulatedPower, FlatAdamOptimizer } from './flat-adam.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const shapes = [[3, 3, 4, 8], [8], [1, 1, 8, 2], [2], [5, 7]];

/** Variables with the same seeded values for each optimiser; `tag` keeps their names apart. */
function variables(tag: string): tf.Variable[] {
  return shapes.map((shape, i) => tf.randomNormal(shape, 0, 0.5, 'float32', 100 + i).variable(true, `${tag}/w${i}`));
}

/** Seeded gradients for step `step`, keyed by each variable's name (tfjs takes seed 0 as no seed). */
function gradients(vars: readonly tf.Variable[], step: number): tf.NamedTensorMap {
  return Object.fromEntries(vars.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, 1, 'float32', 1 + 1000 * step + i)]));
}

const bytes = (vars: readonly tf.Tensor[]) => Buffer.concat(vars.map((v) => Buffer.from((v.dataSync() as Float32Array).buffer)));

/** Runs `steps` steps (changing the rate as a schedule does) and returns the variables. */
function train(optimizer: tf.Optimizer & { learningRate: number }, vars: tf.Variable[], from: number, to: number): void {
  for (let step = from; step < to; step++) {
    optimizer.learningRate = 0.01 / (1 + step);
    const grads = gradients(vars, step);
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
}

describe('FlatAdamOptimizer', () => {
  it("gives tf.train.adam's weights byte for byte, with its checkpoint names, and keeps tf.memory() flat", async () => {
    const reference = variables('ref');
    const flat = variables('flat');
    const adam = tf.train.adam(0.01) as tf.AdamOptimizer & { learningRate: number };
    const fused = new FlatAdamOptimizer(0.01);
    train(adam, reference, 0, 2);
    train(fused, flat, 0, 2);
    const tensors = tf.memory().numTensors;
    train(adam, reference, 2, 6);
    train(fused, flat, 2, 6);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Buffer.compare(bytes(flat), bytes(reference))).toBe(0);
    expect(Buffer.compare(bytes(flat), bytes(variables('start')))).not.toBe(0);

    const a = await adam.getWeights();
    const f = await fused.getWeights();
    expect(f.map((w) => w.name.replace('flat/', 'ref/'))).toEqual(a.map((w) => w.name));
    expect(f.map((w) => w.tensor.shape)).toEqual(a.map((w) => w.tensor.shape));
    expect(Buffer.compare(bytes(f.map((w) => w.tensor)), bytes(a.map((w) => w.tensor)))).toBe(0);
    tf.dispose(f.map((w) => w.tensor));
    tf.dispose(a.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
    adam.dispose();
    fused.dispose();
  });

  it("resumes from tf.train.adam's saved weights and continues as tf.train.adam does", async () => {
    const reference = variables('ref2');
    const adam = tf.train.adam(0.01) as tf.AdamOptimizer & { learningRate: number };
    train(adam, reference, 0, 3);
    // A second copy of the variables at step 3, under the names the saved moments carry.
    const saved = (await adam.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    const copy = reference.map((v) => v.clone());
    const resumedVars = reference.map((v) => v);
    const fused = new FlatAdamOptimizer(0.01);
    await fused.setWeights(saved);
    train(adam, reference, 3, 6);
    const expected = bytes(reference);
    // Put the step-3 values back and continue with the flat optimiser instead.
    resumedVars.forEach((v, i) => v.assign(copy[i]!));
    train(fused, resumedVars, 3, 6);
    expect(Buffer.compare(bytes(resumedVars), expected)).toBe(0);
    tf.dispose([...saved.map((w) => w.tensor), ...copy]);
    adam.dispose();
    fused.dispose();
  });

  it('accumulatedPower is the product tf.mul builds one step at a time, where tf.pow is not', () => {
    let acc = tf.scalar(0.999);
    let powDiffers = 0;
    for (let steps = 1; steps <= 300; steps++) {
      const next = tf.mul(acc, 0.999);
      acc.dispose();
      acc = next as tf.Scalar;
      const stepped = acc.dataSync()[0]!;
      expect(accumulatedPower(0.999, steps)).toBe(stepped);
      const pow = tf.pow(0.999, steps + 1);
      if (pow.dataSync()[0] !== stepped) powDiffers++;
      pow.dispose();
    }
    acc.dispose();
    // The bug this replaces: restoring with tf.pow gave another accumulator after some step counts.
    expect(powDiffers).toBeGreaterThan(0);
  });

  it('a run saved and restored after any step continues to the same bytes as the uninterrupted run', async () => {
    const straight = variables('straight');
    const uninterrupted = new FlatAdamOptimizer(0.01);
    train(uninterrupted, straight, 0, 12);
    const expected = bytes(straight);
    uninterrupted.dispose();
    for (const cut of [1, 2, 5, 9]) {
      const vars = variables(`cut${cut}`);
      const first = new FlatAdamOptimizer(0.01);
      train(first, vars, 0, cut);
      const saved = (await first.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
      first.dispose();
      const second = new FlatAdamOptimizer(0.01);
      await second.setWeights(saved);
      train(second, vars, cut, 12);
      expect(Buffer.compare(bytes(vars), expected), `restored after step ${cut}`).toBe(0);
      tf.dispose([...saved.map((w) => w.tensor), ...vars]);
      second.dispose();
    }
  });
});
