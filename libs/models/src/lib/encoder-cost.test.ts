import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { PLAN_RULES } from '@medseg/data';
import { encoderCatalogue } from './encoder-catalogue.js';
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

describe("the planner's encoder cost table (libs/data PLAN_RULES.cost.encoderFlops128)", () => {
  it('holds every registered backbone, with the FLOPs of the network as built at 128 px', async () => {
    const rows = await encoderCatalogue();
    expect(Object.keys(PLAN_RULES.cost.encoderFlops128).sort()).toEqual(rows.map((r) => r.name).sort());
    for (const row of rows) expect(PLAN_RULES.cost.encoderFlops128[row.name], row.name).toBe(row.flops128);
  }, 60_000);
});
