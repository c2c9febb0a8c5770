import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, BuildEncoderOptions } from './backbone-spec.js';
import { ModelOptionsError } from './errors.js';
import { tfPreprocessing } from './preprocess.js';
import { randomInit } from './random-init.js';

/** Output filters, stride and expansion of the 17 inverted residual blocks (Sandler et al. 2018, Table 2). */
const blocks: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [24, 2, 6], [24, 1, 6],
  [32, 2, 6], [32, 1, 6], [32, 1, 6],
  [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
  [96, 1, 6], [96, 1, 6], [96, 1, 6],
  [160, 2, 6], [160, 1, 6], [160, 1, 6],
  [320, 1, 6],
];

/** Keras `_make_divisible`: the nearest multiple of 8, never more than 10% below `value`. */
function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.trunc(value + divisor / 2) - (Math.trunc(value + divisor / 2) % divisor));
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

export interface MobilenetV2Options extends BuildEncoderOptions {
  alpha: number;
}

/**
 * Keras `applications.MobileNetV2` without its top, rebuilt layer for layer with its layer names (`Conv1`,
 * `expanded_conv_*`, `block_N_{expand,depthwise,project}` with `_BN` and `_relu`, `block_N_add`, `Conv_1`,
 * `Conv_1_bn`, `out_relu`). Stride-2 depthwise convolutions use TF `'same'` padding (bottom/right first), which on
 * even sizes is what Keras's explicit `correct_pad` ZeroPadding2D gives. `depth` must be the whole network (17).
 */
export function buildMobilenetV2(options: MobilenetV2Options): tf.LayersModel {
  const { alpha, depth, inputSize, rng } = options;
  if (!(alpha > 0)) throw new ModelOptionsError(`buildMobilenetV2: alpha must be positive, got ${alpha}`);
  if (depth !== blocks.length) throw new ModelOptionsError(`buildMobilenetV2: only the whole network (depth ${blocks.length}) is built, got ${depth}`);
  const init = randomInit(rng);
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, momentum: 0.999, epsilon: 1e-3 });
  const relu6 = (name: string) => tf.layers.reLU({ name, maxValue: 6 });
  const conv1x1 = (name: string, filters: number) =>
    tf.layers.conv2d({ name, filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: init.kernel() });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = tf.layers
    .conv2d({ name: 'Conv1', filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init.kernel() })
    .apply(input) as tf.SymbolicTensor;
  x = bn('bn_Conv1').apply(x) as tf.SymbolicTensor;
  x = relu6('Conv1_relu').apply(x) as tf.SymbolicTensor;
  blocks.forEach(([filters, stride, expansion], id) => {
    const inChannels = x.shape[3]!;
    const outChannels = makeDivisible(Math.trunc(filters * alpha));
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    const blockInput = x;
    if (id > 0) {
      x = conv1x1(`${prefix}expand`, expansion * inChannels).apply(x) as tf.SymbolicTensor;
      x = bn(`${prefix}expand_BN`).apply(x) as tf.SymbolicTensor;
      x = relu6(`${prefix}expand_relu`).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers
      .depthwiseConv2d({ name: `${prefix}depthwise`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: init.depthwise(9) })
      .apply(x) as tf.SymbolicTensor;
    x = bn(`${prefix}depthwise_BN`).apply(x) as tf.SymbolicTensor;
    x = relu6(`${prefix}depthwise_relu`).apply(x) as tf.SymbolicTensor;
    x = conv1x1(`${prefix}project`, outChannels).apply(x) as tf.SymbolicTensor;
    x = bn(`${prefix}project_BN`).apply(x) as tf.SymbolicTensor;
    if (inChannels === outChannels && stride === 1) x = tf.layers.add({ name: `${prefix}add` }).apply([blockInput, x]) as tf.SymbolicTensor;
  });
  x = conv1x1('Conv_1', alpha > 1 ? makeDivisible(1280 * alpha) : 1280).apply(x) as tf.SymbolicTensor;
  x = bn('Conv_1_bn').apply(x) as tf.SymbolicTensor;
  x = relu6('out_relu').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha}` });
}

function mobilenetV2Depth(names: ReadonlySet<string>): number | string {
  return names.has('Conv1/kernel') && names.has('block_16_project/kernel')
    ? blocks.length
    : 'not a Keras MobileNet v2 weight file (no Conv1/kernel or block_16_project/kernel)';
}

const v2File = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5';

/** Keras MobileNet v2 1.0 (no top), the HDF5 file Keras downloads; no official hash is published for it. */
export const mobilenetV2Backbones: readonly BackboneSpec[] = [
  {
    name: 'mobilenet_v2_1.0',
    description: 'MobileNet v2, width 1.0 (Sandler et al. 2018), ImageNet 224, Keras weights',
    stride: 32,
    weights: {
      format: 'keras-h5',
      url: `https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/${v2File}`,
      fileName: v2File,
      folderNames: ['mobilenet_v2_1.0_224_no_top'],
    },
    preprocessing: tfPreprocessing,
    // segmentation_models' skips: the expansion outputs just before each stride-2 depthwise, and the top.
    skips: [['out_relu'], ['block_13_expand_relu'], ['block_6_expand_relu'], ['block_3_expand_relu'], ['block_1_expand_relu']],
    fullDepth: blocks.length,
    depthOf: mobilenetV2Depth,
    build: (options) => buildMobilenetV2({ ...options, alpha: 1.0 }),
  },
];
