import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, BuildEncoderOptions } from './backbone-spec.js';
import { ModelOptionsError } from './errors.js';
import { tfPreprocessing } from './preprocess.js';
import { randomInit } from './random-init.js';

/** Pointwise filters (at alpha 1) and depthwise stride of MobileNet v1's 13 blocks (Howard et al. 2017, Table 1). */
const blocks: readonly (readonly [number, number])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export interface MobilenetV1Options extends BuildEncoderOptions {
  alpha: number;
}

/**
 * Keras `applications.MobileNet` (v1) rebuilt layer for layer with its layer names, so that any Keras MobileNet v1
 * weight file loads by name, cut after block `depth` (`conv_pw_<depth>_relu`). Convolutions use TF `'same'`
 * padding: with stride 2 on an even size TF (and TF.js) pads only bottom and right, as the ImageNet weights were
 * trained; symmetric padding would shift every feature.
 */
export function buildMobilenetV1(options: MobilenetV1Options): tf.LayersModel {
  const { alpha, depth, inputSize, rng } = options;
  if (!(alpha > 0)) throw new ModelOptionsError(`buildMobilenetV1: alpha must be positive, got ${alpha}`);
  if (!Number.isInteger(depth) || depth < 1 || depth > blocks.length) {
    throw new ModelOptionsError(`buildMobilenetV1: depth must be an integer in 1..${blocks.length}, got ${depth}`);
  }
  const init = randomInit(rng);
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, momentum: 0.99, epsilon: 1e-3 });
  const relu6 = (name: string) => tf.layers.reLU({ name, maxValue: 6 });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = tf.layers
    .conv2d({ name: 'conv1', filters: Math.trunc(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init.kernel() })
    .apply(input) as tf.SymbolicTensor;
  x = bn('conv1_bn').apply(x) as tf.SymbolicTensor;
  x = relu6('conv1_relu').apply(x) as tf.SymbolicTensor;
  for (let i = 1; i <= depth; i++) {
    const [filters, stride] = blocks[i - 1]!;
    x = tf.layers
      .depthwiseConv2d({ name: `conv_dw_${i}`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init.depthwise(9) })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_dw_${i}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_dw_${i}_relu`).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .conv2d({ name: `conv_pw_${i}`, filters: Math.trunc(filters * alpha), kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: init.kernel() })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`conv_pw_${i}_bn`).apply(x) as tf.SymbolicTensor;
    x = relu6(`conv_pw_${i}_relu`).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: `mobilenet_v1_${alpha}` });
}

/** The last block a weight file holds (`conv_pw_N/kernel`): the alpha 1.0 copy in ../shared stops at 12. */
function mobilenetV1Depth(names: ReadonlySet<string>): number | string {
  if (!names.has('conv1/kernel')) return 'not a Keras MobileNet v1 weight file (no conv1/kernel)';
  for (let i = blocks.length; i >= 1; i--) if (names.has(`conv_pw_${i}/kernel`)) return i;
  return 'not a Keras MobileNet v1 weight file (no conv_pw_N/kernel)';
}

function mobilenetV1(alpha: number, tag: string, folderNames: readonly string[]): BackboneSpec {
  return {
    name: `mobilenet_v1_${tag}`,
    description: `MobileNet v1, width ${alpha} (Howard et al. 2017), ImageNet 224`,
    stride: 32,
    weights: {
      format: 'tfjs-layers',
      url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${tag}_224/model.json`,
      fileName: 'model.json',
      folderNames,
    },
    preprocessing: tfPreprocessing,
    // The alpha 1.0 copy in ../shared is cut after block 12, so its deepest skip is conv_pw_12_relu.
    skips: [['conv_pw_13_relu', 'conv_pw_12_relu'], ['conv_pw_11_relu'], ['conv_pw_5_relu'], ['conv_pw_3_relu'], ['conv_pw_1_relu']],
    fullDepth: blocks.length,
    depthOf: mobilenetV1Depth,
    build: (options) => buildMobilenetV1({ ...options, alpha }),
  };
}

/** Keras MobileNet v1 at widths 0.25 and 1.0, from Google's TF.js-hosted conversions (no published checksum). */
export const mobilenetV1Backbones: readonly BackboneSpec[] = [
  mobilenetV1(0.25, '0.25', ['mobilenet_v1_0.25_224']),
  mobilenetV1(1.0, '1.0', ['mobilenet_v1_1.0_224', 'mobilenet_v1_1.00_224', 'mobilenet_v1_1.00_224_to_conv_pw_12']),
];
