import * as tf from '@tensorflow/tfjs';
import type { Volume } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
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
