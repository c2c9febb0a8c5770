import type { Volume } from '@medseg/data';
import { largestComponent } from './largest-component.js';
import { predictSlices, probabilitiesToLabels } from './predict-slices.js';
import { resizeBilinear } from './resize.js';
import type { Unet } from './unet.js';

export interface PredictVolumeOptions {
  /** Slices per forward pass. */
  batchSize?: number;
  /** Flip test-time augmentation (every combination of left-right and up-down). */
  tta?: boolean;
  /** Foreground threshold of the sigmoid probability (one class); softmax uses argmax. */
  threshold?: number;
  /** Keep only the largest 3D connected component of each label. */
  largestComponent?: boolean;
}

/**
 * Segments a whole (intensity-normalised) volume slice by slice: each slice is resized to the network's
 * input, predicted in batches, and its probabilities are resized back to the source grid before the
 * threshold, so the label map lies voxel for voxel on the input's grid.
 */
export function predictVolume(unet: Unet, image: Volume<Float32Array>, options: PredictVolumeOptions = {}): Volume<Uint8Array> {
  const [w, h, d] = image.shape;
  const size = unet.config.inputSize;
  const plane = size * size;
  const channels = unet.config.classes === 1 ? 1 : unet.config.classes + 1;
  const batchSize = options.batchSize ?? 8;
  const labels = new Uint8Array(w * h * d);
  const channel = new Float32Array(plane);
  const back = new Float32Array(w * h * channels);
  const resizedBack = new Float32Array(w * h);
  for (let start = 0; start < d; start += batchSize) {
    const n = Math.min(batchSize, d - start);
    const input = new Float32Array(n * plane);
    for (let k = 0; k < n; k++) {
      const z = start + k;
      resizeBilinear(image.data.subarray(z * w * h, (z + 1) * w * h), w, h, size, size, input.subarray(k * plane, (k + 1) * plane));
    }
    const probs = predictSlices(unet, input, n, { batchSize, ...(options.tta === undefined ? {} : { tta: options.tta }) });
    for (let k = 0; k < n; k++) {
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < plane; i++) channel[i] = probs[(k * plane + i) * channels + c]!;
        resizeBilinear(channel, size, size, w, h, resizedBack);
        for (let i = 0; i < w * h; i++) back[i * channels + c] = resizedBack[i]!;
      }
      labels.set(probabilitiesToLabels(back, channels, options.threshold ?? 0.5), (start + k) * w * h);
    }
  }
  const data = options.largestComponent === true ? largestComponent(labels, image.shape) : labels;
  return { data, shape: image.shape, spacing: image.spacing, origin: image.origin, direction: image.direction };
}
