import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallUnetOptions } from '../testing/small-unet.js';
import { selectBackend } from './backend/selectBackend.js';
import { inferenceForward } from './inference-graph.js';
import { greyToEncoderChannel, greyToEncoderInput } from './preprocess.js';
import { buildUnet } from './unet.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** Gives every BatchNormalization statistics and affine parameters far from identity, so folding them matters. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const values = layer.getWeights().map((w, i) =>
      i === 3 ? tf.randomUniform(w.shape, 0.5, 3, 'float32', s++) : tf.randomUniform(w.shape, -1.5, 1.5, 'float32', s++),
    );
    layer.setWeights(values);
    tf.dispose(values);
  }
}

function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).div(tf.max(tf.abs(expected)).add(1e-12)).dataSync()[0]!);
}

describe('inferenceForward', () => {
  it('equals model.apply in inference mode on a graph with every fusable and unfusable pattern', () => {
    const input = tf.input({ shape: [16, 16, 3] });
    type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
    const conv = (name: string, options: Partial<ConvArgs>) => tf.layers.conv2d({ name, filters: 6, kernelSize: 3, padding: 'same', ...options });
    const bn = (name: string) => tf.layers.batchNormalization({ name, epsilon: 1e-3 });
    // conv (bias, stride 2, valid) -> BN -> ReLU6
    let x = conv('a', { strides: 2, padding: 'valid', useBias: true, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.reLU({ maxValue: 6 }).apply(bn('a_bn').apply(x)) as tf.SymbolicTensor;
    // depthwise (multiplier 2) -> BN -> Activation('relu')
    x = tf.layers.depthwiseConv2d({ name: 'b', kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, depthwiseInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'relu' }).apply(bn('b_bn').apply(x)) as tf.SymbolicTensor;
    // conv -> BN read by two layers (no activation to fuse)
    const c = bn('c_bn').apply(conv('c', { useBias: false, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(x)) as tf.SymbolicTensor;
    const d = tf.layers.concatenate().apply([c, tf.layers.reLU().apply(c) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    // conv -> BN -> leaky ReLU (not fusable as an activation), and a conv whose output is a model output
    const e = tf.layers.leakyReLU().apply(bn('e_bn').apply(conv('e', { kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }).apply(d))) as tf.SymbolicTensor;
    const f = conv('f', { kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }).apply(e) as tf.SymbolicTensor;
    const g = bn('g_bn').apply(f) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [g, f, c] });
    randomiseBatchNorm(model, 10);

    const xs = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 7);
    const expected = model.apply(xs, { training: false }) as tf.Tensor[];
    const actual = tf.tidy(() => inferenceForward(model, [xs]));
    expect(actual.map((t) => t.shape)).toEqual(expected.map((t) => t.shape));
    actual.forEach((t, i) => expect(relativeError(t, expected[i]!)).toBeLessThan(1e-5));
    tf.dispose([xs, ...expected, ...actual]);
    model.dispose();
  });

  it("gives the U-Net's features and predictions from one grey channel, as the layers do from three", async () => {
    const unet = await buildUnet(smallUnetOptions());
    randomiseBatchNorm(unet.decoder, 20);
    const slices = tf.randomUniform([3, 64, 64], -0.2, 1.2, 'float32', 8) as tf.Tensor3D;
    const input = greyToEncoderInput(slices, [0, 1], unet.encoder.preprocessing);
    expect(input.shape).toEqual([3, 64, 64, 3]);
    const { input: channel, repeated } = greyToEncoderChannel(slices, [0, 1], unet.encoder.preprocessing);
    expect(repeated).toBe(3);
    expect(relativeError(input, tf.concat([channel, channel, channel], 3))).toBe(0);

    const reference = unet.encode(input);
    const fast = unet.features(slices);
    expect(fast.map((t) => t.shape)).toEqual(reference.map((t) => t.shape));
    // 27 folded layers deep, float32 rounding accumulates to ~2e-5 of the largest feature.
    fast.forEach((t, i) => expect(relativeError(t, reference[i]!)).toBeLessThan(1e-4));
    const referenceProbabilities = unet.decoder.apply(reference, { training: false }) as tf.Tensor;
    const probabilities = unet.predict(slices);
    expect(relativeError(probabilities, referenceProbabilities)).toBeLessThan(1e-4);

    const before = tf.memory().numTensors;
    tf.dispose(unet.predict(slices));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([slices, input, channel, ...reference, ...fast, referenceProbabilities, probabilities]);
    unet.dispose();
  });
});
