import * as tf from '@tensorflow/tfjs';
import type { Rng, Volume } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
import type { TrainingBatch } from './training-step.js';
import { resizeBilinear } from './resize.js';

/**
 * 2.5D input: each slice enters the network with `contextSlices` neighbours on either side as extra channels
 * (slice z-k..z+k, channels last), so a 2D network sees the through-plane continuity a radiologist scrolls for.
 * With an ImageNet encoder the three channels of one neighbour each side take the places of red, green and
 * blue, and the pretrained first kernel is used whole instead of summed over a repeated grey channel.
 */
export const contextSliceChoices: readonly number[] = [0, 1];

/** Channels of the network's input for `contextSlices` neighbours each side. */
export function inputChannels(contextSlices: number): number {
  return 2 * contextSlices + 1;
}

export function validateContextSlices(contextSlices: number): void {
  if (!contextSliceChoices.includes(contextSlices)) {
    throw new ModelOptionsError(`contextSlices must be ${contextSliceChoices.join(' or ')} (the encoder reads one or three channels), got ${contextSlices}`);
  }
}

/**
 * Every axial slice of a volume resized to size x size (bilinear), with its neighbours as channels:
 * [depth, size, size, channels], channels last, slice z-k first. Beyond either end of the volume the end slice
 * is repeated (replicate padding), so the first and last slices keep their own content in every channel.
 */
export function volumeSliceStack(image: Volume<Float32Array>, size: number, contextSlices = 0): Float32Array {
  validateContextSlices(contextSlices);
  const [w, h, d] = image.shape;
  const plane = size * size;
  const resized = new Float32Array(d * plane);
  for (let z = 0; z < d; z++) resizeBilinear(image.data.subarray(z * w * h, (z + 1) * w * h), w, h, size, size, resized.subarray(z * plane, (z + 1) * plane));
  const channels = inputChannels(contextSlices);
  if (channels === 1) return resized;
  const stack = new Float32Array(d * plane * channels);
  for (let z = 0; z < d; z++) {
    for (let c = 0; c < channels; c++) {
      const source = Math.min(d - 1, Math.max(0, z + c - contextSlices)) * plane;
      const target = z * plane * channels + c;
      for (let i = 0; i < plane; i++) stack[target + i * channels] = resized[source + i]!;
    }
  }
  return stack;
}

/** Slices as the network's input tensor: [n, size, size] for one channel, else [n, size, size, channels]. */
export function slicesTensor(images: Float32Array, count: number, size: number, channels: number): tf.Tensor3D | tf.Tensor4D {
  return channels === 1 ? tf.tensor3d(images, [count, size, size]) : tf.tensor4d(images, [count, size, size, channels]);
}

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
