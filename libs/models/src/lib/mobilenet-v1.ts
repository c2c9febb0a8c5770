import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
import { tfjsSeeds } from './tfjs-seed.js';

/** Pointwise filters (at alpha 1) and depthwise stride of MobileNet v1's 13 blocks (Howard et al. 2017, Table 1). */
const blocks: readonly (readonly [number, number])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export interface MobilenetV1Options {
  alpha: number;
  /** Last block built (12 or 13): the network is cut after `conv_pw_<depth>_relu`. */
  depth: number;
  /** Height and width of the input; null for a free size. */
  inputSize: number | null;
  /** Layer names to return as outputs, in this order. */
  outputs: readonly string[];
  /** Seeds the initialisers, so a random encoder is the same for the same seed. */
  rng: Rng;
}

/**
 * Keras `applications.MobileNet` (v1) rebuilt layer for layer with its layer names, so that any Keras MobileNet v1
 * weight file loads by name. Convolutions use TF `'same'` padding: with stride 2 on an even size TF (and TF.js)
 * pads only bottom and right, as the ImageNet weights were trained; symmetric padding would shift every feature.
 */
export function buildMobilenetV1(options: MobilenetV1Options): tf.LayersModel {
  const { alpha, depth, inputSize, outputs, rng } = options;
  if (!(alpha > 0)) throw new ModelOptionsError(`buildMobilenetV1: alpha must be positive, got ${alpha}`);
  if (!Number.isInteger(depth) || depth < 1 || depth > blocks.length) {
    throw new ModelOptionsError(`buildMobilenetV1: depth must be an integer in 1..${blocks.length}, got ${depth}`);
  }
  const seed = tfjsSeeds(rng);
  // A random encoder (`--encoder-weights none`) keeps its BatchNormalization at identity statistics (the encoder
  // always runs in inference mode), so nothing renormalises its activations: with Glorot init each ReLU halves
  // their variance and the 1/32 features come out ~1e-16. He init (variance 2/fan_in) keeps them O(1), as a
  // random ReLU network needs; a depthwise kernel's fan-in is its 3x3 window, not window x channels.
  const kernel = () => tf.initializers.heNormal({ seed: seed() });
  const depthwiseKernel = () => tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / 9), seed: seed() });
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, momentum: 0.99, epsilon: 1e-3 });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  const byName = new Map<string, tf.SymbolicTensor>();
  const keep = (name: string, tensor: tf.SymbolicTensor): tf.SymbolicTensor => {
    byName.set(name, tensor);
    return tensor;
  };

  let x = tf.layers
    .conv2d({ name: 'conv1', filters: Math.trunc(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: kernel() })
    .apply(input) as tf.SymbolicTensor;
  x = bn('conv1_bn').apply(x) as tf.SymbolicTensor;
  x = keep('conv1_relu', tf.layers.reLU({ name: 'conv1_relu', maxValue: 6 }).apply(x) as tf.SymbolicTensor);
  for (let i = 1; i <= depth; i++) {
    const [filters, stride] = blocks[i - 1]!;
    x = tf.layers
      .depthwiseConv2d({ name: `conv_dw_${i}`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: depthwiseKernel() })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_dw_${i}_bn`).apply(x) as tf.SymbolicTensor;
    x = keep(`conv_dw_${i}_relu`, tf.layers.reLU({ name: `conv_dw_${i}_relu`, maxValue: 6 }).apply(x) as tf.SymbolicTensor);
    x = tf.layers
      .conv2d({ name: `conv_pw_${i}`, filters: Math.trunc(filters * alpha), kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: kernel() })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_pw_${i}_bn`).apply(x) as tf.SymbolicTensor;
    x = keep(`conv_pw_${i}_relu`, tf.layers.reLU({ name: `conv_pw_${i}_relu`, maxValue: 6 }).apply(x) as tf.SymbolicTensor);
  }
  const outs = outputs.map((name) => {
    const tensor = byName.get(name);
    if (tensor === undefined) throw new ModelOptionsError(`buildMobilenetV1: no layer "${name}" at depth ${depth}`);
    return tensor;
  });
  return tf.model({ inputs: input, outputs: outs, name: `mobilenet_v1_${alpha}` });
}
