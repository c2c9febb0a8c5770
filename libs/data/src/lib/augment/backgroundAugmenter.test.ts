import { afterAll, describe, expect, it } from 'vitest';
import { readStsSlice } from '../../testing.js';
import { createRng } from '../random.js';
import { createAugmentPipeline } from './augmentPipeline.js';
import { createBackgroundAugmenter } from './backgroundAugmenter.js';
import type { SliceBatch } from './sliceBatch.js';

/** Four real tumour slices of STS_001 as one batch. */
async function stsBatch(): Promise<SliceBatch> {
  const slices = await Promise.all([24, 26, 28, 30].map((z) => readStsSlice('STS_001', z)));
  const { width, height } = slices[0]!;
  const images = new Float32Array(4 * width * height);
  const masks = new Uint8Array(4 * width * height);
  slices.forEach((s, i) => {
    images.set(s.image, i * width * height);
    masks.set(s.mask, i * width * height);
  });
  return { images, masks, count: 4, height, width };
}

const bytes = (batch: SliceBatch) => Buffer.concat([Buffer.from(batch.images.buffer, batch.images.byteOffset, batch.images.byteLength), Buffer.from(batch.masks)]);

describe('createBackgroundAugmenter', () => {
  const augmenter = createBackgroundAugmenter('heavy', { seed: 3 });
  afterAll(() => augmenter.close());

  it('gives the same bytes as the pipeline run inline, with several batches in flight', async () => {
    const batch = await stsBatch();
    const inline = createAugmentPipeline('heavy', { seed: 3 });
    const epoch = createRng(3).child('epoch:0');
    const keys = ['augment:0', 'augment:1', 'augment:2'];
    const background = await Promise.all(keys.map((key) => augmenter.apply(batch, epoch.child(key))));
    keys.forEach((key, i) => {
      const expected = inline.apply(batch, epoch.child(key));
      expect(bytes(background[i]!).equals(bytes(expected))).toBe(true);
    });
    // Different generators give different batches (the comparison above is not vacuous).
    expect(bytes(background[0]!).equals(bytes(background[1]!))).toBe(false);
  });

  it('rejects a malformed batch with the reason, and keeps working after it', async () => {
    const batch = await stsBatch();
    const broken = { ...batch, images: batch.images.subarray(0, 10) };
    await expect(augmenter.apply(broken, createRng(1))).rejects.toThrow(/augmentation worker: /);
    const after = await augmenter.apply(batch, createRng(1));
    expect(after.count).toBe(4);
  });

  it('refuses an invalid config in the caller, naming the field', () => {
    expect(() => createBackgroundAugmenter({ flip: { probability: 2 } } as never, { seed: 1 })).toThrow(/probability/);
  });
});
