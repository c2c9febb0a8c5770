import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { smallUnetOptions } from '../testing/small-unet.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { recalibrateBatchNorm } from './batch-norm-recalibration.js';
import { namedWeights } from './checkpoint.js';
import { selectBackend } from './backend/selectBackend.js';
import { greyToEncoderInput } from './preprocess.js';
import { buildUnet, type Unet } from './unet.js';

const small = smallUnetOptions();

beforeAll(async () => {
  await selectBackend('wasm');
});

function weightsByName(unet: Unet): Map<string, Float32Array> {
  return new Map(namedWeights(unet.decoder).map(({ name, tensor }) => [name, Float32Array.from(tensor.dataSync())]));
}

/** Moving statistics far from anything the data gives, as after training on a differently scaled input. */
function corruptMovingStatistics(unet: Unet): void {
  for (const layer of unet.decoder.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    // getWeights() hands out the variables themselves; setWeights copies the new values into them.
    const [gamma, beta, mean, variance] = layer.getWeights();
    const corrupted = [tf.fill(mean!.shape, 5), tf.fill(variance!.shape, 40)];
    layer.setWeights([gamma!, beta!, ...corrupted]);
    tf.dispose(corrupted);
  }
}

function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('recalibrateBatchNorm', () => {
  it('with one batch, makes inference mode reproduce training mode (batch statistics) on that batch', async () => {
    const unet = await buildUnet(small);
    corruptMovingStatistics(unet);
    const data = syntheticSliceSet({ cases: 2, perCase: 4, size: 64, seed: 5 });
    const x = tf.tensor3d(data.images, [data.count, 64, 64]);
    const trainingMode = tf.tidy(() => unet.decoder.apply(unet.encode(greyToEncoderInput(x, small.intensityRange!, unet.encoder.preprocessing)), { training: true }) as tf.Tensor);
    const before = unet.predict(x);
    expect(maxAbsDifference(before, trainingMode)).toBeGreaterThan(0.05);

    // Every BN layer's statistics come from the same batch it normalises in training mode, layer after layer,
    // so the inference-mode network computes the training-mode function on exactly that batch.
    expect(recalibrateBatchNorm(unet, data, { batchSize: data.count, maxSlices: 0, rng: createRng(1) })).toBe(1);
    const after = unet.predict(x);
    expect(maxAbsDifference(after, trainingMode)).toBeLessThan(1e-4);
    tf.dispose([x, trainingMode, before, after]);
    unet.dispose();
  });

  it('averages the batch means of every batch, changes only moving statistics and restores momentum', async () => {
    const unet = await buildUnet(small);
    const data = syntheticSliceSet({ cases: 3, perCase: 4, size: 64, seed: 6 });
    const firstBn = unet.decoder.getLayer('decoder_stage0_bn1');
    const momentum = (firstBn as unknown as { momentum: number }).momentum;
    const before = weightsByName(unet);
    const tensorsBefore = tf.memory().numTensors;

    const batches = recalibrateBatchNorm(unet, data, { batchSize: 4, maxSlices: 0, rng: createRng(2) });
    expect(batches).toBe(3);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect((firstBn as unknown as { momentum: number }).momentum).toBe(momentum);

    // The first BN's input does not depend on any other BN: its per-batch means, from a sub-model in inference
    // mode over the same seeded batches, must average to the recalibrated moving mean.
    const convOutput = tf.model({ inputs: unet.decoder.inputs, outputs: unet.decoder.getLayer('decoder_stage0_conv1').output as tf.SymbolicTensor });
    const rng = createRng(2);
    const order = Array.from({ length: data.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const expected = tf.tidy(() => {
      const means = [0, 1, 2].map((b) => {
        const indices = tf.tensor1d(order.slice(b * 4, b * 4 + 4), 'int32');
        const x = tf.gather(tf.tensor3d(data.images, [data.count, 64, 64]), indices);
        const features = convOutput.predict(unet.encode(greyToEncoderInput(x as tf.Tensor3D, small.intensityRange!, unet.encoder.preprocessing))) as tf.Tensor4D;
        return tf.mean(features, [0, 1, 2]);
      });
      return tf.addN(means).div(3);
    });
    const after = weightsByName(unet);
    const movingMean = tf.tensor1d(after.get('decoder_stage0_bn1/moving_mean')!);
    expect(maxAbsDifference(movingMean, expected)).toBeLessThan(1e-4);
    for (const [name, values] of before) {
      const isMovingStatistic = /moving_(mean|variance)$/.test(name);
      expect(Buffer.compare(Buffer.from(values.buffer), Buffer.from(after.get(name)!.buffer)) !== 0, name).toBe(isMovingStatistic);
    }
    tf.dispose([expected, movingMean]);
    unet.dispose();
  });

  it('rejects a batch of one, which has no variance', async () => {
    const unet = await buildUnet(small);
    const data = syntheticSliceSet({ cases: 1, perCase: 2, size: 64, seed: 7 });
    expect(() => recalibrateBatchNorm(unet, data, { batchSize: 1, maxSlices: 0, rng: createRng(1) })).toThrow(/batchSize must be an integer >= 2/);
    unet.dispose();
  });
});
