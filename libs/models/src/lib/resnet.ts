import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, BuildEncoderOptions } from './backbone-spec.js';
import { ModelOptionsError } from './errors.js';
import { caffePreprocessing } from './preprocess.js';
import { randomInit } from './random-init.js';

/** Bottleneck blocks per stage (conv2..conv5) of ResNet-50 (He et al. 2016, Table 1). */
const resnet50Stages: readonly number[] = [3, 4, 6, 3];

/**
 * Keras `applications.ResNet50` without its top (`resnet.py`, v1: the stride sits on each stage's first 1x1
 * convolution), layer for layer with its names: `conv1_pad`, `conv1_conv`, `conv1_bn`, `conv1_relu`, `pool1_pad`,
 * `pool1_pool`, then `convS_blockB_{0,1,2,3}_{conv,bn}`, `_{1,2}_relu`, `_add`, `_out`. Padding is explicit
 * (ZeroPadding2D) or 'valid' except the 3x3 convolutions (stride 1, 'same' = 1 on each side), so it is symmetric
 * everywhere and any even input size works. `depth` must be the whole network (4 stages).
 */
export function buildResnet50(options: BuildEncoderOptions): tf.LayersModel {
  const { depth, inputSize, rng } = options;
  if (depth !== resnet50Stages.length) throw new ModelOptionsError(`buildResnet50: only the whole network (depth ${resnet50Stages.length}) is built, got ${depth}`);
  const init = randomInit(rng);
  const conv = (name: string, filters: number, kernelSize: number, strides = 1, padding: 'same' | 'valid' = 'valid') =>
    tf.layers.conv2d({ name, filters, kernelSize, strides, padding, useBias: true, kernelInitializer: init.kernel() });
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1, momentum: 0.99, epsilon: 1.001e-5 });
  const relu = (name: string) => tf.layers.activation({ name, activation: 'relu' });
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: [[3, 3], [3, 3]] }).apply(input) as tf.SymbolicTensor;
  x = conv('conv1_conv', 64, 7, 2).apply(x) as tf.SymbolicTensor;
  x = bn('conv1_bn').apply(x) as tf.SymbolicTensor;
  x = relu('conv1_relu').apply(x) as tf.SymbolicTensor;
  x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: [[1, 1], [1, 1]] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
  resnet50Stages.forEach((blocks, s) => {
    const filters = 64 * 2 ** s;
    const stride = s === 0 ? 1 : 2;
    for (let b = 1; b <= blocks; b++) {
      const name = `conv${s + 2}_block${b}`;
      const first = b === 1;
      let shortcut = x;
      if (first) {
        shortcut = conv(`${name}_0_conv`, 4 * filters, 1, stride).apply(x) as tf.SymbolicTensor;
        shortcut = bn(`${name}_0_bn`).apply(shortcut) as tf.SymbolicTensor;
      }
      let y = conv(`${name}_1_conv`, filters, 1, first ? stride : 1).apply(x) as tf.SymbolicTensor;
      y = bn(`${name}_1_bn`).apply(y) as tf.SymbolicTensor;
      y = relu(`${name}_1_relu`).apply(y) as tf.SymbolicTensor;
      y = conv(`${name}_2_conv`, filters, 3, 1, 'same').apply(y) as tf.SymbolicTensor;
      y = bn(`${name}_2_bn`).apply(y) as tf.SymbolicTensor;
      y = relu(`${name}_2_relu`).apply(y) as tf.SymbolicTensor;
      y = conv(`${name}_3_conv`, 4 * filters, 1).apply(y) as tf.SymbolicTensor;
      y = bn(`${name}_3_bn`).apply(y) as tf.SymbolicTensor;
      y = tf.layers.add({ name: `${name}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
      x = relu(`${name}_out`).apply(y) as tf.SymbolicTensor;
    }
  });
  return tf.model({ inputs: input, outputs: x, name: 'resnet50' });
}

function resnet50Depth(names: ReadonlySet<string>): number | string {
  return names.has('conv1_conv/kernel') && names.has('conv5_block3_3_conv/kernel')
    ? resnet50Stages.length
    : 'not a Keras ResNet50 weight file (no conv1_conv/kernel or conv5_block3_3_conv/kernel)';
}

const resnet50File = 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5';

/** Keras ResNet50 (no top): the HDF5 file and md5 of keras-applications' `resnet.py`. */
export const resnetBackbones: readonly BackboneSpec[] = [
  {
    name: 'resnet50',
    description: 'ResNet-50 v1 (He et al. 2016), ImageNet 224, Keras weights',
    stride: 32,
    weights: {
      format: 'keras-h5',
      url: `https://storage.googleapis.com/tensorflow/keras-applications/resnet/${resnet50File}`,
      fileName: resnet50File,
      md5: '4d473c1dd8becc155b73f8504c6f6626',
      folderNames: ['resnet50_224_no_top', 'resnet50_no_top', 'resnet50'],
    },
    preprocessing: caffePreprocessing,
    skips: [['conv5_block3_out'], ['conv4_block6_out'], ['conv3_block4_out'], ['conv2_block3_out'], ['conv1_relu']],
    fullDepth: resnet50Stages.length,
    depthOf: resnet50Depth,
    build: buildResnet50,
  },
];
