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

/**
 * A network as predictVolume uses it: slices at its input size in, channels-last probabilities out. The TF.js
 * U-Net is one (tfjsSliceModel); another engine (ONNX Runtime) can be another, and the resizing, ensembling,
 * threshold and cleanup around it stay the same.
 */
export interface SliceModel {
  readonly inputSize: number;
  /** Foreground classes (1: one sigmoid channel; more: softmax over classes + 1). */
  readonly classes: number;
  readonly contextSlices: number;
  /** Probabilities [count, size, size, channels] of `count` slices as volumeSliceStack gives them. */
  predictSlices(input: Float32Array, count: number, options: { batchSize: number; tta?: boolean }): Promise<Float32Array>;
}

/** The TF.js U-Net as a SliceModel, on this thread or shared with its replicas. */
export function tfjsSliceModel(unet: Unet, replicas?: ReplicaPool): SliceModel {
  return {
    inputSize: unet.config.inputSize,
    classes: unet.config.classes,
    contextSlices: unet.config.contextSlices ?? 0,
    predictSlices: async (input, count, options) =>
      replicas === undefined ? predictSlices(unet, input, count, options) : await predictSlicesParallel(unet, replicas, input, count, options),
  };
}

const isUnet = (model: Unet | SliceModel): model is Unet => 'decoder' in model;

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
export async function predictVolume(
  model: Unet | SliceModel | readonly (Unet | SliceModel)[],
  image: Volume<Float32Array>,
  options: PredictVolumeOptions = {},
): Promise<Volume<Uint8Array>> {
  const given: readonly (Unet | SliceModel)[] = Array.isArray(model) ? model : [model as Unet | SliceModel];
  if (given.length === 0) throw new ModelOptionsError('predictVolume: no model given');
  const unets = given.map((m, i) => (isUnet(m) ? tfjsSliceModel(m, options.replicas?.[i]) : m));
  const channels = outputChannels(unets[0]!.classes);
  for (const [i, unet] of unets.entries()) {
    if (outputChannels(unet.classes) !== channels) {
      throw new ModelOptionsError(`predictVolume: ensemble member ${i + 1} predicts ${unet.classes} class(es), member 1 ${unets[0]!.classes}`);
    }
  }
  const [w, h, d] = image.shape;
  const probabilities = new Float32Array(w * h * d * channels);
  for (const unet of unets) await addSourceGridProbabilities(unet, image, options, probabilities);
  if (unets.length > 1) for (let i = 0; i < probabilities.length; i++) probabilities[i]! /= unets.length;
  const labels = probabilitiesToLabels(probabilities, channels, options.threshold ?? 0.5);
  const data = options.largestComponent === true ? largestComponent(labels, image.shape) : labels;
  return { data, shape: image.shape, spacing: image.spacing, origin: image.origin, direction: image.direction };
}

/** Adds one network's channels-last probabilities, resized back to the volume's grid, into `sum`. */
async function addSourceGridProbabilities(model: SliceModel, image: Volume<Float32Array>, options: PredictVolumeOptions, sum: Float32Array): Promise<void> {
  const [w, h, d] = image.shape;
  const size = model.inputSize;
  const plane = size * size;
  const channels = outputChannels(model.classes);
  const input = volumeSliceStack(image, size, model.contextSlices);
  const slicesOptions = { batchSize: options.batchSize ?? 8, ...(options.tta === undefined ? {} : { tta: options.tta }) };
  const probs = await model.predictSlices(input, d, slicesOptions);
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
