import type { Rng } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
import type { TrainingBatch } from './training-batch.js';

/** Channel `c` of channels-last slices, as one-channel planes (what augmentation works on). */
export function channelPlanes(images: Float32Array, channels: number, c: number): Float32Array {
  const out = new Float32Array(images.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = images[i * channels + c]!;
  return out;
}

/** Writes one-channel planes into channel `c` of channels-last slices. */
export function setChannelPlanes(images: Float32Array, channels: number, c: number, planes: Float32Array): void {
  for (let i = 0; i < planes.length; i++) images[i * channels + c] = planes[i]!;
}

/** An augmentation of one-channel batches, as trainUnet takes it. */
export type BatchAugmenter = (batch: TrainingBatch, rng: Rng) => TrainingBatch | Promise<TrainingBatch>;

/**
 * Augments a batch whose slices carry context channels with an augmenter of one-channel batches: each channel
 * runs through it with a fresh generator from `rngFor`, which gives the same generator every call, so every
 * channel gets the same draws (flip, rotation, warp, intensity) and the stack stays aligned with itself and the
 * mask. The masks that come back must agree; they differ only if the augmenter is not a function of its
 * generator, which is then reported instead of training on misaligned channels.
 */
export function augmentChannels(augment: BatchAugmenter, batch: TrainingBatch, rngFor: () => Rng): TrainingBatch | Promise<TrainingBatch> {
  const channels = batch.channels ?? 1;
  if (channels === 1) return augment(batch, rngFor());
  const { channels: _, ...shape } = batch;
  const parts = Array.from({ length: channels }, (_unused, c) => augment({ ...shape, images: channelPlanes(batch.images, channels, c) }, rngFor()));
  const assemble = (done: TrainingBatch[]): TrainingBatch => {
    const first = done[0]!;
    const images = new Float32Array(first.images.length * channels);
    done.forEach((part, c) => {
      if (part.masks.length !== first.masks.length || part.masks.some((v, i) => v !== first.masks[i])) {
        throw new ModelOptionsError(`augmentChannels: channel ${c} came back with another mask than channel 0; the augmentation must depend on its generator alone`);
      }
      setChannelPlanes(images, channels, c, part.images);
    });
    return { ...first, images, channels };
  };
  return parts.some((p) => p instanceof Promise) ? Promise.all(parts).then(assemble) : assemble(parts as TrainingBatch[]);
}
