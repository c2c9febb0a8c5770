import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
import { tfjsSeeds } from './tfjs-seed.js';

export interface DecoderOptions {
  /** Channels of the encoder features, deepest (1/32) first. */
  skipChannels: readonly number[];
  /** Filters per decoder stage, one per encoder feature (the last stage upsamples to full size). */
  filters: readonly number[];
  classes: number;
  inputSize: number;
  rng: Rng;
}

/** Channels of the head for `classes` foreground classes: one sigmoid channel, or softmax over background + classes. */
export function outputChannels(classes: number): number {
  return classes === 1 ? 1 : classes + 1;
}

/**
 * The U-Net decoder as its own model, taking the encoder features (deepest first) as inputs: per stage
 * upsample x2, concatenate the next shallower skip (none at the last stage), two 3x3 conv + BN + ReLU; a 1x1
 * head with sigmoid (one class) or softmax (background + classes). Layer names are fixed so checkpoints load
 * by name in any process.
 */
export function buildDecoder(options: DecoderOptions): tf.LayersModel {
  const { skipChannels, filters, classes, inputSize, rng } = options;
  if (filters.length !== skipChannels.length) {
    throw new ModelOptionsError(`buildDecoder: decoderFilters needs ${skipChannels.length} stages, got ${filters.length}`);
  }
  const seed = tfjsSeeds(rng);
  const inputs = skipChannels.map((channels, i) => {
    const size = inputSize / 2 ** (skipChannels.length - i);
    return tf.input({ shape: [size, size, channels], name: `decoder_in_${i}` });
  });
  let x: tf.SymbolicTensor = inputs[0]!;
  filters.forEach((stageFilters, stage) => {
    x = tf.layers.upSampling2d({ name: `decoder_stage${stage}_up`, size: [2, 2] }).apply(x) as tf.SymbolicTensor;
    const skip = inputs[stage + 1];
    if (skip !== undefined) x = tf.layers.concatenate({ name: `decoder_stage${stage}_concat` }).apply([x, skip]) as tf.SymbolicTensor;
    for (const k of [1, 2]) {
      x = tf.layers
        .conv2d({
          name: `decoder_stage${stage}_conv${k}`,
          filters: stageFilters,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
          kernelInitializer: tf.initializers.heUniform({ seed: seed() }),
        })
        .apply(x) as tf.SymbolicTensor;
      x = tf.layers.batchNormalization({ name: `decoder_stage${stage}_bn${k}`, momentum: 0.9, epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reLU({ name: `decoder_stage${stage}_relu${k}` }).apply(x) as tf.SymbolicTensor;
    }
  });
  const head = tf.layers
    .conv2d({
      name: 'decoder_head',
      filters: outputChannels(classes),
      kernelSize: 1,
      activation: classes === 1 ? 'sigmoid' : 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: head, name: 'decoder' });
}
