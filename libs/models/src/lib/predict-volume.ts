import type { Vec3, Volume } from '@medseg/data';
import type { ReplicaPool } from './data-parallel/replica-pool.js';
import { isSliceEngine, type SliceEngine } from './engine/slice-engine.js';
import { tfjsEngine } from './engine/tfjs-engine.js';
import { ModelOptionsError } from './errors.js';
import { largestComponent } from './largest-component.js';
import { probabilitiesToLabels } from './predict-slices.js';
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
 *
 * A member is a tfjs Unet (run by predictSlices, with its replicas when given) or any SliceEngine (ONNX Runtime):
 * everything but the per-batch forward pass is this function's, whichever engine runs.
 */
export async function predictVolume(model: Unet | SliceEngine | readonly (Unet | SliceEngine)[], image: Volume<Float32Array>, options: PredictVolumeOptions = {}): Promise<Volume<Uint8Array>> {
  const { probabilities, channels } = await predictVolumeProbabilities(model, image, options);
  const data = postprocessProbabilities(probabilities, channels, image.shape, { threshold: options.threshold ?? 0.5, largestComponent: options.largestComponent === true });
  return { data, shape: image.shape, spacing: image.spacing, origin: image.origin, direction: image.direction };
}

/** Voxel probabilities of a volume on its own grid, channels last (the ensemble's mean), before any threshold. */
export interface VolumeProbabilities {
  readonly probabilities: Float32Array;
  /** One sigmoid channel, or softmax over background + classes. */
  readonly channels: number;
}

/** The probabilities predictVolume thresholds: one pass of the network(s), kept so several post-processings can be tried. */
export async function predictVolumeProbabilities(
  model: Unet | SliceEngine | readonly (Unet | SliceEngine)[],
  image: Volume<Float32Array>,
  options: Pick<PredictVolumeOptions, 'batchSize' | 'tta' | 'replicas'> = {},
): Promise<VolumeProbabilities> {
  const members: readonly (Unet | SliceEngine)[] = Array.isArray(model) ? model : [model as Unet | SliceEngine];
  const unets: readonly SliceEngine[] = members.map((m, i) => (isSliceEngine(m) ? m : tfjsEngine(m, options.replicas?.[i])));
  if (unets.length === 0) throw new ModelOptionsError('predictVolume: no model given');
  const channels = outputChannels(unets[0]!.config.classes);
  for (const [i, unet] of unets.entries()) {
    if (outputChannels(unet.config.classes) !== channels) {
      throw new ModelOptionsError(`predictVolume: ensemble member ${i + 1} predicts ${unet.config.classes} class(es), member 1 ${unets[0]!.config.classes}`);
    }
  }
  const [w, h, d] = image.shape;
  const probabilities = new Float32Array(w * h * d * channels);
  for (const unet of unets) await addSourceGridProbabilities(unet, image, options, probabilities);
  if (unets.length > 1) for (let i = 0; i < probabilities.length; i++) probabilities[i]! /= unets.length;
  return { probabilities, channels };
}

/** The label map of voxel probabilities under one post-processing: threshold (one class; softmax uses argmax), then optionally the largest 3D component of each label. */
export function postprocessProbabilities(probabilities: Float32Array, channels: number, shape: Vec3, postprocessing: { readonly threshold: number; readonly largestComponent: boolean }): Uint8Array {
  const labels = probabilitiesToLabels(probabilities, channels, postprocessing.threshold);
  return postprocessing.largestComponent ? largestComponent(labels, shape) : labels;
}

/** Adds one network's channels-last probabilities, resized back to the volume's grid, into `sum`. */
async function addSourceGridProbabilities(unet: SliceEngine, image: Volume<Float32Array>, options: Pick<PredictVolumeOptions, 'batchSize' | 'tta'>, sum: Float32Array): Promise<void> {
  const [w, h, d] = image.shape;
  const size = unet.config.inputSize;
  const plane = size * size;
  const channels = outputChannels(unet.config.classes);
  const input = volumeSliceStack(image, size, unet.config.contextSlices ?? 0);
  const slicesOptions = { batchSize: options.batchSize ?? 8, ...(options.tta === undefined ? {} : { tta: options.tta }) };
  const probs = await unet.predictSlices(input, d, slicesOptions);
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
