import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, BuildEncoderOptions } from './backbone-spec.js';
import { ModelOptionsError } from './errors.js';
import { caffePreprocessing } from './preprocess.js';
import { randomInit } from './random-init.js';

/** 3x3 convolutions per block and their filters, VGG16 (Simonyan & Zisserman 2015, configuration D). */
const vgg16Blocks: readonly (readonly [number, number])[] = [[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]];

/**
 * Keras `applications.VGG16` without its top, layer for layer with its names (`blockB_convC`, `blockB_pool`):
 * 3x3 'same' convolutions with bias and ReLU (stride 1, so padding is 1 on each side), 2x2 max pooling.
 * `depth` must be the whole network (5 blocks).
 */
export function buildVgg16(options: BuildEncoderOptions): tf.LayersModel {
  const { depth, inputSize, rng } = options;
  if (depth !== vgg16Blocks.length) throw new ModelOptionsError(`buildVgg16: only the whole network (depth ${vgg16Blocks.length}) is built, got ${depth}`);
  const init = randomInit(rng);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = input;
  vgg16Blocks.forEach(([convs, filters], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({ name: `block${b + 1}_conv${c}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init.kernel() })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}

function vgg16Depth(names: ReadonlySet<string>): number | string {
  return names.has('block1_conv1/kernel') && names.has('block5_conv3/kernel')
    ? vgg16Blocks.length
    : 'not a Keras VGG16 weight file (no block1_conv1/kernel or block5_conv3/kernel)';
}

const vgg16File = 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';

/** Keras VGG16 (no top): the HDF5 file and md5 of keras-applications' `vgg16.py`. */
export const vggBackbones: readonly BackboneSpec[] = [
  {
    name: 'vgg16',
    description: 'VGG16 (Simonyan & Zisserman 2015), ImageNet 224, Keras weights',
    stride: 32,
    weights: {
      format: 'keras-h5',
      url: `https://storage.googleapis.com/tensorflow/keras-applications/vgg16/${vgg16File}`,
      fileName: vgg16File,
      md5: '6d6bbae143d832006294945121d1f1fc',
      folderNames: ['vgg16_224_no_top', 'vgg16_no_top', 'vgg16'],
    },
    preprocessing: caffePreprocessing,
    // segmentation_models' VGG16 skips (the last convolution at each scale) and the top pooling as the 1/32 feature.
    skips: [['block5_pool'], ['block5_conv3'], ['block4_conv3'], ['block3_conv3'], ['block2_conv2']],
    fullDepth: vgg16Blocks.length,
    depthOf: vgg16Depth,
    build: buildVgg16,
  },
];
