import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import { tfjsSeeds } from './tfjs-seed.js';

/**
 * Seeded initialisers for a backbone built without weights (`--encoder-weights none`). Its BatchNormalization
 * keeps identity statistics (the encoder always runs in inference mode), so nothing renormalises activations:
 * with Glorot init each ReLU halves their variance and the deepest features of MobileNet came out ~1e-16. He
 * init (variance 2 / fan-in) keeps them O(1), as a random ReLU network needs; a depthwise kernel's fan-in is its
 * window, not window x channels.
 */
type Initializer = ReturnType<typeof tf.initializers.heNormal>;

export function randomInit(rng: Rng): { kernel(): Initializer; depthwise(window: number): Initializer } {
  const seed = tfjsSeeds(rng);
  return {
    kernel: () => tf.initializers.heNormal({ seed: seed() }),
    depthwise: (window) => tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / window), seed: seed() }),
  };
}
