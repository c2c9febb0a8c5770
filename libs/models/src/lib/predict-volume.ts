import type { Volume } from '@medseg/data';
import { predictSlicesParallel } from './data-parallel/parallel-predict.js';
import type { ReplicaPool } from './data-parallel/replica-pool.js';
import { ModelOptionsError } from './errors.js';
import { largestComponent } from './largest-component.js';
import { predictSlices, probabilitiesToLabels } from './predict-slices.js';
import { resizeBilinear } from './resize.js';
import { volumeSliceStack } from './slice-context.js';
import type { Unet } from './unet.js';
import { outputChannels } from './decoder.js';

export interface PredictVolumeOptions {
  /** Slices per forward pass. */
  batchSize?: number;
  /** Flip test-time augmentation (every combination of left-right and up-down). */
  tta?: boolean;
  /** Foreground threshold of the sigmoid probability (one class); softmax uses argmax. */
  threshold?: number;
  /** Keep only the largest 3D connected component of each label. */
  largestComponent?: boolean;
  /** Replicas of each model (by position; see createReplicaPool) that share its slices with this thread. */
  replicas?: readonly (ReplicaPool | undefined)[];
}

/**
 * Segments a whole (intensity-normalised) volume slice by slice: each slice is resized to the network's
 * input, predicted in batches, and its probabilities are resized back to the source grid before the
 * threshold, so the label map lies voxel for voxel on the input's grid.
 *
 * Given several networks (an ensemble, as nnU-Net averages its cross-validation folds), the label map comes
 * from the mean of their probabilities on the source grid, so members may differ in input size.
 */
export async function predictVolume(model: Unet | readonly Unet[], image: Volume<Float32Array>, options: PredictVolumeOptions = {}): Promise<Volume<Uint8Array>> {
  const unets: readonly Unet[] = Array.isArray(model) ? model : [model as Unet];
  if (unets.length === 0) throw new ModelOptionsError('predictVolume: no model given');
  const channels = outputChannels(unets[0]!.config.classes);
  for (const [i, unet] of unets.entries()) {
    if (outputChannels(unet.config.classes) !== channels) {
      throw new ModelOptionsError(`predictVolume: ensemble member ${i + 1} predicts ${unet.config.classes} class(es), member 1 ${unets[0]!.config.classes}`);
    }
  }
  const [w, h, d] = image.shape;
  const probabilities = new Float32Array(w * h * d * channels);
  for (const [i, unet] of unets.entries()) await addSourceGridProbabilities(unet, options.replicas?.[i], image, options, probabilities);
  if (unets.length > 1) for (let i = 0; i < probabilities.length; i++) probabilities[i]! /= unets.length;
  const labels = probabilitiesToLabels(probabilities, channels, options.threshold ?? 0.5);
  const data = options.largestComponent === true ? largestComponent(labels, image.shape) : labels;
  return { data, shape: image.shape, spacing: image.spacing, origin: image.origin, direction: image.direction };
}

/** Adds one network's channels-last probabilities, resized back to the volume's grid, into `sum`. */
async function addSourceGridProbabilities(unet: Unet, replicas: ReplicaPool | undefined, image: Volume<Float32Array>, options: PredictVolumeOptions, sum: Float32Array): Promise<void> {
  const [w, h, d] = image.shape;
  const size = unet.config.inputSize;
  const plane = size * size;
  const channels = outputChannels(unet.config.classes);
  const input = volumeSliceStack(image, size, unet.config.contextSlices ?? 0);
  const slicesOptions = { batchSize: options.batchSize ?? 8, ...(options.tta === undefined ? {} : { tta: options.tta }) };
  const probs = replicas === undefined ? predictSlices(unet, input, d, slicesOptions) : await predictSlicesParallel(unet, replicas, input, d, slicesOptions);
  const channel = new Float32Array(plane);
  const resizedBack = new Float32Array(w * h);
  for (let z = 0; z < d; z++) {
    const offset = z * w * h * channels;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < plane; i++) channel[i] = probs[(z * plane + i) * channels + c]!;
      resizeBilinear(channel, size, size, w, h, resizedBack);
      for (let i = 0; i < w * h; i++) sum[offset + i * channels + c]! += resizedBack[i]!;
    }
  }
}
