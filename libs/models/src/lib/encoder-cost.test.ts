import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { encoderCost } from './encoder-cost.js';

describe('encoderCost', () => {
  it('counts 2 x window x input channels per output of a convolution, 2 x window per output of a depthwise one', () => {
    const input = tf.input({ shape: [16, 16, 3] });
    let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
    x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    const { parameters, flops } = encoderCost(model);
    // conv: 3*3*3*8 + 8 bias; BN: 4*8; depthwise: 3*3*8.
    expect(parameters).toBe(224 + 32 + 72);
    // conv: 8x8x8 outputs, 27 products each; depthwise: 8x8x8 outputs, 9 each.
    expect(flops).toBe(2 * 27 * 512 + 2 * 9 * 512);
    model.dispose();
  });
});
