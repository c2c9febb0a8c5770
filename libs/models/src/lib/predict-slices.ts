import * as tf from '@tensorflow/tfjs';
import { slicesTensor } from './slice-context.js';
import { type Unet, unetInputChannels } from './unet.js';
import { outputChannels } from './decoder.js';

export interface PredictSlicesOptions {
  batchSize?: number;
  /** Flip test-time augmentation: the mean over plain, left-right, up-down and both-flipped inputs. */
  tta?: boolean;
}

/**
 * Probabilities for `count` slices [count, size, size] (channels last, [count, size, size, inputs], for a network
 * with context slices) at the network's input size: [count, size, size, channels]
 * with channels last (one sigmoid channel, or softmax over background + classes). Runs in batches, inference
 * mode, and leaves no tensors behind.
 */
export async function predictSlices(unet: Unet, images: Float32Array, count: number, options: PredictSlicesOptions = {}): Promise<Float32Array> {
  const size = unet.config.inputSize;
  const plane = size * size;
  const inputs = unetInputChannels(unet.config);
  if (images.length !== count * plane * inputs) {
    throw new RangeError(`predictSlices: images holds ${images.length} values, expected ${count} x ${size} x ${size} x ${inputs}`);
  }
  const batchSize = options.batchSize ?? 8;
  const channels = outputChannels(unet.config.classes);
  const out = new Float32Array(count * plane * channels);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probs = tf.tidy(() => {
      const x = slicesTensor(images.subarray(start * plane * inputs, (start + n) * plane * inputs), n, size, inputs);
      let p = unet.predict(x);
      if (options.tta === true) {
        // Flip the input, predict, flip back: left-right is axis 2 of [n, h, w(, c)], up-down axis 1. All four
        // combinations (as nnU-Net mirrors) make the result exactly equivariant to either flip.
        const flips: number[][] = [[2], [1], [1, 2]];
        const mirrored = flips.map((axes) => tf.reverse(unet.predict(tf.reverse(x, axes)), axes));
        p = tf.addN([p, ...mirrored]).div(4) as tf.Tensor4D;
      }
      return p;
    });
    // Read back asynchronously: the webgpu backend cannot read synchronously in Node (no OffscreenCanvas).
    try {
      out.set(await probs.data(), start * plane * channels);
    } finally {
      probs.dispose();
    }
  }
  return out;
}

/** Label map from channels-last probabilities: threshold for one channel, argmax otherwise. */
export function probabilitiesToLabels(probs: Float32Array, channels: number, threshold = 0.5): Uint8Array {
  const pixels = probs.length / channels;
  const labels = new Uint8Array(pixels);
  if (channels === 1) {
    for (let i = 0; i < pixels; i++) labels[i] = probs[i]! >= threshold ? 1 : 0;
    return labels;
  }
  for (let i = 0; i < pixels; i++) {
    let best = 0;
    for (let c = 1; c < channels; c++) if (probs[i * channels + c]! > probs[i * channels + best]!) best = c;
    labels[i] = best;
  }
  return labels;
}
