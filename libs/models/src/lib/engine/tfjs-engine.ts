import { predictSlicesParallel } from '../data-parallel/parallel-predict.js';
import type { ReplicaPool } from '../data-parallel/replica-pool.js';
import { type PredictSlicesOptions, predictSlices } from '../predict-slices.js';
import type { Unet } from '../unet.js';
import type { SliceEngine } from './slice-engine.js';

/** The tfjs forward pass (BN-folded inferenceForward, in tensors TTA), with its replicas when given, as a SliceEngine. */
export function tfjsEngine(unet: Unet, replicas?: ReplicaPool): SliceEngine {
  return {
    engine: 'tfjs',
    config: unet.config,
    description: `tfjs${replicas === undefined ? '' : ` (+${replicas.size} replica${replicas.size === 1 ? '' : 's'})`}`,
    predictSlices: async (images: Float32Array, count: number, options: PredictSlicesOptions = {}) =>
      replicas === undefined ? predictSlices(unet, images, count, options) : predictSlicesParallel(unet, replicas, images, count, options),
    // The Unet belongs to the caller.
    dispose: () => Promise.resolve(),
  };
}
