import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/selectBackend.js';
import { segmentationLoss } from '../losses.js';
import type { Volume } from '@medseg/data';
import { predictSlices } from '../predict-slices.js';
import { predictVolume } from '../predict-volume.js';
import { smallTrainSettings, smallUnetOptions } from '../../testing/small-unet.js';
import { syntheticSliceSet } from '../../testing/synthetic-slices.js';
import { trainUnet, validationDice } from '../train.js';
import { buildSliceSet } from '../slice-set.js';
import { splitBatch } from './shares.js';
import type { TrainingBatch } from '../training-batch.js';
import { batchGradients, trainableVariables } from '../training-step.js';
import { buildUnet, type Unet } from '../unet.js';
import { parallelBatchGradients } from './parallel-gradients.js';
import { predictSlicesParallel } from './parallel-predict.js';
import { createReplicaPool, type ReplicaPool } from './replica-pool.js';
import { packValues } from './replica-weights.js';

const set = syntheticSliceSet({ cases: 2, perCase: 4, size: 64, seed: 3 });
const batchOf = (start: number, count: number): TrainingBatch => ({
  images: set.images.slice(start * 64 * 64, (start + count) * 64 * 64),
  masks: set.masks.slice(start * 64 * 64, (start + count) * 64 * 64),
  count,
  height: 64,
  width: 64,
});

/** This thread's gradients of a batch, flattened in trainableVariables order (as replicas send them). */
function localGradients(unet: Unet, batch: TrainingBatch): { grads: Float32Array; loss: number } {
  const { value, grads } = tf.tidy(() => batchGradients(unet, segmentationLoss('dice+bce'), batch));
  const flat = packValues(trainableVariables(unet).map((v) => grads[v.name]!));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { grads: flat, loss };
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);
const maxAbs = (a: Float32Array) => a.reduce((worst, v) => Math.max(worst, Math.abs(v)), 0);

let unet: Unet;
let pool: ReplicaPool;

beforeAll(async () => {
  await selectBackend('wasm');
  // Unfrozen top block, so the replicas' encoder copies must follow the main network's updates too.
  unet = await buildUnet(smallUnetOptions({ seed: 4, unfreezeFrom: 'conv_dw_13' }));
  pool = await createReplicaPool(unet, { replicas: 2, backend: 'wasm', loss: 'dice+bce' });
});

afterAll(async () => {
  await pool.close();
  unet.dispose();
});

describe('createReplicaPool', () => {
  it('replicas compute the gradients this thread computes on the same share, before and after the weights move', async () => {
    const shares = [batchOf(0, 2), batchOf(2, 3)];
    const check = async () => {
      const remote = await pool.gradients(shares);
      shares.forEach((share, i) => {
        const local = localGradients(unet, share);
        expect(maxDifference(remote[i]!.grads, local.grads)).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(local.grads)));
        expect(remote[i]!.loss).toBeCloseTo(local.loss, 6);
      });
      return remote;
    };
    const before = await check();
    // Move every trainable weight and the decoder's BN statistics, as a training step does.
    tf.tidy(() => {
      for (const v of trainableVariables(unet)) v.assign(v.add(tf.randomNormal(v.shape, 0, 0.01, 'float32', 9)));
    });
    localGradients(unet, batchOf(0, 4)); // a training-mode forward pass updates the BN moving statistics
    const after = await check();
    expect(maxDifference(before[0]!.grads, after[0]!.grads)).toBeGreaterThan(0);
  });

  it("averages a batch's gradients as the share-weighted mean of each share's gradients", async () => {
    const batch = batchOf(0, 7);
    const shares = splitBatch(batch, pool.size + 1);
    const expected = new Float64Array(localGradients(unet, shares[0]!).grads.length);
    let expectedLoss = 0;
    for (const share of shares) {
      const local = localGradients(unet, share);
      local.grads.forEach((g, k) => (expected[k]! += (g * share.count) / batch.count));
      expectedLoss += (local.loss * share.count) / batch.count;
    }
    const { loss, grads } = await parallelBatchGradients(unet, segmentationLoss('dice+bce'), batch, pool);
    const got = packValues(trainableVariables(unet).map((v) => grads[v.name]!));
    tf.dispose(Object.values(grads));
    const scale = maxAbs(Float32Array.from(expected));
    expect(maxDifference(got, Float32Array.from(expected))).toBeLessThanOrEqual(1e-5 * scale);
    expect(loss).toBeCloseTo(expectedLoss, 5);
  });

  it('replicas predict what this thread predicts', async () => {
    const parts = [{ images: batchOf(0, 3).images, count: 3 }, { images: batchOf(3, 5).images, count: 5 }];
    const remote = await pool.predict(parts, { batchSize: 4 });
    for (const [i, part] of parts.entries()) expect(maxDifference(remote[i]!, await predictSlices(unet, part.images, part.count, { batchSize: 4 }))).toBeLessThan(1e-6);
  });

  it('shares out the slices of a volume: the same probabilities and label map as this thread alone', async () => {
    const probs = await predictSlices(unet, set.images, set.count, { batchSize: 3 });
    expect(maxDifference(await predictSlicesParallel(unet, pool, set.images, set.count, { batchSize: 3 }), probs)).toBeLessThan(1e-6);
    // A threshold halfway between two neighbouring probabilities, so rounding cannot move a voxel across it.
    const sorted = Float32Array.from(probs).sort();
    const k = sorted.length >> 1;
    const threshold = (sorted[k]! + sorted.slice(k).find((v) => v > sorted[k]!)!) / 2;
    const image: Volume<Float32Array> = { data: set.images, shape: [64, 64, set.count], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] };
    const alone = await predictVolume(unet, image, { threshold });
    const shared = await predictVolume(unet, image, { threshold, replicas: [pool] });
    expect(shared.data).toEqual(alone.data);
    expect(alone.data.some((v) => v === 1) && alone.data.some((v) => v === 0)).toBe(true);
  });

  it('validates with the replicas to the same Dice as this thread alone', async () => {
    const val = syntheticSliceSet({ cases: 2, perCase: 3, size: 64, seed: 6 });
    const alone = await validationDice(unet, val, 2);
    expect(Number.isFinite(alone.perPatient) && Number.isFinite(alone.perSlice)).toBe(true);
    expect(await validationDice(unet, val, 2, pool)).toEqual(alone);
  });

  it('refuses native backends, which use every core already, and more shares than replicas', async () => {
    await expect(createReplicaPool(unet, { replicas: 1, backend: 'tensorflow', loss: 'dice+bce' })).rejects.toThrow(/one-thread backend .* not tensorflow/);
    await expect(pool.gradients([batchOf(0, 1), batchOf(1, 1), batchOf(2, 1)])).rejects.toThrow(/3 shares for 2 replicas/);
  });
});

