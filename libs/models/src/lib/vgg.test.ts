import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { relativeError, torchvisionReference } from '../testing/torchvision-reference.js';
import { activateWasmBackend } from './backend/wasmBackend.js';
import { getBackbone } from './backbones.js';
import { loadEncoder } from './encoder.js';
import { inferenceForward } from './inference-graph.js';

beforeAll(async () => {
  await activateWasmBackend();
});

describe('VGG16 (Keras layer names) against torchvision', () => {
  it('gives torchvision\'s skip features from the same random weights, written in the Keras HDF5 layout', async () => {
    // 64x64: every VGG convolution is 3x3 stride 1 ('same' = 1 on each side, as torchvision's padding=1) and the
    // pools are 2x2 stride 2, so any size divisible by 32 agrees with torchvision.
    const reference = await torchvisionReference('vgg16', 64, 1);
    const encoder = await loadEncoder({ backbone: getBackbone('vgg16'), weightsFile: reference.weightsFile, inputSize: 64, rng: createRng(1) });
    expect(encoder.skipNames).toEqual(['block5_pool', 'block5_conv3', 'block4_conv3', 'block3_conv3', 'block2_conv2']);
    expect(encoder.skipChannels).toEqual([512, 512, 512, 256, 128]);
    // Keras VGG16(include_top=False).count_params().
    expect(encoder.model.countParams()).toBe(14_714_688);
    const layers = encoder.model.predict(reference.input) as tf.Tensor[];
    const folded = tf.tidy(() => inferenceForward(encoder.model, [reference.input]));
    reference.skips.forEach((expected, i) => {
      expect(layers[i]!.shape).toEqual(expected.shape);
      expect(relativeError(layers[i]!, expected)).toBeLessThan(1e-4);
      expect(relativeError(folded[i]!, expected)).toBeLessThan(1e-4);
    });
    tf.dispose([reference.input, ...reference.skips, ...layers, ...folded]);
    encoder.model.dispose();
  });
});
