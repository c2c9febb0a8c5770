import type { TrainingBatch } from '../training-batch.js';

/** Sizes of `parts` near-equal shares of `total` items (the first ones one larger), never an empty one. */
export function shareSizes(total: number, parts: number): number[] {
  const count = Math.min(parts, total);
  return Array.from({ length: count }, (_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
}

/** Contiguous shares of a batch (see shareSizes), in order. */
export function splitBatch(batch: TrainingBatch, parts: number): TrainingBatch[] {
  const plane = batch.height * batch.width;
  const inputPlane = plane * (batch.channels ?? 1);
  let start = 0;
  return shareSizes(batch.count, parts).map((n) => {
    const share = { ...batch, images: batch.images.slice(start * inputPlane, (start + n) * inputPlane), masks: batch.masks.slice(start * plane, (start + n) * plane), count: n };
    start += n;
    return share;
  });
}
