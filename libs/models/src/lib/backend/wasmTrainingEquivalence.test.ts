import * as tf from '@tensorflow/tfjs';
import { sharedPath } from '@medseg/data/testing';
import { describe, expect, it } from 'vitest';
import { segmentationLoss } from '../losses.js';
import { buildUnet } from '../unet.js';
import { registerCpuKernelFixes } from './registerCpuKernelFixes.js';
import { selectBackend } from './selectBackend.js';

// End to end: one training step's gradients of a real U-Net (frozen ImageNet encoder except the top blocks,
// which run the depthwise gradients, stride 2 included; BN decoder; UpSampling2D; Dice + BCE) on wasm with every
// replacement kernel and gradient, against the same step on the stock cpu backend.
describe('a U-Net training step on wasm equals the same step on the cpu backend', () => {
  it('gives the same loss and the same gradient for every trained variable', async () => {
    await selectBackend('wasm');
    const unet = await buildUnet({
      backbone: 'mobilenet_v1_0.25',
      encoderWeights: sharedPath('weights/mobilenet_v1_0.25_224'),
      inputSize: 64,
      decoderFilters: [16, 8, 8, 8, 8],
      intensityRange: [0, 1],
      unfreezeFrom: 'conv_dw_12',
      seed: 5,
    });
    const variables = [...unet.decoderVariables(), ...unet.encoderTrainableVariables()];
    // The cpu reference needs registerCpuKernelFixes: stock tfjs-backend-cpu 4.22 gives every image after the
    // first a wrong UpSampling2D gradient.
    registerCpuKernelFixes();
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 1);
    const y = tf.randomUniform([2, 64, 64, 1], 0, 1, 'float32', 2).round();
    const lossFn = segmentationLoss('dice+bce');
    const step = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const { value, grads } = tf.variableGrads(
        () => lossFn(y as tf.Tensor4D, unet.decoder.apply(unet.encode(x as tf.Tensor4D), { training: true }) as tf.Tensor4D),
        variables,
      );
      const result = {
        loss: (await value.data())[0]!,
        grads: await Promise.all(variables.map(async (v) => (await grads[v.name]!.data()) as Float32Array)),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return result;
    };
    const wasm = await step('wasm');
    const cpu = await step('cpu');
    expect(variables.some((v) => v.name.includes('conv_dw_12'))).toBe(true);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(cpu.loss));
    // Each gradient sums thousands of float32 products in another order (GEMMs instead of loops): agreement to
    // 1e-3 of the variable's largest gradient, where a wrong index or a missed term gives errors of order 1.
    variables.forEach((v, i) => {
      const expected = cpu.grads[i]!;
      const actual = wasm.grads[i]!;
      const scale = Math.max(...Array.from(expected, Math.abs));
      const worst = Math.max(...Array.from(expected, (e, k) => Math.abs(actual[k]! - e)));
      expect(scale, v.name).toBeGreaterThan(0);
      expect(worst, v.name).toBeLessThanOrEqual(1e-3 * scale);
    });
    tf.dispose([x, y]);
    unet.dispose();
  });
});
