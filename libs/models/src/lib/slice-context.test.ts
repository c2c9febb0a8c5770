import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAugmentPipeline, createBackgroundAugmenter, createRng, type Volume } from '@medseg/data';
import { selectBackend } from './backend/selectBackend.js';
import { loadCheckpoint } from './checkpoint.js';
import { ModelOptionsError } from './errors.js';
import { predictSlices } from './predict-slices.js';
import { predictVolume } from './predict-volume.js';
import { augmentChannels } from './augment-channels.js';
import { volumeSliceStack } from './slice-context.js';
import { buildSliceSet } from './slice-set.js';
import { smallTrainSettings, smallUnetOptions } from '../testing/small-unet.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { trainUnet } from './train.js';
import type { TrainingBatch } from './training-batch.js';
import { buildUnet } from './unet.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const pipeline = createAugmentPipeline('default', { seed: 9 });
const geometry = { spacing: [1, 1, 3] as const, origin: [0, 0, 0] as const, direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as const };

/** A volume whose slice z is the constant z + 1 (constant planes resize to themselves exactly). */
function constantSlices(width: number, height: number, depth: number): Volume<Float32Array> {
  const data = new Float32Array(width * height * depth);
  for (let z = 0; z < depth; z++) data.fill(z + 1, z * width * height, (z + 1) * width * height);
  return { data, shape: [width, height, depth], ...geometry };
}

/** Three copies of a one-channel batch, as the channels of a context batch. */
function repeatChannels(images: Float32Array): Float32Array {
  const out = new Float32Array(images.length * 3);
  images.forEach((v, i) => out.fill(v, i * 3, i * 3 + 3));
  return out;
}

describe('volumeSliceStack', () => {
  it('puts slices z-1, z, z+1 in the channels, repeating the end slices beyond the volume', () => {
    const stack = volumeSliceStack(constantSlices(5, 3, 4), 4, 1);
    expect(stack).toHaveLength(4 * 16 * 3);
    const pixel = (z: number, i: number) => Array.from(stack.subarray((z * 16 + i) * 3, (z * 16 + i) * 3 + 3));
    for (const i of [0, 7, 15]) {
      expect(pixel(0, i)).toEqual([1, 1, 2]);
      expect(pixel(1, i)).toEqual([1, 2, 3]);
      expect(pixel(2, i)).toEqual([2, 3, 4]);
      expect(pixel(3, i)).toEqual([3, 4, 4]);
    }
    // Without context it is the plain resized stack, one value per pixel.
    expect(Array.from(volumeSliceStack(constantSlices(5, 3, 4), 4).subarray(16, 18))).toEqual([2, 2]);
    expect(() => volumeSliceStack(constantSlices(5, 3, 4), 4, 2)).toThrow(ModelOptionsError);
  });

  it('lines the training slices up with their masks and keeps the context of dropped neighbours', () => {
    const image = constantSlices(8, 8, 3);
    const mask: Volume<Uint8Array> = { data: new Uint8Array(8 * 8 * 3).fill(1, 64, 128), shape: [8, 8, 3], ...geometry };
    const set = buildSliceSet([{ id: 'a', image, mask }], 8, 1);
    expect(set.channels).toBe(3);
    expect(set.masks).toHaveLength(3 * 64);
    expect(Array.from(set.images.subarray(64 * 3, 64 * 3 + 3))).toEqual([1, 2, 3]);
    expect(set.masks[64]).toBe(1);
    expect(set.masks[0]).toBe(0);
  });
});

