import type { PredictSlicesOptions } from '../predict-slices.js';
import type { UnetConfig } from '../unet.js';

/** Which implementation runs a network's forward pass. */
export type EngineName = 'tfjs' | 'onnx';
export const engineChoices: readonly (EngineName | 'auto')[] = ['auto', 'onnx', 'tfjs'];

/**
 * A network's per-slice-batch forward pass behind one interface, so that everything around it (2.5D stacks,
 * resampling to the source grid, ensembles, threshold, largest component, outputs) is shared by every engine.
 * `predictSlices` takes [count, size, size(, channels)] intensity-normalised slices at the network's input size
 * and gives channels-last probabilities [count, size, size, outputs], as predictSlices (the tfjs one) does.
 */
export interface SliceEngine {
  readonly engine: EngineName;
  /** The network's configuration (input size, channels, classes). */
  readonly config: UnetConfig;
  /** One line for the user: which engine, with which threads. */
  readonly description: string;
  predictSlices(images: Float32Array, count: number, options?: PredictSlicesOptions): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Whether a member of predictVolume's ensemble is an engine rather than a tfjs Unet. */
export function isSliceEngine(model: object): model is SliceEngine {
  return 'predictSlices' in model && 'engine' in model;
}