describe('splitBatch', () => {
  it('cuts a batch into contiguous, near-equal, non-empty shares that put it back together', () => {
    const batch = batchOf(0, 7);
    for (const parts of [1, 2, 3, 7, 9]) {
      const shares = splitBatch(batch, parts);
      expect(shares.map((s) => s.count)).toEqual(
        Array.from({ length: Math.min(parts, 7) }, (_, i) => Math.floor(7 / Math.min(parts, 7)) + (i < 7 % Math.min(parts, 7) ? 1 : 0)),
      );
      expect(Buffer.compare(Buffer.concat(shares.map((s) => Buffer.from(s.images.buffer))), Buffer.from(batch.images.buffer))).toBe(0);
      expect(Buffer.compare(Buffer.concat(shares.map((s) => Buffer.from(s.masks))), Buffer.from(batch.masks))).toBe(0);
    }
  });
});

describe('trainUnet with replicas', () => {
  const settings = smallTrainSettings({ batchSize: 4 });
  const train = syntheticSliceSet({ cases: 2, perCase: 4, size: 64, seed: 1 });
  const val = syntheticSliceSet({ cases: 2, perCase: 2, size: 64, seed: 2 });

  it('learns, gives the same weights for the same seed and replicas, and keeps tf.memory() flat', async () => {
    const runs = [];
    const counts: number[] = [];
    for (let k = 0; k < 2; k++) {
      const model = await buildUnet(smallUnetOptions({ seed: 11 }));
      const replicas = await createReplicaPool(model, { replicas: 1, backend: 'wasm', loss: settings.loss });
      try {
        const outDir = await mkdtemp(join(tmpdir(), 'medseg-replicas-'));
        const onEvent = k === 0 ? (e: { type: string }) => e.type === 'epoch' && counts.push(tf.memory().numTensors) : undefined;
        const { state } = await trainUnet({ unet: model, train, val, outDir, settings, replicas, ...(onEvent ? { onEvent } : {}) });
        runs.push({ model, state, weights: packValues(trainableVariables(model)) });
      } finally {
        await replicas.close();
      }
    }
    const [a, b] = runs;
    expect(Buffer.compare(Buffer.from(a!.weights.buffer), Buffer.from(b!.weights.buffer))).toBe(0);
    const losses = a!.state.history.map((h) => h.loss);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    expect(counts).toHaveLength(3);
    expect(counts[2]).toBe(counts[1]);
    for (const r of runs) r.model.dispose();
  });
});

describe('replicas of a network with context slices', () => {
  it('split three-channel batches by slice and compute what this thread computes on each share', async () => {
    const model = await buildUnet(smallUnetOptions({ seed: 4, contextSlices: 1 }));
    const replicas = await createReplicaPool(model, { replicas: 1, backend: 'wasm', loss: 'dice+bce' });
    try {
      const volume: Volume<Float32Array> = { data: set.images, shape: [64, 64, set.count], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] };
      const stack = buildSliceSet([{ id: 'v', image: volume, mask: { ...volume, data: set.masks } }], 64, 1);
      const batch: TrainingBatch = { images: stack.images, masks: stack.masks, count: stack.count, height: 64, width: 64, channels: 3 };
      const shares = splitBatch(batch, 2);
      expect(shares.map((s) => s.images.length)).toEqual([4 * 64 * 64 * 3, 4 * 64 * 64 * 3]);
      expect(Buffer.compare(Buffer.from(shares[1]!.images.buffer), Buffer.from(batch.images.slice(4 * 64 * 64 * 3).buffer))).toBe(0);
      const [remote] = await replicas.gradients([shares[1]!]);
      const local = localGradients(model, shares[1]!);
      expect(maxDifference(remote!.grads, local.grads)).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(local.grads)));
      const probs = await predictSlices(model, stack.images, stack.count, { batchSize: 3 });
      expect(maxDifference(await predictSlicesParallel(model, replicas, stack.images, stack.count, { batchSize: 3 }), probs)).toBeLessThan(1e-6);
    } finally {
      await replicas.close();
      model.dispose();
    }
  });
});