describe('augmentChannels', () => {
  const one = syntheticSliceSet({ cases: 1, perCase: 6, size: 32, seed: 3 });
  const batch: TrainingBatch = { images: one.images, masks: one.masks, count: 6, height: 32, width: 32 };
  const rngFor = () => createRng(17).child('augment:0');

  it('gives every channel the draws of a one-channel batch, so a stack of copies stays copies of it', async () => {
    const single = pipeline.apply(batch, rngFor());
    const stacked = (await augmentChannels((b, rng) => pipeline.apply(b, rng), { ...batch, images: repeatChannels(batch.images), channels: 3 }, rngFor)) as TrainingBatch;
    expect(stacked.channels).toBe(3);
    expect(Buffer.compare(Buffer.from(stacked.masks), Buffer.from(single.masks))).toBe(0);
    expect(Buffer.compare(Buffer.from(stacked.images.buffer), Buffer.from(repeatChannels(single.images).buffer))).toBe(0);
    // The augmentation moved something, or the comparison above would prove nothing.
    expect(Buffer.compare(Buffer.from(single.masks), Buffer.from(batch.masks))).not.toBe(0);
  });

  it('gives the same bytes through the worker-backed augmenter, and refuses an augmenter that is not a function of its generator', async () => {
    const worker = createBackgroundAugmenter('default', { seed: 9 });
    try {
      const context = { ...batch, images: repeatChannels(batch.images), channels: 3 };
      const inline = (await augmentChannels((b, rng) => pipeline.apply(b, rng), context, rngFor)) as TrainingBatch;
      const background = await augmentChannels((b, rng) => worker.apply(b, rng), context, rngFor);
      expect(Buffer.compare(Buffer.from(background.images.buffer), Buffer.from(inline.images.buffer))).toBe(0);
    } finally {
      await worker.close();
    }
    let calls = 0;
    // Flips the mask on every other call, whatever the generator says: channels would be misaligned.
    const drifting = (b: TrainingBatch) => (calls++ % 2 === 0 ? b : { ...b, masks: b.masks.map((v) => 1 - v) });
    expect(() => augmentChannels(drifting, { ...batch, images: repeatChannels(batch.images), channels: 3 }, rngFor)).toThrow(/channel 1 came back with another mask/);
  });
});

describe('a U-Net with context slices', () => {
  it('equals the one-channel network on a stack of identical slices, trains, and keeps its context through a checkpoint', async () => {
    const flat = await buildUnet(smallUnetOptions({ seed: 4 }));
    const context = await buildUnet(smallUnetOptions({ seed: 4, contextSlices: 1 }));
    expect(context.config.contextSlices).toBe(1);
    expect(flat.config).not.toHaveProperty('contextSlices');
    const set = syntheticSliceSet({ cases: 1, perCase: 3, size: 64, seed: 8 });
    // The grey channel repeated is what the one-channel network feeds its encoder, so the two must agree.
    const a = await predictSlices(flat, set.images, 3);
    const b = await predictSlices(context, repeatChannels(set.images), 3);
    let worst = 0;
    a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]!))));
    expect(worst).toBeLessThan(1e-5);
    await expect(predictSlices(context, set.images, 3)).rejects.toThrow(RangeError);

    // A volume of identical slices: every context stack is three copies, so predictVolume agrees too.
    const plane = set.images.subarray(0, 64 * 64);
    const volume: Volume<Float32Array> = { data: new Float32Array(64 * 64 * 3).map((_, i) => plane[i % (64 * 64)]!), shape: [64, 64, 3], ...geometry };
    const flatLabels = await predictVolume(flat, volume, { threshold: 0.5 });
    const contextLabels = await predictVolume(context, volume, { threshold: 0.5 });
    expect(Array.from(contextLabels.data)).toEqual(Array.from(flatLabels.data));

    const image = constantSlices(64, 64, 6);
    const masks = new Uint8Array(64 * 64 * 6);
    for (let z = 1; z < 5; z++) for (let y = 20; y < 44; y++) masks.fill(1, z * 4096 + y * 64 + 20, z * 4096 + y * 64 + 44);
    const train = buildSliceSet([{ id: 'a', image: { ...image, data: image.data.map((v, i) => v / 6 + (masks[i]! ? 0.5 : 0)) }, mask: { data: masks, shape: [64, 64, 6], ...geometry } }], 64, 1);
    const before = tf.memory().numTensors;
    const outDir = await mkdtemp(join(tmpdir(), 'medseg-context-'));
    const result = await trainUnet({ unet: context, train, val: train, outDir, settings: smallTrainSettings({ epochs: 2 }), augment: (b, rng) => pipeline.apply(b, rng) });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.state.history).toHaveLength(2);
    const loaded = await loadCheckpoint(join(outDir, 'last'));
    expect(loaded.unet.config.contextSlices).toBe(1);
    const again = await predictSlices(loaded.unet, train.images, train.count);
    const here = await predictSlices(context, train.images, train.count);
    expect(Buffer.compare(Buffer.from(again.buffer), Buffer.from(here.buffer))).toBe(0);
    await expect(trainUnet({ unet: flat, train, val: train, outDir, settings: smallTrainSettings() })).rejects.toThrow(/input channel/);
    for (const list of Object.values(loaded.optimizers)) tf.dispose(list.map((w) => w.tensor));
    [flat, context, loaded.unet].forEach((u) => u.dispose());
  });
});
