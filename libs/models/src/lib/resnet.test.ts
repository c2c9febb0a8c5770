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

describe('ResNet-50 (Keras layer names) against torchvision', () => {
  it('gives torchvision\'s skip features from the same random weights, written in the Keras HDF5 layout', async () => {
    // 64x64: ResNet pads explicitly and symmetrically (7x7 conv pad 3, pool pad 1, 3x3 stride-1 'same'), so any
    // even size agrees with torchvision; torchvision's stride-on-3x3 (v1.5) is moved to the 1x1 in the helper.
    const reference = await torchvisionReference('resnet50', 64, 1);
    const encoder = await loadEncoder({ backbone: getBackbone('resnet50'), weightsFile: reference.weightsFile, inputSize: 64, rng: createRng(1) });
    expect(encoder.skipNames).toEqual(['conv5_block3_out', 'conv4_block6_out', 'conv3_block4_out', 'conv2_block3_out', 'conv1_relu']);
    expect(encoder.skipChannels).toEqual([2048, 1024, 512, 256, 64]);
    // 25,636,712 parameters with the head; 23,587,712 without (Keras ResNet50(include_top=False).count_params()).
    expect(encoder.model.countParams()).toBe(23_587_712);
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
