import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { namedWeights } from './checkpoint.js';
import { smallUnetOptions } from '../testing/small-unet.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { trainUnet } from './train.js';
import { buildUnet } from './unet.js';
import { selectBackend } from './backend/selectBackend.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const small = smallUnetOptions();
const settings = { epochs: 1, batchSize: 2, learningRate: 1e-2, encoderLearningRate: 1e-3, loss: 'dice+bce' as const, seed: 3, patience: 5, schedule: 'constant' as const, augment: 'none' };

beforeAll(async () => {
  // wasm with the backend area's training kernels: the cpu backend's Conv2DBackpropFilter takes seconds a step.
  await selectBackend('wasm');
});

function snapshot(model: tf.LayersModel): Map<string, Uint8Array> {
  return new Map(namedWeights(model).map(({ name, tensor }) => [name, new Uint8Array(tensor.dataSync().slice().buffer)]));
}

function changed(before: Map<string, Uint8Array>, after: Map<string, Uint8Array>): string[] {
  return [...before].filter(([name, bytes]) => Buffer.compare(Buffer.from(bytes), Buffer.from(after.get(name)!)) !== 0).map(([name]) => name);
}

describe('buildUnet', () => {
  it('validates its options and names the argument', async () => {
    await expect(buildUnet({ ...small, inputSize: 100 })).rejects.toThrow(/inputSize must be a positive multiple of 32/);
    await expect(buildUnet({ ...small, decoderFilters: [8, 8] })).rejects.toThrow(/decoderFilters must be 5/);
    await expect(buildUnet({ ...small, backbone: 'resnet' })).rejects.toThrow(/unknown backbone/);
    await expect(buildUnet({ ...small, classes: 0 })).rejects.toThrow(/classes must be/);
    await expect(buildUnet({ ...small, unfreezeFrom: 'nope' })).rejects.toThrow(/unfreezeFrom "nope"/);
  });

  it('maps [n, s, s] slices to [n, s, s, 1] sigmoid probabilities, or softmax over background + classes', async () => {
    const one = await buildUnet(small);
    const three = await buildUnet({ ...small, classes: 3, encoderWeights: 'none' });
    const x = tf.randomUniform([2, 64, 64], 0, 1, 'float32', 1) as tf.Tensor3D;
    const p1 = one.predict(x);
    const p3 = three.predict(x);
    expect(p1.shape).toEqual([2, 64, 64, 1]);
    expect(p3.shape).toEqual([2, 64, 64, 4]);
    const sums = p3.sum(-1);
    expect(tf.max(tf.abs(sums.sub(1))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, p1, p3, sums]);
    one.dispose();
    three.dispose();
  });

  it('keeps every encoder weight and BN moving statistic byte-identical while training the decoder', async () => {
    const unet = await buildUnet(small);
    const encoderBefore = snapshot(unet.encoder.model);
    const decoderBefore = snapshot(unet.decoder);
    const data = syntheticSliceSet({ cases: 2, perCase: 3, size: 64, seed: 1 });
    await trainUnet({ unet, train: data, val: data, outDir: await mkdtemp(join(tmpdir(), 'medseg-freeze-')), settings: { ...settings, epochs: 2 } });
    expect(encoderBefore.size).toBe(135); // MobileNet v1 without head: 27 convolutions + 27 BN x 4 tensors
    expect(changed(encoderBefore, snapshot(unet.encoder.model))).toEqual([]);
    const decoderChanged = changed(decoderBefore, snapshot(unet.decoder));
    // The decoder really trained: its kernels moved, and its own BN statistics moved (training mode there).
    expect(decoderChanged).toContain('decoder_stage0_conv1/kernel');
    expect(decoderChanged).toContain('decoder_stage4_bn2/moving_mean');
    unet.dispose();
  });

  it('with unfreezeFrom trains the top encoder layers but never their BN statistics or the layers below', async () => {
    const unet = await buildUnet({ ...small, unfreezeFrom: 'conv_dw_13' });
    const before = snapshot(unet.encoder.model);
    const data = syntheticSliceSet({ cases: 1, perCase: 4, size: 64, seed: 2 });
    await trainUnet({ unet, train: data, val: data, outDir: await mkdtemp(join(tmpdir(), 'medseg-unfreeze-')), settings });
    const moved = changed(before, snapshot(unet.encoder.model)).sort();
    expect(moved).toEqual(['conv_dw_13/depthwise_kernel', 'conv_dw_13_bn/beta', 'conv_dw_13_bn/gamma', 'conv_pw_13/kernel', 'conv_pw_13_bn/beta', 'conv_pw_13_bn/gamma']);
    unet.dispose();
  });
});
